-- Any homelab, not only the plan's (issue 16): every shipped script (listed
-- from scripts/ and scripts/playbooks/, so a new one is covered) and the
-- main bindings run on each inventory of Tests/inventories/, labs shaped
-- unlike the plan's. None may end in a traceback, exit outside the script
-- contract (0, 1, 2, 3) or exit 0 after saying "[error]". Then what each
-- lab is there to show, inventory by inventory.
--
-- Everything runs with --dry-run, in a state directory of its own.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end
local tmp = filesystem.temp_directory("labsh-any-homelab-spec")
local DIR = "Tests/inventories"

-- labsh with `args` on inventory `file` (a name in Tests/inventories), in
-- check mode unless `writes` (gen, into this spec's temporary directory).
local function run(file, args, writes)
  local argv = { labsh, writes and "--yes" or "--dry-run", "--inventory", DIR .. "/" .. file }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local env = { LABSH_STATE_DIR = tmp .. "/state", XDG_CONFIG_HOME = tmp .. "/no-config",
                XDG_DATA_HOME = tmp .. "/no-data", LABSH_INVENTORY = false, LABSH_PATH = false }
  return lab.process.run { argv = argv, env = env, timeout = 120, read_only = true }
end

local function listing(dir)
  local r = lab.process.run { argv = { "find", dir, "-maxdepth", "1", "-name", "*.lua", "-printf", "%f\n" },
                              read_only = true }
  assert_eq(r.status, 0, r.stderr)
  local names = {}
  for file in r.stdout:gmatch("[^\n]+") do names[#names + 1] = file end
  table.sort(names)
  return names
end

local INVENTORIES = listing(DIR)

local function scripts()
  local names = {}
  for _, dir in ipairs { "scripts", "scripts/playbooks" } do
    for _, file in ipairs(listing(dir)) do names[#names + 1] = (file:gsub("%.lua$", "")) end
  end
  assert(#names >= 20, "found only " .. #names .. " scripts: run from the repository's top directory")
  return names
end

-- What a script needs to do its work rather than print its usage.
local function arguments(script, file)
  if script == "node-failure" then
    local r = run(file, { "-e", "print(lab.nodes()[1].name)" })
    return { (r.stdout:gsub("%s+$", "")) }
  elseif script == "gen" then
    return { "bind", "--out", tmp .. "/gen-" .. file }
  end
  return {}
end

-- The contract every run keeps.
local function sound(r, what)
  assert(not r.stderr:find("stack traceback", 1, true), what .. ": a traceback:\n" .. r.stderr)
  assert(not r.stdout:find("stack traceback", 1, true), what .. ": a traceback on stdout:\n" .. r.stdout)
  assert(r.status and r.status >= 0 and r.status <= 3, what .. ": exit " .. tostring(r.status) .. "\n" .. r.stderr)
  if r.status == 0 then
    assert(not (r.stdout .. r.stderr):find("[error]", 1, true), what .. ": exit 0 after an [error]:\n" .. r.stdout .. r.stderr)
  end
end

test("the corpus: at least six inventories, each one loads", function()
  assert(#INVENTORIES >= 6, "only " .. #INVENTORIES .. " inventories in " .. DIR)
  for _, file in ipairs(INVENTORIES) do
    local r = run(file, { "-m", "inventory", "check" })
    assert_eq(r.status, 0, file .. ": " .. r.stderr .. r.stdout)
  end
end)

test("every shipped script on every inventory: no traceback, an exit code of the contract", function()
  for _, file in ipairs(INVENTORIES) do
    for _, script in ipairs(scripts()) do
      for _, format in ipairs { "text", "json" } do
        local args = { "--format", format, "-m", script }
        for _, a in ipairs(arguments(script, file)) do args[#args + 1] = a end
        local r = run(file, args)
        sound(r, file .. " --format " .. format .. " -m " .. script)
        local refused = r.status == 2 or (r.status == 3 and r.stdout:find("^%u+ UNKNOWN: ")) -- a check's refusal
        if format == "json" and not refused and r.stdout ~= "" and script ~= "gen" then
          -- one JSON document (a playbook of several plays: one per line)
          local first = r.stdout:match("^[^\n]+")
          assert(pcall(lab.json.decode, first), file .. " -m " .. script .. ": not JSON:\n" .. r.stdout:sub(1, 300))
        end
      end
    end
  end
end)

-- The bindings a user's script starts from.
local BINDINGS = [[
local n = 0
for _, f in ipairs {
  function() return lab.nodes() end, function() return lab.guests() end, function() return lab.vlans() end,
  function() return lab.services() end, function() return lab.totals() end,
  function() return lab.net.matrix() end, function() return lab.sim.n_minus_1() end,
  function() return lab.sim.fail(lab.nodes()[1].name) end, function() return lab.capacity.report() end,
  function() return lab.alert.rules() end, function() return lab.inventory.summary() end,
} do
  local ok, result = pcall(f)
  if not ok then error("binding " .. n + 1 .. ": " .. tostring(result), 0) end
  n = n + 1
end
print(n)
]]

test("the main bindings run on every inventory", function()
  for _, file in ipairs(INVENTORIES) do
    local r = run(file, { "-e", BINDINGS })
    sound(r, file .. " bindings")
    assert_eq(r.status, 0, file .. ": " .. r.stderr)
    assert_eq(r.stdout, "11\n", file)
  end
end)

-- ---- Per inventory ------------------------------------------------------------

-- The "+ignoreip" lines of security-hardening's check mode, one per host.
local function hardened_hosts(file)
  local r = run(file, { "-m", "security-hardening" })
  sound(r, file .. " security-hardening")
  local count, ignore = 0, nil
  for line in r.stdout:gmatch("[^\n]+") do
    local value = line:match("^%s*%+ignoreip = (.*)$")
    if value then count, ignore = count + 1, value end
  end
  return count, ignore, r
end

test("riverside: hardening renders for every Linux host, never banning infra (trust critical), whatever its name", function()
  local count, ignore, r = hardened_hosts("riverside.lua")
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("PLAY [security-hardening] 7 hosts", 1, true), r.stdout:sub(1, 300))
  assert_eq(count, 7)
  assert_eq(ignore, "127.0.0.1/8 ::1 10.5.0.0/24")
end)

test("riverside: proxmox-setup acts on the role pve through targets.hypervisors, and quotes no plan", function()
  local r = run("riverside.lua", { "-m", "proxmox-setup" })
  sound(r, "proxmox-setup")
  assert(r.stdout:find("PLAY [proxmox-setup] 3 hosts", 1, true), r.stdout:sub(1, 300))
  assert(r.stdout:find("hv-a: the inventory gives no os", 1, true), r.stdout)
  assert(not r.stdout:find("§", 1, true), "plan text in another lab:\n" .. r.stdout)
  assert(not r.stdout:find("K8s -> Management", 1, true), r.stdout)
end)

test("riverside: the DMZ is found by `public` on VLAN 30, not by VLAN 50 (IoT here)", function()
  local r = run("riverside.lua", { "-e", [[
    local r = lab.sim.fail("internet")
    for _, s in ipairs(r.services) do print(s.service .. ": " .. s.reason) end ]] })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("blog: public service without a path to the internet", 1, true), r.stdout)
  assert(not r.stdout:find("home-assistant", 1, true), r.stdout)
end)

test("riverside: the report checks the lab's own deny rules and finds the shadowed one", function()
  local r = run("riverside.lua", { "--format", "json", "-m", "report" })
  sound(r, "report")
  local data = lab.json.decode(r.stdout)
  local policy
  for _, s in ipairs(data.sections) do if s.title == "Policy" then policy = s end end
  assert(policy, r.stdout)
  assert_eq(policy.status, "attention")
  assert_eq(#policy.rows, 6)
  local violated = {}
  for _, row in ipairs(policy.rows) do
    if row.result == "VIOLATED" then violated[#violated + 1] = row.from .. "->" .. row.to end
  end
  assert_eq(table.concat(violated, ","), "iot->apps")
end)

test("riverside: gen bind writes web1.riverside.lan once, not with the domain doubled", function()
  local out = tmp .. "/bind-riverside"
  filesystem.private_directory(out)
  local r = run("riverside.lua", { "-m", "gen", "bind", "--out", out }, true)
  assert_eq(r.status, 0, r.stderr)
  local zone = assert(io.open(out .. "/db.riverside.lan")):read("a")
  assert(zone:find("\nweb1%s+IN A%s+10%.30%.0%.11"), zone)
  local reverse = assert(io.open(out .. "/db.0.30.10.in-addr.arpa")):read("a")
  assert(reverse:find("PTR%s+web1%.riverside%.lan%.\n"), reverse)
  assert(not (zone .. reverse):find("riverside.lan.riverside.lan", 1, true))
end)

test("riverside: capacity prints no etcd and no GPU column for a lab with neither", function()
  local r = run("riverside.lua", { "-m", "capacity" })
  sound(r, "capacity")
  local header = r.stdout:match("\n(%s+node%s+impact[^\n]*)")
  assert(header, r.stdout)
  assert(not header:find("etcd"), header)
  assert(not header:find("gpu"), header)
end)

test("single: nothing to do for k8s-bootstrap (exit 0); sections it lacks are not configured", function()
  local r = run("single.lua", { "-m", "k8s-bootstrap" })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("nothing to do", 1, true), r.stdout)
  r = run("single.lua", { "-m", "check-backups" })
  assert_eq(r.status, 3, r.stdout .. r.stderr)
  assert(r.stdout:find("BACKUPS UNKNOWN: not configured: the inventory has no backups", 1, true), r.stdout)
  r = run("single.lua", { "--format", "json", "-m", "report" })
  sound(r, "report")
  local by = {}
  for _, s in ipairs(lab.json.decode(r.stdout).sections) do by[s.title] = s end
  assert_eq(by.Backups.status, "not configured")
  assert_eq(by.Policy.status, "not configured")
end)

test("single: node-failure with a typo is a usage error naming the node, no traceback", function()
  local r = run("single.lua", { "-m", "node-failure", "--node", "bx" })
  sound(r, "node-failure")
  assert_eq(r.status, 2, r.stderr)
  assert(r.stderr:find("'bx'", 1, true), r.stderr)
end)

test("ipv6only: gen openwrt takes the WAN by DHCPv6 and lets DHCPv6 in", function()
  local out = tmp .. "/openwrt-v6"
  filesystem.private_directory(out)
  local r = run("ipv6only.lua", { "-m", "gen", "openwrt", "--out", out }, true)
  assert_eq(r.status, 0, r.stderr)
  local network = assert(io.open(out .. "/network")):read("a")
  local wan = network:match("config interface 'wan'\n(.-)\n\n") or network:match("config interface 'wan'\n(.*)$")
  assert(wan and wan:find("option proto 'dhcpv6'", 1, true), network)
  assert(not network:find("option proto 'dhcp'\n", 1, true), network)
  local firewall = assert(io.open(out .. "/firewall")):read("a")
  assert(firewall:find("option dest_port '547'", 1, true), firewall)
  assert(firewall:find("option family 'ipv6'", 1, true), firewall)
end)

test("nas_sbc: a NAS's disks are storage for others, its RAM no guest capacity", function()
  local r = run("nas_sbc.lua", { "-e", [[
    for _, x in ipairs(lab.capacity.report().resources) do print(x.name, ("%.0f"):format(x.installed)) end ]] })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("storage_nas\t32500000000000", 1, true), r.stdout)
  assert(r.stdout:find("ram\t" .. ("%.0f"):format(24 * 2^30), 1, true), "pi 8 GiB + srv 16 GiB, not the NAS's 32:\n" .. r.stdout)
  local count = hardened_hosts("nas_sbc.lua")
  assert_eq(count, 4)  -- pi, srv and their two containers; not the NAS
end)

test("hagroups: a failed node's guests go to the group's nodes by priority", function()
  local r = run("hagroups.lua", { "-e", [[
    local r = lab.sim.fail("n1")
    for _, m in ipairs(r.moved) do print(m.guest .. " -> " .. m.to) end
    print(#r.stranded .. " stranded") ]] })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "db1 -> n3\ndb2 -> n3\n0 stranded\n")
end)

test("k3s_renamed: Kubernetes under the lab's own role names, through targets", function()
  local r = run("k3s_renamed.lua", { "-m", "k8s-bootstrap" })
  sound(r, "k8s-bootstrap")
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("PLAY [k8s-bootstrap: first server] 1 host", 1, true), r.stdout)
  assert(r.stdout:find("PLAY [k8s-bootstrap: servers] 2 hosts", 1, true), r.stdout)
  assert(r.stdout:find("PLAY [k8s-bootstrap: agents] 1 host", 1, true), r.stdout)
  r = run("k3s_renamed.lua", { "-e", [[ print(lab.sim.fail("h1").etcd) ]] })
  assert_eq(r.stdout, "2/3 ok\n", r.stderr)
end)

test("single: patch-window has no node to patch: nothing to do, exit 0", function()
  local r = run("single.lua", { "-m", "patch-window", "--playbook", tmp .. "/patch.yml" })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("nothing to do", 1, true), r.stdout)
end)

test("node-failure says nothing of Proxmox or etcd quorum in a lab without them", function()
  local r = run("single.lua", { "-m", "node-failure", "box" })
  sound(r, "node-failure")
  assert(not r.stdout:find("quorum", 1, true), r.stdout)
  assert(not r.stdout:find("etcd", 1, true), r.stdout)
  r = run("riverside.lua", { "-m", "node-failure", "hv-a" })
  assert(r.stdout:find("Proxmox quorum: 2/3 ok\n", 1, true), r.stdout)
end)

test("a simulation report speaks of Proxmox, etcd, GPUs and the internet only where the lab has them", function()
  local r = run("single.lua", { "-e", [[ print(tostring(lab.sim.fail("box"))) ]] })
  assert_eq(r.status, 0, r.stderr)
  for _, word in ipairs { "proxmox", "etcd", "GPU", "internet" } do
    assert(not r.stdout:find(word .. " ", 1, true), word .. " in:\n" .. r.stdout)
  end
  r = run("riverside.lua", { "-e", [[ print(tostring(lab.sim.fail("hv-a"))) ]] })
  assert(r.stdout:find("proxmox 2/3 ok, internet up", 1, true), r.stdout)
  assert(not r.stdout:find("etcd ", 1, true), r.stdout)
end)

test("a play whose hosts match nothing ends with the reason, not a traceback", function()
  local path = tmp .. "/no-hosts.lua"
  local f = assert(io.open(path, "w"))
  f:write('return lab.playbook { name = "x", hosts = { role = "proxmox" }, tasks = { lab.task.command { "true" } } }\n')
  f:close()
  local r = run("riverside.lua", { path })
  sound(r, "a play of role proxmox on riverside")
  assert_eq(r.status, 1, r.stderr)
  assert(r.stderr:find('x: hosts: .*unknown role "proxmox"'), r.stderr)
end)

test("every script answers --help on every inventory, also with nothing to do", function()
  for _, file in ipairs(INVENTORIES) do
    for _, script in ipairs(scripts()) do
      local r = run(file, { "-m", script, "--help" })
      sound(r, file .. " -m " .. script .. " --help")
      assert_eq(r.status, 0, file .. " -m " .. script .. " --help: " .. r.stderr)
      assert(r.stdout:find("^usage: "), file .. " -m " .. script .. " --help:\n" .. r.stdout)
    end
  end
  local r = run("single.lua", { "-m", "k8s-bootstrap", "--bogus" })
  assert_eq(r.status, 2, r.stderr)
end)

test("lab.sim.n_minus_1 rows leave etcd and gpu out where the lab has neither", function()
  local r = run("riverside.lua", { "-e", [[
    local row = lab.sim.n_minus_1()[1]
    print(row.etcd, row.gpu, row.proxmox)
    print(require("labsh.pretty").format(lab.sim.n_minus_1()):match("^[^\n]+")) ]] })
  assert_eq(r.status, 0, r.stderr)
  local first, header = r.stdout:match("^([^\n]+)\n([^\n]+)")
  assert_eq(first, "nil\tnil\t1/3 LOST")
  assert(not header:find("etcd") and not header:find("gpu"), header)
  r = run("k3s_renamed.lua", { "-e", [[ print(lab.sim.n_minus_1()[1].etcd) ]] })
  assert(r.stdout:find("^%d/3 "), r.stdout .. r.stderr)
end)

test("patch-window in a lab without maintenance windows says they are not configured", function()
  local r = run("riverside.lua", { "-m", "patch-window", "--playbook", tmp .. "/patch.yml" })
  sound(r, "patch-window")
  local said = r.stdout .. r.stderr
  assert(said:find("maintenance windows: not configured", 1, true), said)
  assert(not said:find("outside the maintenance window", 1, true), said)
end)
