-- lab.net: the zero-trust policy of the current inventory.
--
-- A place is a zone name ("k8s"), a VLAN id (30) or name, a node or guest
-- name, or "internet". Rules are checked in order; the first match decides;
-- traffic no rule matches is denied, whatever `policy.default` says.

local blame = require "labsh.blame"

local net = {}

-- The policy's answer, with mistakes blamed on the caller of `func`. Swift
-- resolves the places to zones and decides (Inventory.decide): one rule for
-- lab.net, the report and the OpenWrt generator.
local function decide(func, from, to, port, proto)
  local model = lab.inventory.model()
  -- not a tail call: the level counts this frame
  local allowed, reason = blame.call(func, 1, 3, model.decide, model, from, to, port, proto)
  return allowed, reason
end

--- May traffic go from `from` to `to` (optionally on `port` and `proto`)?
--- Returns the answer and the reason: the rule that decided, or "default deny".
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
