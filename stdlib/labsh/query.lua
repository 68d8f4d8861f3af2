-- The homelab at the prompt: lab.nodes, lab.node, lab.guests, lab.guest,
-- lab.vlans, lab.vlan, lab.services, lab.service, lab.totals, lab.slo
-- (Lab.swift makes them fields of `lab`). Results are plain tables marked
-- with their record type (labsh.columns), so they print as aligned tables
-- and serialize as they are; nodes also have methods.
--
-- Filters are checked before anything is selected: an unknown key, or a
-- value that nothing in the inventory has (a misspelt role, tag or kind),
-- is an error at the caller's line with a did-you-mean, never a quiet {}.

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

local function model() return lab.inventory.current() end

----------------------------------------------------------------------------
-- Filters

-- What each query may filter on. A key reads the record field `field`
-- (default: the key itself); its accepted values are:
--   "present"  the values the inventory's records have (no node has the tag
--              "ha": a typo, or a tag the inventory forgot);
--   "vlans"    the inventory's VLANs, by id or name;
--   "nodes"    the inventory's node names;
--   "kinds"    the node kinds the inventory format allows (labsh.model);
--   "any"      any value of the field's type (sizes, counts, addresses).
local NODE_KEYS = {
  name = "present", kind = "kinds", role = "present", cluster = "present",
  tag = { field = "tags", values = "present" }, vlan = { field = "vlans", values = "vlans" },
  uplink = { field = "uplinks", values = "present" }, power = "present",
  vendor = "present", model = "present", os = "present", address = "present",
  cores = "any", threads = "any", ram = "any", storage = "any",
}

local GUEST_KEYS = {
  name = "present", kind = "present", node = "nodes", role = "present",
  tag = { field = "tags", values = "present" }, vlan = "vlans", ha_group = "present",
  address = "present", vcpu = "any", ram = "any", disk = "any",
}

local SERVICE_KEYS = {
  name = "present", tier = "present", phase = "present", runs_on = "present",
  vlan = "vlans", technology = "present", slo = "any", endpoint = "present",
}

local function key_spec(keys, key)
  local spec = keys[key]
  if type(spec) == "string" then return { field = key, values = spec } end
  return spec
end

