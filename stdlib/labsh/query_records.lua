-- The homelab's guests, VLANs and services at the prompt: lab.guests,
-- lab.guest, lab.vlans, lab.vlan, lab.services, lab.service and lab.slo
-- (Lab.swift makes them fields of `lab`; nodes are labsh.query's). Results
-- are plain tables marked with their record type (labsh.columns).

local records = require "labsh.records"
local blame, meta, mark = records.blame, records.meta, records.mark
local section, selected, named = records.section, records.selected, records.named

local query = {}

-- A guest's live methods (status, start, migrate...) are labsh.pve_model's:
-- looked up by name only, so reading a missing field never loads lab.pve.
local LIVE = { status = true, start = true, stop = true, shutdown = true, reboot = true,
               migrate = true, snapshot = true, backup = true }
local guest_meta = meta("lab.Guest", { __index = function(_, key)
  if LIVE[key] then return require("labsh.pve_model").guest[key] end
end })

--- Guests matching a filter ({node =, role =, vlan =, kind =, tag =}).
function query.guests(filter)
  local found = selected(section("guests"), filter, "guest", "lab.guests")
  for _, guest in ipairs(found) do setmetatable(guest, guest_meta) end
  return found
end

--- The guest called `name`.
function query.guest(name)
  return setmetatable(named(section("guests"), name, "guest", "lab.guest"), guest_meta)
end

local vlan_meta = meta("lab.Vlan")

--- VLANs matching a filter ({zone =, trust =, ...}), all without one.
function query.vlans(filter)
  local found = selected(section("vlans"), filter, "vlan", "lab.vlans")
  for _, vlan in ipairs(found) do setmetatable(vlan, vlan_meta) end
  return found
end

--- The VLAN with this id or name.
function query.vlan(id_or_name)
  return setmetatable(named(section("vlans"), id_or_name, "VLAN", "lab.vlan", "id"), vlan_meta)
end

local service_meta = meta("lab.Service")

--- Services matching a filter ({tier =, vlan =, runs_on =, phase =}).
function query.services(filter)
  local found = selected(section("services"), filter, "service", "lab.services")
  for _, service in ipairs(found) do setmetatable(service, service_meta) end
  return found
end

--- The service called `name`.
function query.service(name)
  return setmetatable(named(section("services"), name, "service", "lab.service"), service_meta)
end

--- The error budget of an availability target over 30 days: for a tier
--- (1-3), a service name, or a percentage ("99.5" or 99.5).
--- Returns {target =, window = "30d", seconds =, budget = "3h 36m"}.
function query.slo(what)
  local target
  if what == 1 or what == 2 or what == 3 then
    local targets = { "99.5", "99", "95" }  -- §6: the plan's tiers
    target = targets[what]
  elseif type(what) == "string" and not what:match("^[%d%.]+%%?$") then
    target = tostring(named(section("services"), what, "service", "lab.slo").slo)
  else
    target = tostring(what)
  end
  local seconds, text = blame.call("lab.slo", 0, 2, require("labsh.slo").error_budget, target)
  return mark("lab.Slo", { target = target, window = "30d", seconds = seconds, budget = text })
end

return query
