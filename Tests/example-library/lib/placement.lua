-- placement: where the inventory's guests run, for the library's scripts.

local placement = {}

--- The number of guests on each node, as rows {node =, guests =} in the
--- inventory's node order (nodes without guests count 0).
function placement.guests_per_node(nodes, guests)
  local count = {}
  for _, guest in ipairs(guests) do count[guest.node] = (count[guest.node] or 0) + 1 end
  local rows = {}
  for _, node in ipairs(nodes) do rows[#rows + 1] = { node = node.name, guests = count[node.name] or 0 } end
  return rows
end

return placement
