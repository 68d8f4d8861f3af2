-- The homelab at the prompt: lab.nodes, lab.node, lab.guests, lab.vlans,
-- lab.vlan, lab.services, lab.service, lab.totals (Lab.swift makes them
-- fields of `lab`). Results are plain tables, so they print as aligned
-- tables and serialize as they are; nodes also have methods.

local query = {}

local function model() return lab.inventory.current() end

-- Does `item` match every field of `filter`? A filter value may be a list
-- of accepted values; list fields of the item (tags, vlans) match when they
-- contain the value.
local function matches(item, filter)
  for key, wanted in pairs(filter or {}) do
    local have = item[key]
    local accepted = type(wanted) == "table" and wanted or { wanted }
    local ok = false
    for _, value in ipairs(accepted) do
      if have == value then ok = true end
      if type(have) == "table" then
        for _, element in ipairs(have) do
          if element == value then ok = true end
        end
      end
    end
    if not ok then return false end
  end
  return true
end

local function select_from(list, filter)
  local found = {}
  for _, item in ipairs(list) do
    if matches(item, filter) then found[#found + 1] = item end
  end
  return found
end

-- Node objects: the record's scalar fields stay in the table (so a list of
-- nodes prints as a table); lists and methods come from the metatable.
local Node = {}
local details = setmetatable({}, { __mode = "k" })  -- node -> its lists

function Node:guests() return query.guests { node = self.name } end
function Node:vlans() return details[self].vlans end
function Node:disks() return details[self].disks end
function Node:gpus() return details[self].gpus end
function Node:tags() return details[self].tags end

--- Runs a shell command on the node over SSH (lab.ssh): its result
--- {status, stdout, stderr, elapsed}, or an ssh error raised.
--- opts: timeout, sudo, user, env, stdin.
function Node:exec(command, opts) return require("labsh.remote").exec_host(self.name, command, opts) end

--- RAM committed to the node's guests, in bytes.
function Node:allocated()
  local total = 0
  for _, guest in ipairs(self:guests()) do total = total + guest.ram end
  return total
end

--- RAM left for more guests (may be negative: overcommitted), in bytes.
function Node:free()
  return (self.ram or 0) - self:allocated()
end

local node_meta = {
  __index = Node,
  __name = "lab.Node",
  __methods = Node,
  -- A list of nodes prints as a table of these columns, sizes readable.
  __columns = { "name", "kind", "model", "cores", "threads", "ram", "storage", "address", "role" },
  __formats = { ram = "bytes", storage = "bytes" },
}

local function node_object(record)
  local node, lists = {}, {}
  for key, value in pairs(record) do
    if type(value) == "table" then lists[key] = value else node[key] = value end
  end
  details[node] = lists
  return setmetatable(node, node_meta)
end

local function unknown(kind, name, list)
  local names = {}
  for _, item in ipairs(list) do names[#names + 1] = tostring(item.name) end
  error(("no %s '%s' in the inventory (there are: %s)"):format(kind, tostring(name), table.concat(names, ", ")), 3)
end

--- Nodes matching a filter ({kind =, role =, tag =, vlan =, cluster =}).
function query.nodes(filter)
  filter = filter or {}
  local wanted = {}
  for key, value in pairs(filter) do
    -- `tag` and `vlan` read naturally in a filter; the lists are `tags`, `vlans`
    if key == "tag" then key = "tags" elseif key == "vlan" then key = "vlans" end
    wanted[key] = value
  end
  local found = {}
  for _, record in ipairs(model().nodes) do
    if matches(record, wanted) then found[#found + 1] = node_object(record) end
  end
  return found
end

--- The node called `name`.
function query.node(name)
  for _, node in ipairs(query.nodes()) do
    if node.name == name then return node end
  end
  unknown("node", name, model().nodes)
end

--- Names of the nodes, then the guests, matching a filter as lab.nodes
--- takes it ("tag" is the list "tags" for both), for lab.ssh's selectors.
function query.host_names(filter)
  local names = {}
  for _, node in ipairs(query.nodes(filter)) do names[#names + 1] = node.name end
  local wanted = {}
  for key, value in pairs(filter or {}) do wanted[key == "tag" and "tags" or key] = value end
  for _, guest in ipairs(select_from(model().guests, wanted)) do names[#names + 1] = guest.name end
  return names
end

-- Guests are plain records; this metatable only shapes how a list prints.
local guest_meta = {
  __name = "lab.Guest",
  __columns = { "name", "kind", "node", "role", "vcpu", "ram", "disk", "vlan", "address" },
  __formats = { ram = "bytes", disk = "bytes" },
}

--- Guests matching a filter ({node =, role =, vlan =, kind =}).
function query.guests(filter)
  local found = select_from(model().guests, filter)
  for _, guest in ipairs(found) do setmetatable(guest, guest_meta) end
  return found
end

--- All VLANs.
function query.vlans()
  return select_from(model().vlans)
end

--- The VLAN with this id or name.
function query.vlan(id_or_name)
  for _, vlan in ipairs(model().vlans) do
    if vlan.id == id_or_name or vlan.name == id_or_name then return vlan end
  end
  unknown("VLAN", id_or_name, model().vlans)
end

--- Services matching a filter ({tier =, vlan =, runs_on =, phase =}).
function query.services(filter)
  return select_from(model().services, filter)
end

--- The service called `name`.
function query.service(name)
  for _, service in ipairs(model().services) do
    if service.name == name then return service end
  end
  unknown("service", name, model().services)
end

--- Totals computed from the per-node facts, by node kind and overall:
--- nodes, cores, threads, ram and storage (bytes).
function query.totals()
  local rows, all = {}, { kind = "all", nodes = 0, cores = 0, threads = 0, ram = 0, storage = 0 }
  local by_kind = {}
  for _, node in ipairs(model().nodes) do
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
    target = tostring(query.service(what).slo)
  else
    target = tostring(what)
  end
  local seconds, text = require("labsh.model").error_budget(target)
  return { target = target, window = "30d", seconds = seconds, budget = text }
end

return query
