-- Filters of the homelab's queries (labsh.query): lab.nodes{role = "x"},
-- lab.guests{node = "y"}, lab.ssh's selectors. Loaded when a query has a
-- filter.
--
-- Filters are checked before anything is selected: an unknown key, or a
-- value that nothing in the inventory has (a misspelt role, tag or kind),
-- is an error at the caller's line with a did-you-mean, never a quiet {}.

-- Loaded on the first mistake: a filter that is right does not need it.
local blame = setmetatable({}, { __index = function(_, key) return require("labsh.blame")[key] end })

local function section(name) return lab.inventory.section(name) end

local filter = {}


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

local VLAN_KEYS = {
  id = "present", name = "present", zone = "present", trust = "present",
  subnet = "present", gateway = "present", purpose = "present",
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
  if spec.values == "present" then return present_values(records, spec.field) end
  if spec.values == "nodes" then return present_values(section("nodes"), "name") end
  if spec.values == "kinds" then return require("labsh.model").node_kinds() end
  if spec.values == "vlans" then
    local vlans = section("vlans")
    local values = present_values(vlans, "id")
    for _, vlan in ipairs(vlans) do values[#values + 1] = vlan.name end
    return values
  end
end

local function contains(list, value)
  for _, element in ipairs(list) do
    if element == value then return true end
  end
  return false
end

-- Checks every key and value of `filter` against `sources`: lists of
-- records with the keys they take, {{records = nodes, keys = NODE_KEYS}}
-- (nodes and guests together for lab.ssh's selectors, where a key or
-- value is right if either knows it). A mistake is "bad argument #1 to
-- 'func' (...)" raised as blame.argument's `level` counts from here (0:
-- without a position).
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
  if filter == nil then return {} end
  local vlan_ids = {}
  for _, vlan in ipairs(section("vlans")) do vlan_ids[vlan.name] = vlan.id end
  local wanted = {}
  for key, value in pairs(filter) do
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

local KEYS = { node = NODE_KEYS, guest = GUEST_KEYS, service = SERVICE_KEYS, vlan = VLAN_KEYS }

--- The records of a `kind` ("node", "guest", "service", "vlan") that `wanted`
--- selects, the filter checked first: a mistake is "bad argument #1 to
--- 'func' (...)" raised at `level` as check_filter counts it from here.
function filter.select(records, wanted, kind, func, level)
  local keys = KEYS[kind]
  check_filter(wanted, { { records = records, keys = keys } }, func, level + 1)
  return select_from(records, wanted_fields(wanted, keys))
end

--- Names of the nodes, then the guests, matching a filter as lab.nodes
--- takes it, for lab.ssh's selectors. A key or value that neither nodes nor
--- guests know is an error (raised without a position: the caller's line
--- is some frames up); a key only guests have picks guests only.
function filter.host_names(wanted)
  local nodes, guests = section("nodes"), section("guests")
  check_filter(wanted, { { records = nodes, keys = NODE_KEYS }, { records = guests, keys = GUEST_KEYS } },
    "lab.ssh", 0)
  local names = {}
  for _, kind in ipairs { { nodes, NODE_KEYS }, { guests, GUEST_KEYS } } do
    local records, own_keys, applies = kind[1], kind[2], true
    for key in pairs(wanted or {}) do applies = applies and own_keys[key] ~= nil end
    if applies then
      for _, record in ipairs(select_from(records, wanted_fields(wanted, own_keys))) do
        names[#names + 1] = record.name
      end
    end
  end
  return names
end

return filter
