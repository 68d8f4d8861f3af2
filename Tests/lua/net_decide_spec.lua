-- One firewall decision (issue 17 item 2): lab.net.allows, lab.net.why, the
-- matrix and the OpenWrt firewall give the same answer for every pair of
-- places (zones, VLAN ids and names, nodes, guests, the internet), on the
-- built-in homelab and on each inventory of Tests/inventories/. Unmatched
-- traffic is denied even where the inventory says default = "allow".

local filesystem = require "labsh.filesystem"

local DIR = "Tests/inventories"
local tmp = filesystem.temp_directory("labsh-net-decide-spec")

local function inventories()
  local r = lab.process.run { argv = { "find", DIR, "-maxdepth", "1", "-name", "*.lua", "-printf", "%f\n" },
                              read_only = true }
  assert_eq(r.status, 0, r.stderr)
  local names = {}
  for file in r.stdout:gmatch("[^\n]+") do names[#names + 1] = DIR .. "/" .. file end
  table.sort(names)
  return names
end

-- Every place with the zone the documentation gives it: a VLAN's (by id,
-- name or zone), a guest's VLAN's, a node's first VLAN's. Written out here
-- so the test does not ask the code it checks.
local function places(model)
  local zone_of_vlan, list, zone = {}, {}, {}
  local function add(place, z)
    if z ~= nil and zone[place] == nil then list[#list + 1] = place; zone[place] = z end
  end
  for _, vlan in ipairs(model.vlans) do zone_of_vlan[vlan.id] = vlan.zone end
  for _, vlan in ipairs(model.vlans) do add(vlan.id, vlan.zone); add(vlan.name, vlan.zone); add(vlan.zone, vlan.zone) end
  for _, guest in ipairs(model.guests) do add(guest.name, zone_of_vlan[guest.vlan]) end
  for _, node in ipairs(model.nodes) do add(node.name, node.vlans[1] and zone_of_vlan[node.vlans[1]]) end
  add("internet", "internet")
  return list, zone
end

-- The firewall's zone pairs: "from>to" -> "allowed" (a forwarding) or
-- "partly" (rules to a destination), in policy zone names ("internet" for wan).
local function firewall_pairs(text)
  local zone_name, crossings, section, comment = {}, {}, nil, nil
  local function close()
    if section and section.type == "zone" and section.zone then zone_name[section.name] = section.zone end
    if section and section.type == "forwarding" then crossings[#crossings + 1] = { section.src, section.dest, "allowed" } end
    if section and section.type == "rule" and section.dest then crossings[#crossings + 1] = { section.src, section.dest, "partly" } end
  end
  for line in text:gmatch("[^\n]*") do
    local zone = line:match("^# Zone (%S+) %(trust")
    if zone then comment = zone end
    local kind = line:match("^config (%S+)")
    if kind then close(); section = { type = kind, zone = kind == "zone" and comment or nil }; comment = nil end
    local key, value = line:match("^\toption (%S+) '([^']*)'$")
    if key and section then section[key] = value end
  end
  close()
  zone_name.wan = "internet"
  local verdicts, present = {}, {}
  for _, name in pairs(zone_name) do present[name] = true end
  for _, p in ipairs(crossings) do
    verdicts[zone_name[p[1]] .. ">" .. zone_name[p[2]]] = p[3]
  end
  return verdicts, present
end

local function check_agreement(label)
  local model = lab.inventory.current()
  local list, zone = places(model)
  local matrix = {}
  for _, row in ipairs(lab.net.matrix()) do matrix[row.from] = row end
  local ok_gen, files = pcall(lab.gen.openwrt)
  local firewall, present
  if ok_gen then firewall, present = firewall_pairs(files.firewall) end
  local checked, against_firewall = 0, 0
  for _, from in ipairs(list) do
    for _, to in ipairs(list) do
      local what = ("%s: %s -> %s"):format(label, tostring(from), tostring(to))
      local allowed = lab.net.allows(from, to)
      local line = lab.net.why(from, to)
      assert(line:find(allowed and ": allowed (" or ": denied (", 1, true), what .. ": " .. line)
      local zf, zt = zone[from], zone[to]
      local verdict = matrix[zf] and matrix[zf][zt]
      if verdict then assert_eq(allowed, verdict == "allowed", what .. " (matrix: " .. verdict .. ")") end
      if firewall and zf ~= zt and present[zf] and present[zt] then
        local fw = firewall[zf .. ">" .. zt] or "denied"
        assert_eq(fw == "allowed", allowed, what .. " (OpenWrt: " .. fw .. ")")
        if verdict then assert_eq(fw, verdict, what .. " (OpenWrt against the matrix)") end
        against_firewall = against_firewall + 1
      end
      checked = checked + 1
    end
  end
  assert(checked >= 4, label .. ": only " .. checked .. " pairs")
  return against_firewall
end

test("lab.net, the matrix and the OpenWrt firewall agree on the built-in homelab", function()
  lab.inventory.load()
  assert(check_agreement("built-in homelab") > 100, "the firewall was compared")
end)

test("they agree on every inventory of Tests/inventories", function()
  local compared = {}
  for _, file in ipairs(inventories()) do
    lab.inventory.load(file)
    compared[file] = check_agreement(file)
  end
  assert(compared[DIR .. "/riverside.lua"] > 0, "riverside's firewall was compared")
end)

test("unmatched traffic is denied even when policy.default says allow", function()
  local source = assert(io.open(DIR .. "/riverside.lua")):read("a")
  local allowing, replaced = source:gsub('default = "deny"', 'default = "allow"')
  assert_eq(replaced, 1)
  local file = tmp .. "/riverside-allow.lua"
  local out = assert(io.open(file, "w")); out:write(allowing); out:close()
  lab.inventory.load(file)
  assert_eq(lab.inventory.current().policy.default, "allow")
  -- some pair of zones no rule decides: denied, by the default deny
  local found = false
  for _, row in ipairs(lab.net.matrix()) do
    for _, vlan in ipairs(lab.inventory.current().vlans) do
      local allowed, reason = lab.net.allows(row.from, vlan.zone)
      if reason == "default deny" then
        found = true
        assert_eq(allowed, false, row.from .. " -> " .. vlan.zone)
        assert_eq(row[vlan.zone], "denied")
      end
    end
  end
  assert(found, "riverside has a pair no rule decides")
  local ok, err = pcall(lab.gen.openwrt)
  assert_eq(ok, false)
  assert(tostring(err):find("the policy's default is allow", 1, true), tostring(err))
end)
