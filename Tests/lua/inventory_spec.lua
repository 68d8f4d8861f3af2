-- The inventory at the prompt: the built-in homelab, queries, and loading
-- other files. Runs under labsh only (`lab` is labsh's global).

local GiB, GB = 1 << 30, 1000 * 1000 * 1000

local function names(list)
  local out = {}
  for _, item in ipairs(list) do out[#out + 1] = item.name end
  return table.concat(out, " ")
end

test("the built-in homelab loads with the plan's machines", function()
  lab.inventory.load()
  local summary = lab.inventory.summary()
  assert_eq(summary.file, "(built-in homelab)")
  assert_eq(summary.nodes, 9, "5 Proxmox nodes, the Z440, gateway, switch, ISP router")
  assert_eq(names(lab.nodes { kind = "hypervisor" }), "pve1 pve2 pve3 pve4 pve5")
  assert_eq(#lab.node("z440"):gpus(), 2, "RTX 3060 and Tesla P4")
end)

test("totals are computed from the nodes", function()
  local hypervisors
  for _, row in ipairs(lab.totals()) do
    if row.kind == "hypervisor" then hypervisors = row end
  end
  assert_eq(hypervisors.ram, (20 + 16 + 16 + 32 + 32) * GiB)
  assert_eq(hypervisors.storage, (512 + 500 + 512 + 1000 + 1000) * GB)
  assert_eq(hypervisors.cores, 4 + 6 + 6 + 8 + 8)
end)

test("nodes know their guests and what is left", function()
  local pve4 = lab.node("pve4")
  local guests = pve4:guests()
  assert_eq(#guests, 2, "workers 4 and 5 per §2.1")
  local committed = 0
  for _, g in ipairs(guests) do committed = committed + g.ram end
  assert_eq(pve4:allocated(), committed)
  assert_eq(pve4:free(), pve4.ram - committed)
  assert(pve4:free() >= 2 * GiB, "headroom for Proxmox itself")
end)

test("filters, VLANs and services", function()
  assert_eq(#lab.guests { role = "k8s-master" }, 3)
  assert_eq(lab.vlan(30).subnet, "192.168.30.0/24")
  assert_eq(lab.vlan("dmz").id, 50)
  assert_eq(#lab.nodes { vlan = 30 } > 0, true)
  assert_eq(lab.service("dns").tier, 1)
  for _, s in ipairs(lab.services { tier = 1 }) do assert_eq(s.slo, 99.5, s.name) end
end)

test("unknown names are clear errors", function()
  local ok, err = pcall(lab.node, "pve9")
  assert_eq(ok, false)
  assert(tostring(err):find("no node 'pve9' in the inventory (there are: pve1", 1, true), err)
end)

test("a broken inventory is refused with paths, and the current one stays", function()
  local before = lab.inventory.summary().file
  local path = write_temp([[
return {
  site = { name = "x", domain = "x.local", timezone = "UTC" },
  nodes = { { name = "a", kind = "hypervisor", address = "10.0.0.5", rma = "4GiB" } },
  vlans = { { id = 10, name = "m", subnet = "10.0.0.0/24", gateway = "10.0.0.1", zone = "m", trust = "high" } },
  policy = { default = "deny", rules = {} },
}]])
  local ok, err = pcall(lab.inventory.load, path)
  os.remove(path)
  assert_eq(ok, false)
  assert_eq(err.kind, "inventory")
  assert_eq(err.message, path .. ":3: nodes[1].rma: unknown key 'rma' (did you mean 'ram'?)", "the line of the key")
  assert_eq(lab.inventory.summary().file, before, "nothing lost")
end)

test("values that are not data are refused with their path", function()
  local model = require "labsh.model"
  local function refused(value)
    local ok, err = pcall(model.validate, value, "inv.lua")
    assert(not ok)
    return err.message
  end
  assert_eq(refused { nodes = { { name = "a" }, { name = print } } },
    "inv.lua: nodes[2].name: function values cannot be inventory data")
  assert_eq(refused { site = { [1] = "x", name = "y" } },
    "inv.lua: site: a table is either a list or has named fields, not both")
  assert_eq(refused { guests = { { tags = { "ok", "\xff" } } } }, "inv.lua: guests[1].tags[2]: text is not valid UTF-8")
  assert_eq(refused(print), "inv.lua: (top level): function values cannot be inventory data")
end)

test("a valid file becomes the current inventory", function()
  local path = write_temp([[
return {
  site = { name = "tiny", domain = "tiny.local", timezone = "UTC" },
  nodes = { { name = "a", kind = "hypervisor", address = "10.0.0.5", ram = "8GiB", vlans = { 10 } } },
  vlans = { { id = 10, name = "m", subnet = "10.0.0.0/24", gateway = "10.0.0.1", zone = "m", trust = "high" } },
  policy = { default = "deny", rules = {} },
}]])
  local summary = lab.inventory.load(path)
  os.remove(path)
  assert_eq(summary.nodes, 1)
  assert_eq(lab.node("a").ram, 8 * GiB)
  lab.inventory.load()  -- back to the built-in one for the other specs
end)

test("inventory files cannot reach the system", function()
  local path = write_temp("os.execute('true') return {}")
  local ok, err = pcall(lab.inventory.load, path)
  os.remove(path)
  assert_eq(ok, false)
  assert(tostring(err):find("attempt to index a nil value (global 'os')", 1, true), tostring(err))
  assert_eq(err.kind, "inventory")
end)

test("an Ansible export loads back as the current inventory", function()
  lab.inventory.load()
  local path = write_temp(lab.ansible.export())
  -- With a base, the site, VLANs and policy come from it (without one, from
  -- a labsh.yml overlay beside the file: ansible_import_spec.lua).
  local summary = lab.inventory.from_ansible(path, lab.inventory.model())
  os.remove(path)
  assert_eq(summary.file, path)
  assert_eq(summary.nodes, 9)
  assert_eq(summary.guests, 11)
  assert_eq(lab.node("pve1").address, "192.168.10.11")
  assert_eq(#lab.guests { node = "pve4" }, 2)
  lab.inventory.load()
end)

-- The first place two values differ (types and number subtypes included),
-- or nil when they are the same.
local function difference(a, b, path)
  if type(a) ~= type(b) or math.type(a) ~= math.type(b) then
    return ("%s: %s against %s"):format(path, tostring(a), tostring(b))
  end
  if type(a) ~= "table" then
    return a ~= b and ("%s: %s against %s"):format(path, tostring(a), tostring(b)) or nil
  end
  for key, value in pairs(a) do
    local found = difference(value, b[key], path .. "." .. tostring(key))
    if found then return found end
  end
  for key in pairs(b) do
    if a[key] == nil then return ("%s.%s: missing"):format(path, tostring(key)) end
  end
end

test("the embedded built-in model is what validating homelab.lua gives", function()
  local root = os.getenv("LABSH_ROOT") or "."
  local data, warnings = require("labsh.model").validate(
    dofile(root .. "/stdlib/labsh/homelab.lua"), "(built-in homelab)")
  local files = require "labsh.files"
  local host = require "labsh.host"
  local index_path = "stdlib/labsh/homelab_model.lua"
  local index = dofile(root .. "/" .. index_path)
  local built, generated = {}, { [index_path] = true }
  for _, name in ipairs(index.sections) do
    local path = ("stdlib/labsh/homelab_model/%s.lua"):format(name)
    built[name] = dofile(root .. "/" .. path)()
    generated[path] = true
  end
  local stale = difference({ data = data, warnings = warnings }, { data = built, warnings = index.warnings }, "model")
  assert(not stale, "stdlib/labsh/homelab_model is stale (run make homelab-model): " .. tostring(stale))
  -- no section file is left over from an older model
  for _, name in ipairs(require("labsh.filesystem").list(root .. "/stdlib/labsh/homelab_model")) do
    assert(generated["stdlib/labsh/homelab_model/" .. name],
      "stdlib/labsh/homelab_model/" .. name .. " is no section of the model (run make homelab-model)")
  end
  -- and labsh carries those files
  for path in pairs(generated) do
    assert_eq(host.embedded(path), files.read(root .. "/" .. path))
  end
end)

test("a query of nodes makes only the built-in homelab's nodes, and the model is whole when asked", function()
  local code = [[
    local function made(name) return package.loaded["labsh.homelab_model." .. name] ~= nil end
    local count = #lab.nodes()
    print(count, made("nodes"), made("guests"), made("services"))
    local whole = lab.inventory.current()
    print(#whole.nodes == count, #whole.guests > 0, #whole.services > 0, whole.site ~= nil)]]
  local p = assert(io.popen(("env -u LABSH_INVENTORY XDG_CONFIG_HOME=/nonexistent %s -e %q 2>&1")
    :format(os.getenv("LABSH_BIN") or arg[-1], code)))
  local out = p:read("a")
  p:close()
  assert_eq(out, ("%d\ttrue\tfalse\tfalse\ntrue\ttrue\ttrue\ttrue\n"):format(#require("labsh.homelab_model.nodes")()))
end)

test("the built-in homelab's policy model is made on first use", function()
  lab.inventory.load()
  local allowed, reason = lab.inventory.model():decide("management", "k8s", 6443, "tcp")
  assert_eq(type(allowed), "boolean")
  assert_eq(type(reason), "string")
end)
