-- The report's Alerts section against the rules Prometheus has loaded (issue
-- 19): when only part of the catalogue is deployed, it names the rules that
-- are not (they alert nobody) and is not "ok". Needs Tests/run-with-servers.sh.

local host = require "labsh.host"
local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end

-- Two of the catalogue's rules, and nothing else of it; they never fire.
local PARTIAL_RULES = [[
groups:
  - name: labsh-model-contradictions
    rules:
      - alert: NodeDown
        expr: vector(0) > 1
      - alert: CpuHigh
        expr: vector(0) > 1
]]

test("report: a partly deployed catalogue names the rules Prometheus has not loaded and is not ok", function()
  local prometheus = support.server("PROMETHEUS")
  local rules_file = support.server("RULES_DIR") .. "/" .. support.unique("model_contradictions") .. ".yml"
  local dir = support.temp_dir()
  local inv = dir .. "/with-prometheus.lua"
  write_file(inv, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. ("inv.monitoring = { prometheus = %q }\nreturn inv\n"):format(prometheus))
  write_file(rules_file, PARTIAL_RULES)
  local ok, err = pcall(function()
    lab.http.post(prometheus .. "/-/reload")
    local client = lab.prom.connect { url = prometheus }
    support.eventually("NodeDown and CpuHigh loaded", function()
      local names = {}
      for _, group in ipairs(client:rules("alert")) do
        for _, rule in ipairs(group.rules) do names[rule.name] = true end
      end
      return names.NodeDown and names.CpuHigh
    end, 30)
    local r = lab.process.run { argv = { labsh, "--inventory", inv, "--format", "json", "-m", "report" },
                                env = { LABSH_STATE_DIR = dir .. "/state" }, timeout = 120 }
    local alerts
    for _, section in ipairs(lab.json.decode(r.stdout).sections) do
      if section.name == "alerts" then alerts = section end
    end
    assert(alerts, r.stdout .. r.stderr)
    assert(alerts.status ~= "ok", alerts.status)
    local total = #lab.alert.rules()
    assert(alerts.summary:find(("%d of %d catalogue rules not deployed"):format(total - 2, total), 1, true), alerts.summary)
    local named = table.concat(alerts.notes, "\n"):match("not deployed, so they alert nobody: ([^\n]+)")
    assert(named, table.concat(alerts.notes, "\n"))
    local listed = {}
    for name in named:gmatch("[^, ]+") do listed[name] = true end
    assert(not listed.NodeDown and not listed.CpuHigh, named)
    for _, rule in ipairs(lab.alert.rules()) do
      if rule.alertname ~= "NodeDown" and rule.alertname ~= "CpuHigh" then assert(listed[rule.alertname], named) end
    end
  end)
  os.remove(rules_file)
  pcall(lab.http.post, prometheus .. "/-/reload")
  if not ok then error(err, 0) end
end)
