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

local vlan_meta = meta("lab.Vlan")
local service_meta = meta("lab.Service")

-- The two queries of one section of the inventory: lab.<plural>(filter),
-- the records a filter selects, and lab.<one>(name), the record of that
-- name (or `key`). Each record comes marked with `record_meta`; `what`
-- names a record in errors.
local function section_queries(plural, one, what, record_meta, key)
  local function matching(filter)
    local found = selected(section(plural), filter, what:lower(), "lab." .. plural)
    for _, record in ipairs(found) do setmetatable(record, record_meta) end
    return found
  end
  local function called(name)
    return setmetatable(named(section(plural), name, what, "lab." .. one, key), record_meta)
  end
  return matching, called
end

-- Guests matching a filter ({node =, role =, vlan =, kind =, tag =}); the
-- guest called `name`.
query.guests, query.guest = section_queries("guests", "guest", "guest", guest_meta)

-- VLANs matching a filter ({zone =, trust =, ...}); the VLAN with this id
-- or name.
query.vlans, query.vlan = section_queries("vlans", "vlan", "VLAN", vlan_meta, "id")

-- Services matching a filter ({tier =, vlan =, runs_on =, phase =}); the
-- service called `name`.
query.services, query.service = section_queries("services", "service", "service", service_meta)

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
