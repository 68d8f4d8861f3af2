-- The four playbooks of plan §3.1 (scripts/playbooks/), run as `labsh -m
-- NAME` against the built-in homelab, which has no ssh section: --dry-run
-- lists the plan per host without contacting anything, a real run refuses.
--
-- Every child labsh gets a scratch XDG_CONFIG_HOME, no LABSH_INVENTORY and
-- its own state directory: a person's own inventory, which may reach real
-- hosts, is never used (the first test proves it before any real run).
-- The playbooks are found as `labsh -m` finds them: embedded in the binary,
-- or on LABSH_PATH (LABSH_PATH=$PWD/scripts before a rebuild).

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local root = os.getenv("LABSH_ROOT") or "."
local tmp = filesystem.temp_directory("labsh-playbooks-spec")

local function run(...)
  return lab.process.run { argv = { labsh, ... }, timeout = 60,
    env = { XDG_CONFIG_HOME = tmp .. "/config", LABSH_INVENTORY = false, LABSH_STATE_DIR = tmp .. "/state" } }
end

local PVE = { "pve1", "pve2", "pve3", "pve4", "pve5" }
local MASTERS = { "k8s-m1", "k8s-m2", "k8s-m3" }
local AGENTS = { "k8s-w1", "k8s-w2", "k8s-w3", "k8s-w4", "k8s-w5", "k8s-w6", "k8s-w7", "k8s-gpu1" }
local NOT_LINUX = { "z440", "gw1", "sw1", "isp-router" }

