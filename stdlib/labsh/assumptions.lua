-- labsh.assumptions: which figures rest on values the inventory marks as
-- assumed (`assumed = { "ram", "vcpu" }` on a node or guest), so that the
-- report, capacity, simulation and reviews label them instead of presenting
-- them as facts.
--
-- A figure is "assumed" when any value it is computed from is: a capacity
-- resource from the guests' sizes or the nodes' hardware, a node's share or
-- a failure verdict from the guests placed on it. In JSON such a figure's
-- record carries `assumed = true` and `assumed_from` (e.g. "k8s-w1.ram");
-- in text it is marked with ASSUMED_MARK and a footnote explains it.

local assumptions = {}

assumptions.MARK = "*"
assumptions.FOOTNOTE = "* assumed: computed from values the inventory marks as assumptions"
  .. " (`assumed` on its nodes and guests), not from facts"

-- The inventory fields a capacity resource is computed from.
local RESOURCE_FIELDS = {
  cpu = { node = "cpu", guest = "vcpu" },
  ram = { node = "ram", guest = "ram" },
  storage = { node = "disks", guest = "disk" },
  network = { node = "nics" },
  gpu = { node = "gpus" },
}

local function family(resource)
  for prefix in pairs(RESOURCE_FIELDS) do
    if resource == prefix or resource:sub(1, #prefix + 1) == prefix .. "_" then return prefix end
  end
  return nil
end

local function has(list, value)
  for _, v in ipairs(list or {}) do if v == value then return true end end
  return false
end

-- "name.field" for every entry of `entries` (optionally only those `keep`
-- accepts) whose `assumed` names `field`.
local function sources(entries, field, keep, into)
  if not field then return into end
  for _, e in ipairs(entries or {}) do
    if (not keep or keep(e)) and has(e.assumed, field) then into[#into + 1] = e.name .. "." .. field end
  end
  return into
end

--- The assumed values capacity resource `resource` ("ram", "cpu_cores",
--- "storage_hot", ...) is computed from, as "name.field"; {} when none.
function assumptions.for_resource(resource, inventory)
  inventory = inventory or lab.inventory.current()
  local fields = RESOURCE_FIELDS[family(resource) or ""]
  if not fields then return {} end
  local found = sources(inventory.nodes, fields.node, nil, {})
  return sources(inventory.guests, fields.guest, nil, found)
end

--- The assumed values behind node `name`'s allocation of `resource`
--- ("ram", "cpu", "storage"): its own hardware and its guests' sizes.
function assumptions.for_node(name, resource, inventory)
  inventory = inventory or lab.inventory.current()
  local fields = RESOURCE_FIELDS[resource] or {}
  local found = sources(inventory.nodes, fields.node, function(n) return n.name == name end, {})
  return sources(inventory.guests, fields.guest, function(g) return g.node == name end, found)
end

--- The assumed values behind a failure verdict about nodes `names`: none
--- when no guest runs on them; else every guest's placement and size and
--- the nodes' CPU and RAM (where the moved guests land, and whether they
--- fit, rests on all of them).
function assumptions.for_failure(names, inventory)
  inventory = inventory or lab.inventory.current()
  local failed, moves = {}, false
  for _, n in ipairs(names) do failed[n] = true end
  for _, guest in ipairs(inventory.guests or {}) do moves = moves or failed[guest.node] == true end
  if not moves then return {} end
  local found = {}
  for _, field in ipairs { "node", "vcpu", "ram", "disk" } do sources(inventory.guests, field, nil, found) end
  for _, field in ipairs { "cpu", "ram" } do sources(inventory.nodes, field, nil, found) end
  return found
end

--- Marks `record` (a table of a figure) with what it rests on: sets
--- record.assumed = true and record.assumed_from when `from` is not empty.
--- Returns whether it did.
function assumptions.label(record, from)
  if #from == 0 then return false end
  record.assumed, record.assumed_from = true, from
  return true
end

--- `text` with the mark when `record` is assumed.
function assumptions.marked(text, record)
  return record.assumed and (tostring(text) .. assumptions.MARK) or tostring(text)
end

return assumptions
