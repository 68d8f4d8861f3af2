-- The homelab's nodes at the prompt: lab.nodes, lab.node, lab.totals, and
-- lab.ssh's selectors (Lab.swift makes them fields of `lab`; guests, VLANs
-- and services are labsh.query_records'). Results are plain tables marked
-- with their record type (labsh.columns), so they print as aligned tables
-- and serialize as they are; nodes also have methods.
--
-- Filters ({role = "x"}) are labsh.query_filter's, loaded for a filter.

local records = require "labsh.records"
local blame, meta, mark = records.blame, records.meta, records.mark
local section, selected, named = records.section, records.selected, records.named

local query = {}

----------------------------------------------------------------------------
-- Nodes

-- Node objects: the record's scalar fields stay in the table (so a list of
-- nodes prints as a table); lists and methods come from the metatable.
local Node = {}
local details = setmetatable({}, { __mode = "k" })  -- node -> its lists
local node_meta = meta("lab.Node", { __index = Node, __methods = Node })

-- Methods check their object: `node.free()` (a `.` for a `:`) would
-- otherwise fail inside this file on a nil self.
local function method(name, body)
  Node[name] = function(self, ...)
    if getmetatable(self) ~= node_meta then blame.method("lab.Node", name) end
    return body(self, ...)
  end
end

method("guests", function(self) return require("labsh.query_records").guests { node = self.name } end)
method("vlans", function(self) return details[self].vlans end)
method("disks", function(self) return details[self].disks end)
method("gpus", function(self) return details[self].gpus end)
method("tags", function(self) return details[self].tags end)

--- Runs a shell command on the node over SSH (lab.ssh): its result
--- {status, stdout, stderr, elapsed}, or an ssh error raised.
--- opts: timeout, sudo, user, env, stdin.
method("exec", function(self, command, opts)
  return require("labsh.remote").exec_host(self.name, command, opts)
end)

--- RAM committed to the node's guests, in bytes.
method("allocated", function(self)
  local total = 0
  for _, guest in ipairs(self:guests()) do total = total + guest.ram end
  return total
end)

--- RAM left for more guests (may be negative: overcommitted), in bytes.
method("free", function(self)
  return (self.ram or 0) - self:allocated()
end)

--- The node as the Proxmox VE cluster sees it now (lab.pve, loaded here).
method("live", function(self) return require("labsh.pve_model").node_live(self) end)

local function node_object(record)
  local node, lists = {}, {}
  for key, value in pairs(record) do
    if type(value) == "table" then lists[key] = value else node[key] = value end
  end
  details[node] = lists
  return setmetatable(node, node_meta)
end

--- Nodes matching a filter ({kind =, role =, tag =, vlan =, cluster =}).
function query.nodes(filter)
  local found = {}
  for _, record in ipairs(selected(section("nodes"), filter, "node", "lab.nodes")) do
    found[#found + 1] = node_object(record)
  end
  return found
end

--- The node called `name`.
function query.node(name)
  return node_object(named(section("nodes"), name, "node", "lab.node"))
end

--- Names of the nodes, then the guests, matching a filter as lab.nodes
--- takes it, for lab.ssh's selectors (labsh.query_filter).
function query.host_names(filter)
  return require("labsh.query_filter").host_names(filter)
end

--- Totals computed from the per-node facts, by node kind and overall:
--- nodes, cores, threads, ram and storage (bytes).
function query.totals()
  local rows, all = {}, { kind = "all", nodes = 0, cores = 0, threads = 0, ram = 0, storage = 0 }
  local by_kind = {}
  for _, node in ipairs(section("nodes")) do
    local row = by_kind[node.kind]
    if not row then
      row = { kind = node.kind, nodes = 0, cores = 0, threads = 0, ram = 0, storage = 0 }
      by_kind[node.kind] = row
      rows[#rows + 1] = row
    end
    for _, total in ipairs { row, all } do
      total.nodes = total.nodes + 1
      total.cores = total.cores + (node.cores or 0)
      total.threads = total.threads + (node.threads or 0)
      total.ram = total.ram + (node.ram or 0)
      total.storage = total.storage + (node.storage or 0)
    end
  end
  rows[#rows + 1] = all
  for _, row in ipairs(rows) do mark("lab.Totals", row) end
  return rows
end

return query
