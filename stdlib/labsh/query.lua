-- The homelab at the prompt: lab.nodes, lab.node, lab.guests, lab.guest,
-- lab.vlans, lab.vlan, lab.services, lab.service, lab.totals, lab.slo
-- (Lab.swift makes them fields of `lab`). Results are plain tables marked
-- with their record type (labsh.columns), so they print as aligned tables
-- and serialize as they are; nodes also have methods.
--
-- Filters ({role = "x"}) are labsh.query_filter's, loaded for a filter.

-- Loaded on the first mistake (labsh.blame) and the first print
-- (labsh.columns, by each metatable's __name): a query that goes well and
-- prints nothing loads neither.
local blame = setmetatable({}, { __index = function(_, key) return require("labsh.blame")[key] end })

-- The metatable of a record type: its name, for labsh.columns and pretty.
local metatables = {}
local function meta(name, extra)
  local mt = metatables[name]
  if not mt then mt = { __name = name }; metatables[name] = mt end
  for key, value in pairs(extra or {}) do mt[key] = value end
  return mt
end
local function mark(name, record) return setmetatable(record, meta(name)) end

local query = {}

-- One section of the inventory: a query of nodes makes only the nodes of
-- the built-in homelab.
local function section(name) return lab.inventory.section(name) end

-- The records a filter selects: all of them (a new list) without one;
-- a filter is checked and applied by labsh.query_filter, loaded for it.
-- A mistake in the filter is raised at the caller of the query.
local function selected(records, filter, kind, func)
  if filter == nil then return table.move(records, 1, #records, 1, {}) end
  local found = require("labsh.query_filter").select(records, filter, kind, func, 4)
  return found
end

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

method("guests", function(self) return query.guests { node = self.name } end)
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

-- The one record called `name` in `list`, or an error at the caller of
-- the public function `func` naming what there is.
local function named(list, name, what, func, key)
  if type(name) ~= "string" and not (key == "id" and math.type(name) == "integer") then
    local expected = key == "id" and ("a %s id or name"):format(what) or ("a %s name"):format(what)
    blame.argument(1, func, ("%s expected, got %s"):format(expected, type(name)), 3)
  end
  local names = {}
  for _, item in ipairs(list) do
    if item.name == name or (key and item[key] == name) then return item end
    names[#names + 1] = item.name
  end
  local meant = blame.closest(name, names)
  error(("%s: no %s '%s' in the inventory (there are: %s)%s"):format(func, what, tostring(name),
    table.concat(names, ", "), meant and ("; did you mean '%s'?"):format(meant) or ""), 3)
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

----------------------------------------------------------------------------
-- Guests, VLANs, services

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

--- All VLANs.
function query.vlans()
  local found = selected(section("vlans"))
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