local function join(...)
  local out = {}
  for _, list in ipairs { ... } do
    for _, v in ipairs(list) do out[#out + 1] = v end
  end
  return out
end

local PLAYBOOKS = {
  ["proxmox-setup"]      = { hosts = PVE, absent = join(MASTERS, AGENTS, NOT_LINUX) },
  ["security-hardening"] = { hosts = join(PVE, MASTERS, AGENTS), absent = NOT_LINUX },
  ["monitoring-deploy"]  = { hosts = join(PVE, MASTERS, AGENTS), absent = NOT_LINUX },
  ["k8s-bootstrap"]      = { hosts = join(MASTERS, AGENTS), absent = join(PVE, NOT_LINUX) },
}

local function names(t)
  local out = {}
  for name in pairs(t) do out[#out + 1] = name end
  table.sort(out)
  return out
end

-- `text` as a Lua pattern that matches it literally.
local function plain(text) return (text:gsub("%p", "%%%0")) end

local function planned_on(stdout, name) return stdout:find("\n  planned +" .. plain(name) .. "  ") ~= nil end

local function clean_recap(stdout, name)
  return stdout:find("\n  " .. plain(name) .. " +ok=0 changed=0 unreachable=0 failed=0 skipped=0 planned=%d+\n") ~= nil
end

-- Fails unless the children see the built-in homelab, which gives no ssh
-- access: checked before anything runs a playbook without --dry-run.
local isolated
local function assert_isolated()
  if isolated == nil then
    local r = run("-e", "io.write(tostring(lab.inventory.path()), ' ', tostring(lab.inventory.current().ssh))")
    isolated = r.status == 0 and r.stdout == "nil nil"
    assert(isolated, "the child labsh does not use the built-in homelab: " .. r.stdout .. r.stderr)
  end
  assert(isolated, "the child labsh does not use the built-in homelab")
end

test("the children see the built-in homelab, which gives no ssh access", assert_isolated)

for _, name in ipairs(names(PLAYBOOKS)) do
  local expect = PLAYBOOKS[name]

  test(name .. " --dry-run: every task planned on each of its hosts, a recap, exit 0", function()
    local r = run("--dry-run", "-m", name)
    assert_eq(r.status, 0, r.stderr)
    assert(r.stdout:find("^PLAY %[[^\n]*%(check mode, no ssh access: the plan only%)\n"), r.stdout)
    assert(r.stdout:find("\nTASK %[") and r.stdout:find("\n  planned "), r.stdout)
    assert(r.stdout:find("\nPLAY RECAP\n", 1, true), r.stdout)
    for _, bad in ipairs { "changed", "failed", "unreachable", "skipped" } do
      assert(not r.stdout:find("\n  " .. bad .. " "), bad .. " in:\n" .. r.stdout)
    end
    for _, h in ipairs(expect.hosts) do
      assert(planned_on(r.stdout, h), h .. " has nothing planned:\n" .. r.stdout)
      assert(clean_recap(r.stdout, h), h .. " has no clean recap line:\n" .. r.stdout)
    end
    for _, h in ipairs(expect.absent) do
      assert(not planned_on(r.stdout, h) and not clean_recap(r.stdout, h), h .. " is in the plan:\n" .. r.stdout)
    end
  end)

  test(name .. " without --dry-run: refused, nothing contacted, exit non-zero", function()
    assert_isolated()
    local r = run("-m", name)  -- refused before anyone is asked
    assert(r.status ~= 0, r.stdout)
    assert(r.stderr:find("no ssh access", 1, true), r.stderr)
    r = run("--yes", "-m", name)
    assert(r.status ~= 0, r.stdout)
    assert(r.stderr:find("no ssh access", 1, true), r.stderr)
    assert(not r.stdout:find("TASK [", 1, true), r.stdout)
  end)
end

test("k8s-bootstrap: the first master, then the other two one at a time, then the agents", function()
  local r = run("--dry-run", "-m", "k8s-bootstrap")
  assert_eq(r.status, 0, r.stderr)
  local plays = {}
  for play in r.stdout:gmatch("PLAY %[([^%]]+)%]") do plays[#plays + 1] = play end
  assert_same(plays, { "k8s-bootstrap: first server", "k8s-bootstrap: servers", "k8s-bootstrap: agents" })
  local function at(text) return r.stdout:find(text, 1, true) or error(text .. " not in:\n" .. r.stdout) end
  assert(at("planned     k8s-m1") < at("PLAY [k8s-bootstrap: servers]"))
  assert(at("PLAY [k8s-bootstrap: servers] 2 hosts") < at("planned     k8s-m2"))
  -- serial = 1: k8s-m2 runs all its tasks before k8s-m3 starts
  local m2_last, m3_first = 0, at("planned     k8s-m3")
  for pos in r.stdout:gmatch("()planned     k8s%-m2") do m2_last = pos end
  assert(m2_last < m3_first, "k8s-m2 and k8s-m3 interleave")
  local m3_last = 0
  for pos in r.stdout:gmatch("()planned     k8s%-m3") do m3_last = pos end
  assert(m3_last < at("PLAY [k8s-bootstrap: agents] 8 hosts"))
  assert(m3_last < at("k8s-w1"))
  -- the join token: never read in check mode, and a secret never shown
  assert(at("file /etc/rancher/k3s/cluster-token"))
  assert(not r.stdout:find("<the token of k8s-m1>", 1, true), "no diff of the token")
  assert(at("https://get.k3s.io"))
end)

----------------------------------------------------------------------------
-- What the playbooks would write: check mode renders each file for a host
-- it may not contact as if the host had none, and prints the diff.

-- path -> the diff that creates it (a directory: its plan line), for the
-- files the playbook writes on `name`, read off `labsh --dry-run -m NAME`.
local function rendered(playbook, name)
  local r = run("--dry-run", "-m", playbook)
  assert(r.status == 0, r.stderr)
  local files, current = {}, nil
  for line in r.stdout:gmatch("[^\n]+") do
    local status, who, what = line:match("^  (%a+) +(%S+) +(.*)$")
    if status then
      local path = who == name and (what:match("^line in (.*)$") or what:match("^%a+ (/%S*)$"))
      current = path or nil
      if current then files[current] = what end
    elseif current and line:match("^      ") then
      local text = line:sub(7)
      files[current] = (files[current]:match("^%a+ /") and "" or files[current]) .. text .. "\n"
    else
      current = nil
    end
  end
  return files
end

local function has(text, line)
  assert(text and text:find("\n+" .. line .. "\n", 1, true), ("no line %q in:\n%s"):format(line, tostring(text)))
end

test("proxmox-setup writes the repository, chrony, sysctl and /etc/hosts from the inventory", function()
  local files = rendered("proxmox-setup", "pve1")
  has(files["/etc/apt/sources.list.d/pve-no-subscription.list"],
    "deb http://download.proxmox.com/debian/pve bookworm pve-no-subscription")
  -- NTP from the Management VLAN's gateway; §4.1 gives that VLAN no internet
  has(files["/etc/chrony/chrony.conf"], "server 192.168.10.1 iburst")
  assert(not files["/etc/chrony/chrony.conf"]:find("pool", 1, true), files["/etc/chrony/chrony.conf"])
  has(files["/etc/sysctl.d/90-labsh.conf"], "vm.swappiness = 10")
  has(files["/etc/hosts"], "192.168.10.11   pve1.homelab.local pve1")
  has(files["/etc/hosts"], "192.168.30.30   k8s-gpu1.homelab.local k8s-gpu1")
  assert(not files["/etc/hosts"]:find("127.0.1.1", 1, true), "Proxmox wants its name on its real address")
end)

test("security-hardening bans nothing from the Management VLAN and turns off ICMP redirects", function()
  local files = rendered("security-hardening", "k8s-w3")
  has(files["/etc/fail2ban/jail.local"], "ignoreip = 127.0.0.1/8 ::1 192.168.10.0/24")
  has(files["/etc/apt/apt.conf.d/20auto-upgrades"], 'APT::Periodic::Unattended-Upgrade "1";')
  has(files["/etc/sysctl.d/90-labsh-hardening.conf"], "net.ipv4.conf.all.accept_redirects = 0")
end)

test("monitoring-deploy points node_exporter at Debian's textfile directory", function()
  local files = rendered("monitoring-deploy", "pve2")
  assert_eq(files["/var/lib/prometheus/node-exporter"], "directory /var/lib/prometheus/node-exporter")
  has(files["/etc/default/prometheus-node-exporter"], 'ARGS="--collector.textfile.directory=/var/lib/prometheus/node-exporter"')
end)

test("k8s-bootstrap: config.yaml per role, etcd snapshots on the §5.1 schedule", function()
  local m1 = rendered("k8s-bootstrap", "k8s-m1")["/etc/rancher/k3s/config.yaml"]
  has(m1, "cluster-init: true")
  has(m1, "node-ip: 192.168.30.11")
  has(m1, "  - k8s-api.homelab.local")
  has(m1, 'etcd-snapshot-schedule-cron: "0 */6 * * *"')
  has(m1, "etcd-snapshot-retention: 28")
  assert(not m1:find("token-file", 1, true), m1)
  local m2 = rendered("k8s-bootstrap", "k8s-m2")["/etc/rancher/k3s/config.yaml"]
  has(m2, "server: https://192.168.30.11:6443")
  has(m2, "token-file: /etc/rancher/k3s/cluster-token")
  has(m2, "secrets-encryption: true")
  local gpu = rendered("k8s-bootstrap", "k8s-gpu1")["/etc/rancher/k3s/config.yaml"]
  has(gpu, "server: https://192.168.30.11:6443")
  has(gpu, "  - topology.kubernetes.io/zone=z440")
  assert(not gpu:find("secrets-encryption", 1, true), gpu)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
