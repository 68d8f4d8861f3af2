-- lab.net: the zero-trust policy of the current inventory.
--
-- A place is a zone name ("k8s"), a VLAN id (30) or name, a node or guest
-- name, or "internet". Rules are checked in order; the first match decides;
-- nothing matching means the policy's default (the plan: deny).

local net = {}

local function zone_of(place)
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
  error(("'%s' is not a zone, VLAN, node or guest of the inventory"):format(tostring(place)), 3)
end

--- May traffic go from `from` to `to` (optionally on `port` and `proto`)?
--- Returns the answer and the reason: the rule that decided, or the default.
function net.allows(from, to, port, proto)
  local allowed, reason = lab.inventory.model():decide(zone_of(from), zone_of(to), port, proto)
  return allowed, reason
end

--- Why traffic from `from` to `to` is allowed or not, as one line.
function net.why(from, to, port, proto)
  local allowed, reason = net.allows(from, to, port, proto)
  return ("%s -> %s%s: %s (%s)"):format(tostring(from), tostring(to),
    port and (" port " .. port) or "", allowed and "allowed" or "denied", reason)
end

--- Zone x zone: one row per source zone with the verdict for every
--- destination ("allowed", "denied" or "partly" when only some ports are).
function net.matrix()
  local m = lab.inventory.model():matrix()
  local rows = {}
  for _, from in ipairs(m.sources) do
    local row = { from = from }
    for _, to in ipairs(m.destinations) do row[to] = m[from][to] end
    rows[#rows + 1] = row
  end
  return rows
end

return net
