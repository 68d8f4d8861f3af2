-- lab.gen: configuration files generated from the current inventory (BIND
-- zones, OpenWrt, Prometheus rules, an Alertmanager configuration,
-- blackbox_exporter's probes). The
-- generators are Swift (labsh.gen, Sources/LabBindings/GenModule.swift);
-- this module hands them the current inventory, as every binding is handed
-- it (ARCHITECTURE.md), so errors name your arguments, not the model.

local blame = require "labsh.blame"
local core = require "labsh.gen"

local gen = {}

-- core[name](model, opts), its errors raised as lab.gen.NAME's at the caller.
local function generator(name)
  return function(opts)
    return (blame.call("lab.gen." .. name, 1, 2, core[name], lab.inventory.model(), opts))
  end
end

gen.bind = generator("bind")
gen.openwrt = generator("openwrt")
gen.prometheus_rules = generator("prometheus_rules")
gen.alertmanager = generator("alertmanager")
-- blackbox{exporter = "host:port", ca_file =, interval = seconds}: a list of
-- {file =, text =}: blackbox.yml, prometheus-blackbox.yml and its targets.
gen.blackbox = generator("blackbox")

return gen
