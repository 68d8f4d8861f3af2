-- Issue 16, the audit's gaps: what any_homelab_spec, no_plan_names_spec and
-- ansible_import_spec left untested or still wrong.
--
--   * The built-in homelab's own names (every node, guest, VLAN, zone,
--     role, HA group, service, backup and alert it declares), read from the
--     built-in inventory itself, appear in no script's or rule's code: a
--     plan name the hand-written pattern list of no_plan_names_spec misses
--     (k8s-bootstrap's "k8s-api" service and "k8s-etcd" backup) is found.
--   * k8s-bootstrap finds the API's name and the etcd snapshots' schedule in
--     a lab that calls them otherwise.
--   * Another lab's reviews and job history quote no section of the plan.
--   * monitoring-deploy acts on every Linux host of another lab, its VMs
--     and containers included.
--   * The output of `ansible-inventory --list -y` (anchors, quoting) comes
--     in as Ansible read the source.

local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end
local tmp = filesystem.temp_directory("labsh-issue16-gaps-spec")
local DIR = "Tests/inventories"

-- labsh with `args`, on inventory `file` of Tests/inventories (nil: the
-- built-in homelab), in a state directory of this spec's own.
local function run(file, args)
  local argv = { labsh }
  if file then argv[#argv + 1] = "--inventory"; argv[#argv + 1] = DIR .. "/" .. file end
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local env = { LABSH_STATE_DIR = tmp .. "/state", XDG_CONFIG_HOME = tmp .. "/no-config",
                XDG_DATA_HOME = tmp .. "/no-data", LABSH_INVENTORY = false, LABSH_PATH = false, HOME = tmp }
  return lab.process.run { argv = argv, env = env, timeout = 120, read_only = true }
end

-- ---- The built-in homelab's names in code ---------------------------------------

-- Names the built-in homelab shares with labsh's own vocabulary: products
-- and connectors (prometheus, alertmanager, openwrt, proxmox: gen targets,
-- endpoint and section names), a node kind (switch), a probe kind (dns),
-- the `runs_on` keyword (k8s), a prune kind (pbs), the check names labsh
-- publishes (backup-failed, ...), a VLAN's field (gateway) and the script
-- `test`. Each is a word of labsh's model, documented in stdlib/meta.
local VOCABULARY = {
  prometheus = true, alertmanager = true, openwrt = true, proxmox = true, switch = true, dns = true,
  k8s = true, pbs = true, gateway = true, test = true,
  ["backup-failed"] = true, ["service-degraded"] = true, ["config-drift"] = true,
}

-- Every name the built-in homelab declares, from the inventory itself.
local function builtin_names()
  local r = run(nil, { "-e", [[
    local d = lab.inventory.current()
    local seen = {}
    local function add(v) if type(v) == "string" and not seen[v] then seen[v] = true; print(v) end end
    for _, section in ipairs { "nodes", "guests", "vlans", "services", "backups", "ha_groups" } do
      for _, x in ipairs(d[section] or {}) do add(x.name); add(x.role); add(x.zone); add(x.ha_group) end
    end
    for _, rule in ipairs(lab.alert.rules()) do add(rule.name) end ]] })
  assert_eq(r.status, 0, r.stderr)
  local names = {}
  for name in r.stdout:gmatch("[^\n]+") do
    if not VOCABULARY[name] then names[#names + 1] = name end
  end
  assert(#names > 50, "only " .. #names .. " names in the built-in homelab")
  return names
end

-- The code of a line, its comment ("--" or "//" outside a string) cut off.
local function code_of(line, marker)
  local quote = nil
  local i = 1
  while i <= #line do
    local c = line:sub(i, i)
    if quote and c == "\\" then
      i = i + 1
    elseif quote then
      if c == quote then quote = nil end
    elseif c == '"' or (c == "'" and marker == "--") then
      quote = c
    elseif line:sub(i, i + #marker - 1) == marker then
      return line:sub(1, i - 1)
    end
    i = i + 1
  end
  return line
end

local function files(dir, ext)
  local r = lab.process.run { argv = { "find", dir, "-name", "*." .. ext, "-type", "f" }, read_only = true }
  assert_eq(r.status, 0, r.stderr)
  local list = {}
  for path in r.stdout:gmatch("[^\n]+") do
    -- the built-in homelab's own data holds its names by design
    if not path:find("stdlib/labsh/homelab", 1, true) then list[#list + 1] = path end
  end
  table.sort(list)
  return list
end

-- "file:line: name" for every string literal that is exactly a built-in name.
local function literal_hits(paths, names, marker)
  local wanted = {}
  for _, name in ipairs(names) do wanted[name] = true end
  local out = {}
  for _, path in ipairs(paths) do
    local number, in_block = 0, false
    for line in io.lines(path) do
      number = number + 1
      if marker == "--" and line:find("^%s*%-%-%[%[") then in_block = not line:find("%]%]") end
      local code = in_block and "" or code_of(line, marker)
      if in_block and line:find("%]%]") then in_block = false end
      for _, pattern in ipairs { '"([^"\\]*)"', "'([^'\\]*)'" } do
        if pattern:sub(1, 1) == '"' or marker == "--" then
          for text in code:gmatch(pattern) do
            if wanted[text] then out[#out + 1] = ("%s:%d: %s"):format(path, number, text) end
          end
        end
      end
    end
  end
  return out
end

test("the literal scanner finds a built-in name in code and skips it in a comment", function()
  local path = tmp .. "/sample.lua"
  write_file(path, 'local s = lab.service("k8s-api")\n-- lab.service("k8s-api")\n'
    .. "if b.name == 'k8s-etcd' then end\nlocal t = \"a -- b\" .. \"pve1\"\n")
  local found = literal_hits({ path }, { "k8s-api", "k8s-etcd", "pve1" }, "--")
  assert_eq(table.concat(found, "\n"), path .. ":1: k8s-api\n" .. path .. ":3: k8s-etcd\n" .. path .. ":4: pve1")
end)

test("no script or library module has a name of the built-in homelab as a string literal", function()
  local paths = {}
  for _, dir in ipairs { "scripts", "stdlib/lab", "stdlib/labsh" } do
    for _, path in ipairs(files(dir, "lua")) do paths[#paths + 1] = path end
  end
  assert(#paths > 40, "found only " .. #paths .. " Lua files: run from the repository's top directory")
  local found = literal_hits(paths, builtin_names(), "--")
  assert(#found == 0, #found .. " built-in names in code:\n" .. table.concat(found, "\n"))
end)

test("no Swift rule has a name of the built-in homelab as a string literal", function()
  local paths = {}
  for _, path in ipairs(files("Sources", "swift")) do
    -- the Ansible import maps group names people use ("proxmox", "pve") onto kinds
    if not path:find("/Ansible/", 1, true) then paths[#paths + 1] = path end
  end
  local names = {}
  for _, name in ipairs(builtin_names()) do
    -- BindZones takes a service called "dns" for the name server when no
    -- service has a dns probe: see the report of the issue 16 audit
    if name ~= "dns" then names[#names + 1] = name end
  end
  local found = literal_hits(paths, names, "//")
  assert(#found == 0, #found .. " built-in names in Swift rules:\n" .. table.concat(found, "\n"))
end)

-- ---- k8s-bootstrap in a lab of other names --------------------------------------

test("k3s_renamed: k8s-bootstrap takes the API's name and the etcd schedule from the lab's own service and backup", function()
  local r = run("k3s_renamed.lua", { "--dry-run", "-m", "k8s-bootstrap" })
  assert_eq(r.status, 0, r.stderr)
  local first = r.stdout:match("%+%+%+ /etc/rancher/k3s/config.yaml\n(.-)TASK")
  assert(first, r.stdout)
  -- the service kube-apiserver, https on 6443
  assert(first:find("+tls-san:\n      +  - api.kube.lan\n", 1, true), first)
  -- the backup cluster-state of resource "etcd snapshots": every 4 hours for 2 days, 12 kept
  assert(first:find('+etcd-snapshot-schedule-cron: "0 */4 * * *"\n', 1, true), first)
  assert(first:find("+etcd-snapshot-retention: 12\n", 1, true), first)
  -- the built-in homelab keeps its own
  r = run(nil, { "--dry-run", "-m", "k8s-bootstrap" })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("+  - k8s-api.homelab.local\n", 1, true), r.stdout)
  assert(r.stdout:find("+etcd-snapshot-retention: 28\n", 1, true), r.stdout)
end)

-- ---- The plan quoted only for the built-in homelab ------------------------------

test("another lab's reviews and job history quote no section of the plan; the built-in homelab's do", function()
  for _, args in ipairs { { "-m", "weekly-review" }, { "-m", "monthly-review" }, { "-m", "jobs", "history" },
                          { "-m", "report" }, { "-m", "capacity" } } do
    local r = run("riverside.lua", args)
    assert(r.status and r.status <= 3, table.concat(args, " ") .. ": " .. r.stderr)
    assert(not (r.stdout .. r.stderr):find("§", 1, true),
           "riverside " .. table.concat(args, " ") .. " quotes the plan:\n" .. r.stdout .. r.stderr)
  end
  local weekly = run(nil, { "-m", "weekly-review" })
  assert(weekly.stdout:find("Checklist (§12, weekly):", 1, true), weekly.stdout)
  local monthly = run("riverside.lua", { "-m", "monthly-review" })
  assert(monthly.stdout:find("Checklist (monthly):", 1, true), monthly.stdout)
  assert(monthly.stdout:find("the inventory has no budget data: review it by hand\n", 1, true), monthly.stdout)
  local jobs = run(nil, { "-m", "jobs", "history" })
  assert(jobs.stdout:find("(target < 30m, §9)", 1, true), jobs.stdout)
end)

-- ---- monitoring-deploy on every Linux host --------------------------------------

test("riverside: monitoring-deploy puts node_exporter on every Linux host, its VMs and containers too", function()
  local r = run("riverside.lua", { "--dry-run", "-m", "monitoring-deploy" })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("PLAY [monitoring-deploy] 7 hosts", 1, true), r.stdout:sub(1, 300))
  local hosts = run("riverside.lua", { "-e", [[
    for _, g in ipairs(lab.guests()) do print(g.name) end ]] })
  assert_eq(hosts.status, 0, hosts.stderr)
  local guests = 0
  for name in hosts.stdout:gmatch("[^\n]+") do
    guests = guests + 1
    assert(r.stdout:find("planned%s+" .. name:gsub("%p", "%%%0") .. "%s+package"), name .. " gets no node_exporter:\n" .. r.stdout)
  end
  assert(guests >= 3, hosts.stdout)
end)

-- ---- ansible-inventory --list -y comes in ---------------------------------------

-- One line per host: its groups and each variable, to compare two readings.
local COMPARE = [[
local function canon(v)
  if type(v) ~= "table" then return ("%q"):format(tostring(v)) .. type(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = tostring(k) .. "=" .. canon(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
local function lines(path, reader)
  local inv = lab.ansible.import(path, { reader = reader })
  local out = {}
  for name, h in pairs(inv.hosts) do
    local groups = {}
    for _, g in ipairs(h.groups) do if g ~= "all" and g ~= "ungrouped" then groups[#groups + 1] = g end end
    table.sort(groups)
    out[#out + 1] = name .. " [" .. table.concat(groups, ",") .. "] " .. canon(h.vars)
  end
  table.sort(out)
  return table.concat(out, "\n")
end
local source, listed = ...
local a, b = lines(source, "ansible"), lines(listed, "builtin")
if a ~= b then error("Ansible's reading of the source:\n" .. a .. "\nlabsh's of the --list -y output:\n" .. b, 0) end
print(select(2, a:gsub("\n", "")) + 1)
]]

test("the output of ansible-inventory --list -y (anchors, quoting) reads as Ansible read the source", function()
  -- a list shared by two hosts: Ansible writes it once, &id001, then *id001
  local dir = tmp .. "/listed"
  filesystem.private_directory(dir)
  write_file(dir .. "/hosts.ini", table.concat({
    "[nodes]",
    "hv1 ansible_host=10.9.0.2 labsh_kind=hypervisor",
    "hv2 ansible_host=10.9.0.3 labsh_kind=hypervisor",
    "[nodes:vars]",
    "dns_servers=['10.9.0.1', '9.9.9.9']",
    [[motd="yes: it's a 'quoted' \"string\""]],
    "octal='0755'",
    "empty=''",
    "tilde=~",
    [[colon="a: b # not a comment"]],
    "",
  }, "\n"))
  write_file(tmp .. "/compare.lua", COMPARE)
  local sources = { dir .. "/hosts.ini" }
  for _, name in ipairs { "ini-children/hosts.ini", "yaml-anchors/inventory.yml", "vars-dirs/inventory.ini",
                          "fqdn/hosts.yml", "ip-hosts/hosts" } do
    sources[#sources + 1] = assert(os.getenv("PWD")) .. "/" .. DIR .. "/ansible/" .. name
  end
  for i, source in ipairs(sources) do
    local listed = ("%s/listed-%d.yml"):format(tmp, i)
    local r = lab.process.run { argv = { "sh", "-c", 'ansible-inventory -i "$1" --list -y > "$2"', "sh", source, listed },
                                env = { ANSIBLE_HOME = tmp .. "/ansible" }, timeout = 120 }
    assert_eq(r.status, 0, source .. ": " .. r.stderr)
    if i == 1 then
      local text = read_file(listed)
      assert(text:find("&id001", 1, true) and text:find("*id001", 1, true), "no anchor to read:\n" .. text)
    end
    r = run(nil, { tmp .. "/compare.lua", source, listed })
    assert_eq(r.status, 0, source .. ": " .. r.stderr)
    assert(tonumber(r.stdout) >= 2, r.stdout)
  end
  -- and loads as an inventory, every script's --inventory
  local r = run(nil, { "--inventory", tmp .. "/listed-1.yml", "-m", "inventory", "check" })
  assert_eq(r.status, 0, r.stderr .. r.stdout)
  assert(r.stdout:find("2 nodes", 1, true), r.stdout)
end)

-- ---- Reading through Ansible runs no code of the current directory --------------

test("reading through ansible-inventory ignores the current directory's ansible.cfg: no vars plugin, no vault script", function()
  local dir = tmp .. "/repository"
  filesystem.make_directories(dir .. "/plugins")
  local marker = tmp .. "/ran"
  write_file(dir .. "/ansible.cfg", table.concat({
    "[defaults]",
    "vars_plugins = ./plugins",
    "vars_plugins_enabled = host_group_vars,marker",
    "vault_password_file = ./vault-password.sh",
    "",
  }, "\n"))
  write_file(dir .. "/plugins/marker.py", ([[
from ansible.plugins.vars import BaseVarsPlugin
class VarsModule(BaseVarsPlugin):
    REQUIRES_ENABLED = True
    def get_vars(self, loader, path, entities, cache=True):
        open(%q + ".vars", "w").write("x")
        return {}
]]):format(marker))
  write_file(dir .. "/vault-password.sh", ("#!/bin/sh\ntouch '%s.vault'\necho secret\n"):format(marker))
  assert(lab.process.run { argv = { "chmod", "+x", dir .. "/vault-password.sh" } }.status == 0)
  write_file(dir .. "/hosts.ini", "[nodes]\nhv1 ansible_host=10.9.0.2 labsh_kind=hypervisor\n")
  -- Ansible itself, run there, runs both: the directory is a real attack
  local r = lab.process.run { argv = { "ansible-inventory", "-i", "hosts.ini", "--list" }, cwd = dir,
                              env = { ANSIBLE_HOME = tmp .. "/ansible" }, timeout = 120 }
  assert_eq(r.status, 0, r.stderr)
  assert(io.open(marker .. ".vars") and io.open(marker .. ".vault"), "the fixture ran nothing under Ansible")
  os.remove(marker .. ".vars")
  os.remove(marker .. ".vault")
  -- labsh there, the inventory by a relative name
  r = lab.process.run { argv = { labsh, "--inventory", "hosts.ini", "-e", [[
      print(lab.ansible.import("hosts.ini").reader, #lab.nodes()) ]] }, cwd = dir, timeout = 120,
    env = { LABSH_STATE_DIR = tmp .. "/state", HOME = tmp, XDG_CONFIG_HOME = tmp .. "/no-config",
            LABSH_INVENTORY = false, ANSIBLE_HOME = tmp .. "/ansible" } }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "ansible\t1\n")
  assert(not io.open(marker .. ".vars"), "a vars plugin of the current directory ran")
  assert(not io.open(marker .. ".vault"), "the current directory's vault password script ran")
end)

-- ---- The report's Policy section: the lab's boundaries, the plan's eight ----------

local function policy_rows(file)
  local r = run(file, { "--format", "json", "-m", "report" })
  assert(r.status and r.status <= 1, r.stderr)
  for _, s in ipairs(lab.json.decode(r.stdout).sections) do
    if s.title == "Policy" then
      local rows = {}
      for i, row in ipairs(s.rows) do rows[i] = ("%s>%s %s %s"):format(row.from, row.to, row.expected, row.result) end
      return table.concat(rows, "\n"), s
    end
  end
  error("no Policy section:\n" .. r.stdout)
end

test("the report checks the boundaries a lab declares, allows too; the built-in homelab's are the plan's eight", function()
  local rows, section = policy_rows("nosizes.lua")
  assert_eq(rows, "visitors>servers denied ok\nservers>visitors allowed ok")
  assert_eq(section.rows[1].why, "visitors stay out")
  rows = policy_rows(nil)
  assert_eq(rows, table.concat({
    "k8s>management denied ok", "dmz>management denied ok", "dmz>lan denied ok", "dmz>ops denied ok",
    "dmz>k8s denied ok", "lan>management denied ok", "management>ops allowed ok", "ops>k8s allowed ok" }, "\n"))
end)

-- ---- A target that can pick no host ----------------------------------------------

test("a target's misspelt role is a warning with the role meant; a kind that is no kind is an error", function()
  local base = read_file(DIR .. "/k3s_renamed.lua")
  local function check(text)
    local path = tmp .. "/targets.lua"
    write_file(path, text)
    local r = lab.process.run { argv = { labsh, "--inventory", path, "-m", "inventory", "check" }, timeout = 60,
      env = { LABSH_STATE_DIR = tmp .. "/state", HOME = tmp, XDG_CONFIG_HOME = tmp .. "/no-config", LABSH_INVENTORY = false } }
    return r, r.stdout .. r.stderr
  end
  local r, said = check((base:gsub('k8s_servers = { role = "cp" }', 'k8s_servers = { role = "cpx" }')))
  assert_eq(r.status, 0, said)
  assert(said:find("warning: [^\n]*targets%.k8s_servers%.role: no node or guest has the role 'cpx' %(did you mean 'cp'%?%)"), said)
  r, said = check((base:gsub('k8s_agents = { role = "agent" }', 'k8s_agents = { role = "agent", tag = "gpu" }')))
  assert_eq(r.status, 0, said)
  assert(said:find("targets.k8s_agents.tag: no node or guest has the tag 'gpu'", 1, true), said)
  r, said = check((base:gsub('k8s_agents = { role = "agent" }', 'k8s_agents = { kind = "vn" }')))
  assert_eq(r.status, 1, said)
  assert(said:find("targets.k8s_agents.kind: 'vn' is not a kind (did you mean 'vm'?)", 1, true), said)
  -- the corpus and the built-in homelab select only what they have
  r, said = check(base)
  assert(not said:find("warning", 1, true), said)
  r = run(nil, { "-m", "inventory", "check" })
  assert(not (r.stdout .. r.stderr):find("targets", 1, true), r.stdout .. r.stderr)
end)

-- ---- FQDN host names: the domain once, in every record ---------------------------

-- gen bind into a fresh directory; the zone file's text, after named-checkzone.
local function bind_zone(inventory, domain)
  local out = tmp .. "/bind-" .. domain
  filesystem.private_directory(out)
  local r = lab.process.run { argv = { labsh, "--yes", "--inventory", inventory, "-m", "gen", "bind", "--out", out },
    timeout = 120, env = { LABSH_STATE_DIR = tmp .. "/state", HOME = tmp, XDG_CONFIG_HOME = tmp .. "/no-config",
                           LABSH_INVENTORY = false } }
  assert_eq(r.status, 0, r.stderr)
  local zone = out .. "/db." .. domain
  local check = lab.process.run { argv = { "named-checkzone", domain, zone }, timeout = 60, read_only = true }
  assert_eq(check.status, 0, check.stdout .. check.stderr)
  return read_file(zone)
end

test("an Ansible inventory of FQDN host names takes their domain as the site's, and its zone loads", function()
  local path = assert(os.getenv("PWD")) .. "/" .. DIR .. "/ansible/fqdn/hosts.yml"
  local r = run(nil, { "--inventory", path, "-m", "inventory", "check" })
  assert_eq(r.status, 0, r.stderr)
  assert((r.stdout .. r.stderr):find("site.domain is lab.example.org, the domain of the host names", 1, true),
         r.stdout .. r.stderr)
  local zone = bind_zone(path, "lab.example.org")
  assert(zone:find("@%s+IN NS%s+pve1%.lab%.example%.org%.\n"), zone)
  assert(zone:find("\npve1%s+IN A%s+10%.8%.0%.11\n"), zone)
  assert(not zone:find("example.org.lab.example.org", 1, true), zone)
  assert(not zone:find("home.arpa", 1, true), zone)
end)

test("a gateway named with the site's domain: its name server and VLAN records get the domain once", function()
  local path = tmp .. "/fqdn-gateway.lua"
  write_file(path, (read_file(DIR .. "/nosizes.lua"):gsub('name = "fw",', 'name = "fw.attic.lan",')))
  local zone = bind_zone(path, "attic.lan")
  assert(zone:find("@%s+IN NS%s+fw%.attic%.lan%.\n"), zone)
  assert(zone:find("\nfw%-guests%s+IN A%s+10%.9%.2%.1\n"), zone)
  assert(not zone:find("attic.lan.attic.lan", 1, true), zone)
end)

-- ---- Columns a lab has nothing for ------------------------------------------------

test("capacity's n-1 table has a proxmox column only for a lab with a Proxmox VE cluster", function()
  local function header(file)
    local r = run(file, { "-m", "capacity" })
    assert_eq(r.status, 0, r.stderr)
    return assert(r.stdout:match("\n(%s+node%s+impact[^\n]*)"), r.stdout)
  end
  local none = header("nas_sbc.lua")
  assert(not none:find("proxmox", 1, true), none)
  assert(none:find("impact%s+moved"), none)
  assert(header("riverside.lua"):find("impact%s+proxmox%s+moved"), header("riverside.lua"))
end)

-- ---- Terminal escapes in an Ansible inventory ------------------------------------

test("an Ansible inventory's terminal escapes reach no error or note unescaped, with either reader", function()
  local ESC = "\27"
  local files = {
    ["name.ini"] = "[nodes]\nh" .. ESC .. "[31mred ansible_host=10.9.0.2 labsh_kind=server\n",
    ["line.ini"] = "[nodes" .. ESC .. "[2J]\nh1 ansible_host=10.0.0.1\n[x:vars]\nbad" .. ESC .. "[2Jline\n",
    ["key.yml"] = "all:\n  hosts:\n    h1:\n      ansible_host: 10.0.0.1\n  " .. ESC .. "]0;pwn\7bad: [unclosed\n",
  }
  write_file(tmp .. "/load.lua", [[
    local path, reader = ...
    local ok, e = pcall(lab.ansible.load, path, { reader = reader })
    print(ok, tostring(e)) ]])
  for name, text in pairs(files) do
    local path = tmp .. "/escapes-" .. name
    write_file(path, text)
    for _, reader in ipairs { "ansible", "builtin" } do
      local r = run(nil, { tmp .. "/load.lua", path, reader })
      local said = r.stdout .. r.stderr
      assert(said:find("^false\t"), name .. " " .. reader .. ": " .. said)
      assert(not said:find(ESC, 1, true) and not said:find("\7", 1, true),
             name .. " " .. reader .. " printed a raw control character:\n" .. said:gsub("%c", "^"))
    end
  end
  local r = run(nil, { tmp .. "/load.lua", tmp .. "/escapes-name.ini", "builtin" })
  assert(r.stdout:find("h\\u{1B}[31mred", 1, true), r.stdout)
end)

test("a full host name outside the site's domain is a warning saying what gen bind would make of it", function()
  local path = tmp .. "/other-domain.lua"
  write_file(path, (read_file(DIR .. "/single.lua"):gsub('name = "box"', 'name = "box.single.lan"')))
  local r = lab.process.run { argv = { labsh, "--inventory", path, "-m", "inventory", "check" }, timeout = 60,
    env = { LABSH_STATE_DIR = tmp .. "/state", HOME = tmp, XDG_CONFIG_HOME = tmp .. "/no-config", LABSH_INVENTORY = false } }
  local said = r.stdout .. r.stderr
  assert_eq(r.status, 0, said)
  assert(said:find("nodes[1].name: 'box.single.lan' is a full name outside the site's domain den.home.arpa: "
    .. "gen bind would name it box.single.lan.den.home.arpa", 1, true), said)
  -- riverside's web1.riverside.lan is in its domain: no warning
  r = run("riverside.lua", { "-m", "inventory", "check" })
  assert(not (r.stdout .. r.stderr):find("full name", 1, true), r.stdout .. r.stderr)
end)

test("LABSH_ANSIBLE_INVENTORY given relative to the current directory still runs (Ansible runs in /)", function()
  local dir = tmp .. "/relative"
  filesystem.make_directories(dir .. "/bin")
  local which = lab.process.run { argv = { "sh", "-c", "command -v ansible-inventory" }, read_only = true }
  assert_eq(which.status, 0, which.stderr)
  assert(lab.process.run { argv = { "ln", "-sf", (which.stdout:gsub("%s+$", "")), dir .. "/bin/ansible-inventory" } }.status == 0)
  write_file(dir .. "/hosts.ini", "[nodes]\nhv1 ansible_host=10.9.0.2 labsh_kind=hypervisor\n")
  local r = lab.process.run { argv = { labsh, "-e", [[ print(lab.ansible.import("hosts.ini").reader) ]] }, cwd = dir,
    timeout = 120, env = { LABSH_STATE_DIR = tmp .. "/state", HOME = tmp, LABSH_ANSIBLE_INVENTORY = "bin/ansible-inventory",
                           ANSIBLE_HOME = tmp .. "/ansible" } }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "ansible\n")
end)

test("monitoring's zone is its Prometheus's, whatever the service is called", function()
  local path = tmp .. "/metrics.lua"
  write_file(path, (read_file(DIR .. "/riverside.lua"):gsub('    { name = "forge",',
    '    { name = "metrics", tier = 2, runs_on = "git", vlan = 50, technology = "Prometheus" },\n    { name = "forge",')))
  local r = lab.process.run { argv = { labsh, "--inventory", path, "-m", "inventory", "check" }, timeout = 60,
    env = { LABSH_STATE_DIR = tmp .. "/state", HOME = tmp, XDG_CONFIG_HOME = tmp .. "/no-config", LABSH_INVENTORY = false } }
  local said = r.stdout .. r.stderr
  assert_eq(r.status, 0, said)
  assert(said:find("monitoring (iot) cannot reach blog in edge", 1, true), said)
  -- the built-in homelab's three, from its service prometheus (technology Prometheus)
  r = run(nil, { "-m", "inventory", "check" })
  local _, count = (r.stdout .. r.stderr):gsub("monitoring %(ops%) cannot reach", "")
  assert_eq(count, 3, r.stdout .. r.stderr)
end)
