-- Ansible inventories come in as they are (issue 16; issue 17 item 11).
--
-- Tests/inventories/ansible/ holds inventories in the shapes real homelabs
-- write: INI with [group:children] and [group:vars], YAML with anchors and
-- flow mappings, hosts named by IP, FQDN host names, group_vars/ and
-- host_vars/ directories, vault-encrypted variables. Each is read by Ansible
-- itself (`ansible-inventory --list`, installed by `make deps`) and by the
-- built-in reader, which must agree on hosts, groups and variables; then
-- loaded with `--inventory FILE` and run through scripts.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local model = require "labsh.model"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end
local root = os.getenv("LABSH_ROOT") or assert(os.getenv("PWD"))
local corpus = root .. "/Tests/inventories/ansible/"
local tmp = filesystem.temp_directory("labsh-ansible-import-spec")

-- Every corpus inventory that loads; bad-names/ is the one that must not.
local inventories = {
  "ini-children/hosts.ini",
  "yaml-anchors/inventory.yml",
  "ip-hosts/hosts",
  "fqdn/hosts.yml",
  "vars-dirs/inventory.ini",
  "vault/hosts.yml",
}

local function run(args, env, cwd)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  env = env or {}
  env.LABSH_STATE_DIR = tmp .. "/state"
  env.XDG_CONFIG_HOME = tmp .. "/no-config"
  env.LABSH_INVENTORY = false
  return lab.process.run { argv = argv, env = env, cwd = cwd, timeout = 120, read_only = true }
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function read(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("a")
  f:close()
  return text
end

-- A value as one canonical line (tables by sorted key), to compare readers.
local function canon(v)
  local t = type(v)
  if t == "string" then return ("%q"):format(v) end
  if math.type(v) == "integer" then return ("%d"):format(v) end
  if t == "number" then return ("%.6g"):format(v) end
  if t ~= "table" then return tostring(v) end
  if next(v) == nil then return "{}" end
  local parts = {}
  if #v > 0 then
    for i, item in ipairs(v) do parts[i] = canon(item) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = k .. "=" .. canon(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- What a reader says: one line per host, its groups and each variable.
local function lines_of(inv)
  local lines = {}
  for name, h in pairs(inv.hosts) do
    lines[#lines + 1] = ("host %s groups %s"):format(name, table.concat(h.groups, ","))
    for k, v in pairs(h.vars) do lines[#lines + 1] = ("var %s %s %s"):format(name, k, canon(v)) end
  end
  table.sort(lines)
  return lines
end

local function same_lines(a, b, what)
  local i = 1
  while a[i] or b[i] do
    if a[i] ~= b[i] then
      error(("%s: line %d differs:\n  ansible: %s\n  builtin: %s"):format(what, i, tostring(a[i]), tostring(b[i])), 2)
    end
    i = i + 1
  end
end

test("ansible-inventory is installed (make deps): the comparisons below need it", function()
  local r = lab.process.run { argv = { "ansible-inventory", "--version" }, timeout = 60, read_only = true }
  assert_eq(r.status, 0)
end)

test("on each corpus inventory the built-in reader agrees with ansible-inventory --list", function()
  for _, file in ipairs(inventories) do
    local path = corpus .. file
    local ansible = lab.ansible.import(path, { reader = "ansible" })
    local builtin = lab.ansible.import(path, { reader = "builtin" })
    assert_eq(ansible.reader, "ansible")
    assert_eq(builtin.reader, "builtin")
    local a, b = lines_of(ansible), lines_of(builtin)
    assert(#a > 3, file .. ": Ansible read almost nothing")
    same_lines(a, b, file)
  end
end)

test("the corpus shapes are read as Ansible reads them", function()
  local ini = lab.ansible.import(corpus .. "ini-children/hosts.ini", { reader = "builtin" })
  -- [group:vars] and [group:children], the child's vars winning over the parent's.
  assert_eq(ini.hosts.pve2.vars.ansible_user, "root")
  assert_eq(ini.hosts.apps01.vars.ansible_user, "ops")
  assert_eq(ini.hosts.apps02.vars.ansible_port, 2222)
  assert_eq(ini.hosts.apps01.vars.ntp_server, "10.20.0.1")
  assert_eq(table.concat(ini.hosts.apps01.groups, ","), "docker,homelab,vms")
  -- YAML anchors, merge keys and flow mappings.
  local yaml = lab.ansible.import(corpus .. "yaml-anchors/inventory.yml", { reader = "builtin" })
  assert_eq(yaml.hosts["pi-ha"].vars.labsh_kind, "sbc")
  assert_eq(yaml.hosts["pi-ha"].vars.ansible_user, "pi")
  assert_eq(yaml.hosts["hv-b"].vars.site_alias, "lakeside")
  -- group_vars/ and host_vars/: files, directories, .json and no extension.
  local dirs = lab.ansible.import(corpus .. "vars-dirs/inventory.ini", { reader = "builtin" })
  assert_eq(dirs.hosts.pve1.vars.cores, 16)
  assert_eq(dirs.hosts.pve1.vars.ansible_user, "root")
  assert_eq(dirs.hosts.pve2.vars.ansible_port, 2222)
  assert_eq(dirs.hosts.web1.vars.labsh_vlan, 41)
  assert_eq(dirs.hosts.db1.vars.postgres_version, 16)
  assert_eq(dirs.hosts.db1.vars.timezone, "Europe/Paris")
  -- Vault values stay encrypted.
  local vault = lab.ansible.import(corpus .. "vault/hosts.yml", { reader = "builtin" })
  assert(vault.hosts.opnsense.vars.api_token.__ansible_vault:find("^%$ANSIBLE_VAULT;1%.1;AES256\n"))
end)

test("each corpus inventory loads with either reader into the same model", function()
  for _, file in ipairs(inventories) do
    local path = corpus .. file
    local exports = {}
    for _, reader in ipairs { "ansible", "builtin" } do
      local imported = lab.ansible.load(path, { reader = reader })
      local data, _, handle = model.validate(imported.inventory, path)
      assert(#data.nodes > 0, file .. ": no nodes")
      exports[reader] = lab.ansible.export(handle)
    end
    assert_eq(exports.builtin, exports.ansible, file)
  end
end)

test("--inventory FILE takes an Ansible inventory and every script runs on it", function()
  for _, file in ipairs(inventories) do
    for _, args in ipairs { { "-m", "report" }, { "-m", "capacity" }, { "-m", "inventory", "check" } } do
      local argv = { "--inventory", corpus .. file }
      for _, a in ipairs(args) do argv[#argv + 1] = a end
      local r = run(argv)
      local what = file .. " " .. table.concat(args, " ")
      assert(not r.stderr:find("stack traceback", 1, true), what .. ": a traceback:\n" .. r.stderr)
      assert(not r.stderr:find("in none of the node's VLANs", 1, true), what .. ": checked against the built-in VLANs")
      assert(r.status == 0, what .. ": exit " .. tostring(r.status) .. "\n" .. r.stderr)
    end
  end
end)

-- An imported inventory has ssh access, and the corpus's addresses are not
-- loopback: scripts that connect find an `ssh` and `scp` that refuse at once,
-- as ssh does for a host that is down, so no test reaches another address.
local function no_network_path()
  local dir = filesystem.temp_directory("labsh-ansible-nossh")
  for _, tool in ipairs { "ssh", "scp" } do
    write(dir .. "/" .. tool, "#!/bin/sh\necho 'ssh: connect to host stub port 22: Connection refused' >&2\nexit 255\n")
    assert(lab.process.run { argv = { "chmod", "755", dir .. "/" .. tool }, read_only = true }.status == 0)
  end
  return dir .. ":" .. os.getenv("PATH")
end

local function shipped()
  local names = {}
  for _, dir in ipairs { "scripts", "scripts/playbooks" } do
    local r = lab.process.run { argv = { "find", root .. "/" .. dir, "-maxdepth", "1", "-name", "*.lua", "-printf", "%f\n" },
                                read_only = true }
    for file in r.stdout:gmatch("[^\n]+") do names[#names + 1] = (file:gsub("%.lua$", "")) end
  end
  table.sort(names)
  assert(#names >= 15, "found only " .. #names .. " scripts")
  return names
end

test("every shipped script (playbooks in check mode) runs on each imported inventory", function()
  local path = no_network_path()
  for _, file in ipairs(inventories) do
    local first = run({ "--inventory", corpus .. file, "-e", "print(lab.nodes()[1].name)" }).stdout:gsub("%s+$", "")
    for _, script in ipairs(shipped()) do
      local argv = { "--dry-run", "--inventory", corpus .. file, "-m", script }
      if script == "node-failure" then argv[#argv + 1] = first end
      if script == "gen" then for _, a in ipairs { "bind", "--out", tmp } do argv[#argv + 1] = a end end
      local r = run(argv, { PATH = path })
      local what = file .. " -m " .. script
      assert(not (r.stderr .. r.stdout):find("stack traceback", 1, true), what .. ": a traceback:\n" .. r.stderr)
      assert(r.status and r.status >= 0 and r.status <= 3, what .. ": exit " .. tostring(r.status) .. "\n" .. r.stderr)
      assert(not r.stderr:find("is not an IP address", 1, true) and not r.stderr:find("in none of the node's VLANs", 1, true),
             what .. ": " .. r.stderr)
    end
  end
end)

test("an Ansible inventory is told from a Lua one by content, not only by name", function()
  local dir = filesystem.temp_directory("labsh-ansible-content")
  write(dir .. "/inventory", read(corpus .. "ini-children/hosts.ini"))
  write(dir .. "/labsh.yml", read(corpus .. "ini-children/labsh.yml"))
  local r = run({ "--inventory", dir .. "/inventory", "-e", "print(#lab.nodes(), #lab.guests(), lab.inventory.summary().ansible.reader)" })
  assert_eq(r.stderr, "")
  assert_eq(r.stdout, "4\t2\tansible\n")
  -- A Lua inventory without .lua stays Lua (and its sandbox).
  write(dir .. "/lab", 'local site = { name = "x", domain = "x.lan", timezone = "UTC" }\n'
    .. 'return { site = site, vlans = {}, policy = { default = "deny", rules = {} },\n'
    .. '  nodes = { { name = "a", kind = "server", address = "10.0.0.1" } } }\n')
  r = run({ "--inventory", dir .. "/lab", "-e", "print(lab.inventory.summary().ansible, #lab.nodes())" })
  assert_eq(r.stderr, "")
  assert_eq(r.stdout, "nil\t1\n")
end)

test("what labsh needs beyond Ansible is reported at once, for every host, with an example", function()
  local ok, err = pcall(lab.ansible.load, corpus .. "bad-names/hosts.ini")
  assert_eq(ok, false)
  assert_eq(err.kind, "ansible")
  local message = err.message
  -- Both problems in one message, each naming all its hosts.
  for _, name in ipairs { "Web_1", "web_2", "web3", "printer" } do
    assert(message:find("no kind[^\n]*" .. name), "kind problem misses " .. name .. ":\n" .. message)
  end
  assert(message:find("host names[^\n]*Web_1, web_2"), message)
  assert(not message:find("host names[^\n]*web3"), message)
  assert(message:find("for example: labsh_name: web%-1"), message)
  assert(message:find("for example: labsh_kind: "), message)
end)

test("ansible_user, ansible_port, the key file and become map onto ssh; passwords are never copied", function()
  local remote = require "labsh.remote"
  lab.inventory.load(corpus .. "ini-children/hosts.ini")
  local a = assert(remote.access("apps02"))
  assert_eq(a.user, "ops")
  assert_eq(a.port, 2222)
  assert_eq(a.key, "file:" .. os.getenv("HOME") .. "/.ssh/homelab_ed25519")  -- ~ expanded, as Ansible does
  assert_eq(assert(remote.access("pve1")).user, "root")
  -- A name stays a name for ssh; the address comes from labsh_address.
  lab.inventory.load(corpus .. "fqdn/hosts.yml")
  local desk = assert(remote.access("desk.lab.example.org"))
  assert_eq(desk.host, "desk-wired.lab.example.org")
  assert_eq(lab.node("desk.lab.example.org").address, "10.8.0.50")
  -- Vault values are left unread, with a note; a reference is kept.
  local summary = lab.inventory.load(corpus .. "vault/hosts.yml")
  local notes = table.concat(summary.warnings, "\n")
  assert(notes:find("ansible_become_password is vault%-encrypted and was left unread[^\n]*pve%-main"), notes)
  assert(notes:find("api_token is vault%-encrypted and was left unread[^\n]*opnsense"), notes)
  assert_eq(assert(remote.access("pve-main")).sudo_password, "env:PVE_MAIN_SUDO")
  -- A password written in the inventory is not copied.
  summary = lab.inventory.load(corpus .. "ip-hosts/hosts")
  notes = table.concat(summary.warnings, "\n")
  assert(notes:find("become password written in the inventory was not copied[^\n]*192%.168%.50%.11"), notes)
  assert_eq(assert(remote.access("nuc2")).sudo_password, nil)
  assert_eq(lab.node("nuc2").address, "192.168.50.11")
  lab.inventory.load()
end)

test("an import has its own VLANs or none, never the built-in homelab's", function()
  local summary = lab.inventory.load(corpus .. "ip-hosts/hosts")
  assert_eq(summary.vlans, 0)
  assert_eq(lab.inventory.current().site.domain, "home.arpa")
  summary = lab.inventory.load(corpus .. "ini-children/hosts.ini")
  assert_eq(summary.vlans, 2)
  assert_eq(lab.guest("apps01").vlan, 30)
  lab.inventory.load()
end)

test("host names resolve only when the overlay asks (resolve_names: true)", function()
  local dir = filesystem.temp_directory("labsh-ansible-resolve")
  write(dir .. "/hosts.yml", "all:\n  hosts:\n    box:\n      ansible_host: localhost\n      labsh_kind: server\n")
  local ok, err = pcall(lab.ansible.load, dir .. "/hosts.yml", { reader = "builtin" })
  assert_eq(ok, false)
  assert(err.message:find("address is a name[^\n]*: box"), err.message)
  write(dir .. "/labsh.yml", "resolve_names: true\n")
  for _, reader in ipairs { "ansible", "builtin" } do
    local imported = lab.ansible.load(dir .. "/hosts.yml", { reader = reader })
    local data = model.validate(imported.inventory, "resolve")
    assert_eq(data.nodes[1].address, "127.0.0.1")
    assert_eq(imported.inventory.nodes[1].ssh.host, "localhost")
  end
end)

test("gen ansible -> import -> gen ansible is a fixed point, storage included", function()
  for _, reader in ipairs { "ansible", "builtin" } do
    lab.inventory.load()
    local dir = filesystem.temp_directory("labsh-ansible-fixed")
    local first = lab.ansible.export()
    assert(first:find("storage_bytes: %d+"), "the export carries storage")
    write(dir .. "/hosts.yml", first)
    write(dir .. "/labsh.yml", lab.ansible.overlay())
    local imported = lab.ansible.load(dir .. "/hosts.yml", { reader = reader })
    local _, _, handle = model.validate(imported.inventory, dir .. "/hosts.yml")
    assert_eq(lab.ansible.export(handle), first, reader)
    -- And from a corpus inventory: its export and overlay read back the same.
    lab.inventory.load(corpus .. "vars-dirs/inventory.ini")
    local again = lab.ansible.export()
    write(dir .. "/hosts.yml", again)
    write(dir .. "/labsh.yml", lab.ansible.overlay())
    imported = lab.ansible.load(dir .. "/hosts.yml", { reader = reader })
    _, _, handle = model.validate(imported.inventory, dir .. "/hosts.yml")
    assert_eq(lab.ansible.export(handle), again, reader .. " (vars-dirs)")
  end
  lab.inventory.load()
end)

test("a vault-encrypted vars file: Ansible stops at it, the built-in reader leaves it unread and says so", function()
  local dir = filesystem.temp_directory("labsh-ansible-vault-file")
  assert(lab.process.run { argv = { "mkdir", dir .. "/host_vars" }, read_only = true }.status == 0)
  write(dir .. "/hosts.yml", "all:\n  hosts:\n    box1: {ansible_host: 10.1.1.1, labsh_kind: server}\n")
  -- The header of an `ansible-vault encrypt`ed file; its body is never read.
  write(dir .. "/host_vars/box1.yml", "$ANSIBLE_VAULT;1.1;AES256\n6463343466633336\n")
  local summary = lab.inventory.load(dir .. "/hosts.yml")
  assert_eq(summary.nodes, 1)
  assert_eq(summary.ansible.reader, "builtin")
  local notes = table.concat(summary.warnings, "\n")
  assert(notes:find("ansible%-inventory stopped at a vault%-encrypted file"), notes)
  assert(notes:find("host_vars/box1.yml is vault%-encrypted and was left unread"), notes)
  lab.inventory.load()
end)

test("labsh -m gen ansible, then --inventory on its output: the same file again, without an overlay file", function()
  for _, start in ipairs { false, corpus .. "ini-children/hosts.ini" } do
    for _, reader in ipairs { "ansible", "builtin" } do
      local dir = filesystem.temp_directory("labsh-ansible-gen")
      local env = { LABSH_ANSIBLE_INVENTORY = reader == "builtin" and "/nonexistent/ansible-inventory" or nil }
      local args = start and { "--inventory", start } or {}
      local first = table.move({ "-m", "gen", "ansible", "--out", dir }, 1, 5, #args + 1, args)
      local r = run(first, env)
      assert_eq(r.status, 0, r.stderr)
      assert(lab.process.run { argv = { "mkdir", dir .. "/again" }, read_only = true }.status == 0)
      r = run({ "--inventory", dir .. "/inventory.yml", "-m", "gen", "ansible", "--out", dir .. "/again" }, env)
      assert_eq(r.status, 0, r.stderr)
      local text = read(dir .. "/inventory.yml")
      assert(text:find("labsh_overlay:"), "the export carries the overlay")
      assert_eq(read(dir .. "/again/inventory.yml"), text, (start or "built-in") .. " with " .. reader)
    end
  end
end)