local function sorted_keys(keys)
  local list = {}
  for key in pairs(keys) do list[#list + 1] = key end
  table.sort(list)
  return list
end

-- Values a field has across records, in first-seen order (list fields by
-- element).
local function present_values(records, field)
  local seen, values = {}, {}
  local function add(value)
    if value ~= nil and not seen[value] then seen[value] = true; values[#values + 1] = value end
  end
  for _, record in ipairs(records) do
    local have = record[field]
    if type(have) == "table" then
      for _, element in ipairs(have) do add(element) end
    else
      add(have)
    end
  end
  return values
end

-- The values a key accepts.
local function accepted_values(spec, records)
  local inventory = model()
  if spec.values == "present" then return present_values(records, spec.field) end
  if spec.values == "nodes" then return present_values(inventory.nodes, "name") end
  if spec.values == "kinds" then return require("labsh.model").node_kinds() end
  if spec.values == "vlans" then
    local values = present_values(inventory.vlans, "id")
    for _, vlan in ipairs(inventory.vlans) do values[#values + 1] = vlan.name end
    return values
  end
end

local function contains(list, value)
  for _, element in ipairs(list) do
    if element == value then return true end
  end
  return false
end

--- Checks every key and value of `filter` against `sources`: lists of
--- records with the keys they take, {{records = nodes, keys = NODE_KEYS}}
--- (nodes and guests together for lab.ssh's selectors, where a key or
--- value is right if either knows it). A mistake is "bad argument #1 to
--- 'func' (...)" raised as blame.argument's `level` counts from here (0:
--- without a position).
local function check_filter(filter, sources, func, level)
  if filter == nil then return end
  if type(filter) ~= "table" then
    local hint = type(filter) == "string"
      and ("; for one by name: %s(%q)"):format(func:gsub("s$", ""), filter) or ""
    blame.argument(1, func, ("a filter table expected, got %s%s"):format(type(filter), hint), level)
  end
  for key, value in pairs(filter) do
    local known, accepted, sample, all_keys = false, nil, nil, {}
    for _, source in ipairs(sources) do
      for name in pairs(source.keys) do all_keys[name] = true end
      local spec = type(key) == "string" and key_spec(source.keys, key)
      if spec then
        known = true
        if spec.values == "any" then
          sample = sample or present_values(source.records, spec.field)[1]
        else
          accepted = accepted or {}
          for _, one in ipairs(accepted_values(spec, source.records)) do
            if not contains(accepted, one) then accepted[#accepted + 1] = one end
          end
        end
      end
    end
    if not known then
      blame.argument(1, func, ("unknown filter key %s%s"):format(blame.shown(key),
        blame.hint(key, sorted_keys(all_keys), "keys")), level)
    end
    for _, one in ipairs(type(value) == "table" and value or { value }) do
      if accepted and not contains(accepted, one) then
        blame.argument(1, func, ("unknown %s %s%s"):format(key, blame.shown(one),
          blame.hint(one, accepted, key .. " values in the inventory")), level)
      elseif sample ~= nil and type(one) ~= type(sample) then
        blame.argument(1, func, ("%s takes a %s, got %s %s"):format(key, type(sample), type(one),
          blame.shown(one)), level)
      end
    end
  end
end

-- A checked filter as the records read it: {tag = "x"} becomes
-- {tags = {"x"}}, VLAN names become ids, every value a list.
local function wanted_fields(filter, keys)
  local vlan_ids = {}
  for _, vlan in ipairs(model().vlans) do vlan_ids[vlan.name] = vlan.id end
  local wanted = {}
  for key, value in pairs(filter or {}) do
    local spec = key_spec(keys, key)
    local translated = {}
    for i, one in ipairs(type(value) == "table" and value or { value }) do
      translated[i] = spec.values == "vlans" and vlan_ids[one] or one
    end
    wanted[spec.field] = translated
  end
  return wanted
end

-- Does `item` match every field of wanted_fields? A field matches when
-- it is one of the accepted values or, for a list field (tags, vlans),
-- contains one.
local function matches(item, wanted)
  for field, accepted in pairs(wanted) do
    local have, ok = item[field], false
    for _, value in ipairs(accepted) do
      if have == value or (type(have) == "table" and contains(have, value)) then ok = true end
    end
    if not ok then return false end
  end
  return true
end

local function select_from(list, wanted)
  local found = {}
  for _, item in ipairs(list) do
    if matches(item, wanted) then found[#found + 1] = item end
  end
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
  local nodes = model().nodes
  check_filter(filter, { { records = nodes, keys = NODE_KEYS } }, "lab.nodes", 3)
  local found = {}
  for _, record in ipairs(select_from(nodes, wanted_fields(filter, NODE_KEYS))) do
    found[#found + 1] = node_object(record)
  end
  return found
end

--- The node called `name`.
function query.node(name)
  return node_object(named(model().nodes, name, "node", "lab.node"))
end

--- Names of the nodes, then the guests, matching a filter as lab.nodes
--- takes it, for lab.ssh's selectors. A key or value that neither nodes nor
--- guests know is an error (raised without a position: the caller's line
--- is some frames up); a key only guests have picks guests only.
function query.host_names(filter)
  local inventory = model()
  check_filter(filter, { { records = inventory.nodes, keys = NODE_KEYS },
                         { records = inventory.guests, keys = GUEST_KEYS } }, "lab.ssh", 0)
  local names = {}
  for _, kind in ipairs { { inventory.nodes, NODE_KEYS }, { inventory.guests, GUEST_KEYS } } do
    local records, own_keys, applies = kind[1], kind[2], true
    for key in pairs(filter or {}) do applies = applies and own_keys[key] ~= nil end
    if applies then
      for _, record in ipairs(select_from(records, wanted_fields(filter, own_keys))) do
        names[#names + 1] = record.name
      end
    end
  end
  return names
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
  local guests = model().guests
  check_filter(filter, { { records = guests, keys = GUEST_KEYS } }, "lab.guests", 3)
  local found = select_from(guests, wanted_fields(filter, GUEST_KEYS))
  for _, guest in ipairs(found) do setmetatable(guest, guest_meta) end
  return found
end

--- The guest called `name`.
function query.guest(name)
  return setmetatable(named(model().guests, name, "guest", "lab.guest"), guest_meta)
end

local vlan_meta = meta("lab.Vlan")

--- All VLANs.
function query.vlans()
  local found = select_from(model().vlans, {})
  for _, vlan in ipairs(found) do setmetatable(vlan, vlan_meta) end
  return found
end

--- The VLAN with this id or name.
function query.vlan(id_or_name)
  return setmetatable(named(model().vlans, id_or_name, "VLAN", "lab.vlan", "id"), vlan_meta)
end

local service_meta = meta("lab.Service")

--- Services matching a filter ({tier =, vlan =, runs_on =, phase =}).
function query.services(filter)
  local services = model().services
  check_filter(filter, { { records = services, keys = SERVICE_KEYS } }, "lab.services", 3)
  local found = select_from(services, wanted_fields(filter, SERVICE_KEYS))
  for _, service in ipairs(found) do setmetatable(service, service_meta) end
  return found
end

--- The service called `name`.
function query.service(name)
  return setmetatable(named(model().services, name, "service", "lab.service"), service_meta)
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
    target = tostring(named(model().services, what, "service", "lab.slo").slo)
  else
    target = tostring(what)
  end
  local seconds, text = blame.call("lab.slo", 0, 2, require("labsh.slo").error_budget, target)
  return mark("lab.Slo", { target = target, window = "30d", seconds = seconds, budget = text })
end

return query
