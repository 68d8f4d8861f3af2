-- lab.net: the zero-trust policy of the current inventory.
--
-- A place is a zone name ("k8s"), a VLAN id (30) or name, a node or guest
-- name, or "internet". Rules are checked in order; the first match decides;
-- nothing matching means the policy's default (the plan: deny).

local blame = require "labsh.blame"

local net = {}

-- Every name a place may be, for a did-you-mean.
local function place_names(model)
  local names, seen = {}, {}
  local function add(name)
    if name ~= nil and not seen[name] then seen[name] = true; names[#names + 1] = name end
  end
  for _, vlan in ipairs(model.vlans) do add(vlan.zone) end
  for _, vlan in ipairs(model.vlans) do add(vlan.name) end
  for _, node in ipairs(model.nodes) do add(node.name) end
  for _, guest in ipairs(model.guests) do add(guest.name) end
  add("internet")
  return names
end

-- The zone of a place, or an error blaming argument `n` of the public
-- function `func`, raised at its caller (three levels above zone_of).
local function zone_of(place, func, n)
  if place == "internet" then return place end
  local model = lab.inventory.current()
  for _, vlan in ipairs(model.vlans) do
    if vlan.id == place or vlan.name == place or vlan.zone == place then return vlan.zone end
  end
  -- a machine: the zone of its VLAN (guests) or of its first VLAN (nodes)
  local function vlan_zone(id)
    for _, vlan in ipairs(model.vlans) do
      if vlan.id == id then return vlan.zone end
    end
  end
  for _, guest in ipairs(model.guests) do
    if guest.name == place then return vlan_zone(guest.vlan) end
  end
  for _, node in ipairs(model.nodes) do
    if node.name == place and node.vlans[1] then return vlan_zone(node.vlans[1]) end
  end
  local zones = {}
  for _, vlan in ipairs(model.vlans) do zones[#zones + 1] = vlan.zone end
  local meant = blame.closest(place, place_names(model))
  blame.argument(n, func, ("'%s' is not a zone, VLAN, node or guest of the inventory; %s"):format(
    tostring(place), meant ~= nil and ("did you mean '%s'?"):format(tostring(meant))
      or "zones: " .. table.concat(zones, ", ")), 4)
end

-- The policy's answer, with mistakes blamed on the caller of `func`.
local function decide(func, from, to, port, proto)
  local from_zone, to_zone = zone_of(from, func, 1), zone_of(to, func, 2)
  local model = lab.inventory.model()
  -- not a tail call: the level counts this frame
  local allowed, reason = blame.call(func, 1, 3, model.decide, model, from_zone, to_zone, port, proto)
  return allowed, reason
end

--- May traffic go from `from` to `to` (optionally on `port` and `proto`)?
--- Returns the answer and the reason: the rule that decided, or the default.
function net.allows(from, to, port, proto)
  local allowed, reason = decide("lab.net.allows", from, to, port, proto)
  return allowed, reason
end

--- Why traffic from `from` to `to` is allowed or not, as one line.
function net.why(from, to, port, proto)
  local allowed, reason = decide("lab.net.why", from, to, port, proto)
  return ("%s -> %s%s: %s (%s)"):format(tostring(from), tostring(to),
    port and (" port " .. port) or "", allowed and "allowed" or "denied", reason)
end

--- Zone x zone: one row per source zone with the verdict for every
--- destination ("allowed", "denied" or "partly" when only some ports are).
--- The rows print with `from` first, the destinations in the policy's order.
function net.matrix()
  local m = lab.inventory.model():matrix()
  local key_columns = require("labsh.columns").of("lab.net.MatrixRow")
  local row_meta = { __name = "lab.net.MatrixRow", __columns = table.move(m.destinations, 1, #m.destinations,
    #key_columns + 1, table.move(key_columns, 1, #key_columns, 1, {})) }
  local rows = {}
  for _, from in ipairs(m.sources) do
    local row = { from = from }
    for _, to in ipairs(m.destinations) do row[to] = m[from][to] end
    rows[#rows + 1] = setmetatable(row, row_meta)
  end
  return rows
end

return net
