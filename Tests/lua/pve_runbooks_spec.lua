-- node-drain end to end against the Proxmox VE simulator (run with
-- Tests/run-with-servers.sh), on a homelab unlike the plan's: three nodes
-- node1..node3, nine guests guest1..guest9 (guest1, guest5 and guest9 are
-- containers). A drain that succeeds; one refused for Proxmox quorum, one
-- for etcd quorum; a failed migration rolled back; a stop mid-drain rolled
-- back and audited; the dry run's plan with the exact API calls.

local rb = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_runbook_support.lua")
local s = rb.sim

local function has(text, piece, what)
  if not text:find(piece, 1, true) then error(("%s: expected %q in:\n%s"):format(what or "output", piece, text), 2) end
end

-- node1 holds guest1 (VMID 1000, a container), guest4 (1003) and guest7 (1006).
local NODE1 = { 1000, 1003, 1006 }

test("node-drain --dry-run prints the plan and the exact API calls, and moves nothing", function()
  local dir = rb.setup(3, 9)
  local r = rb.labsh(dir, { "--dry-run", "-m", "node-drain", "node1" })
  assert_eq(r.status, 0, r.stderr)
  has(r.stderr, "Proxmox quorum: 3 of 3 online now, 2 without node1, 2 needed")
  has(r.stderr, "POST /api2/json/nodes/node1/lxc/1000/migrate restart=1&target=node")
  has(r.stderr, "POST /api2/json/nodes/node1/qemu/1003/migrate online=1&target=node")
  assert_same(rb.on("node1"), NODE1)
end)

test("node-drain moves every running guest off the node, spread by free RAM, and verifies", function()
  local dir = rb.setup(3, 9)
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1", "--parallel", "2" })
  assert_eq(r.status, 0, r.stderr)
  assert_same(rb.on("node1"), {})
  -- three guests of 4 GiB onto two equal nodes: both take some
  assert(#rb.on("node2") >= 4 and #rb.on("node3") >= 4, r.stderr)
  local ends = rb.runbook_audit(dir)
  assert_eq(ends[#ends].outcome, "ok")
  assert_eq(ends[#ends].details.state, "changed")
  local upids = 0
  for _, line in ipairs(s.audit(dir)) do
    if line.action == "pve.migrate" and line.details and line.details.upid then upids = upids + 1 end
  end
  assert_eq(upids, 3, "each migration's UPID is audited")
end)

test("node-drain is refused when the node's absence would cost Proxmox quorum", function()
  local dir = rb.setup(3, 9)
  s.control("node/node3/offline")
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  s.control("node/node3/online")
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "Proxmox quorum: without node1, 1 of 3 nodes stay online and 2 are needed")
  assert_same(rb.on("node1"), NODE1)
  assert_eq(rb.runbook_audit(dir)[1].outcome, "failed")
end)

test("node-drain is refused when etcd would lose quorum (members by the inventory's k8s_servers)", function()
  -- guest1 (a container on node1: its migration restarts it), guest2 and guest3
  local dir = rb.setup(3, 9, { etcd = { 1, 2, 3 } })
  local stop = rb.labsh(dir, { "--yes", "-e", 'lab.pve.post("/nodes/node2/qemu/1001/status/stop")' })
  assert_eq(stop.status, 0, stop.stderr)
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "etcd quorum: 1 of 3 members would run during the drain and 2 are needed")
  assert_same(rb.on("node1"), NODE1)
end)

test("node-drain keeps etcd members on distinct nodes", function()
  -- guest4 (node1) and guest2 (node2) are members: guest4 must go to node3
  local dir = rb.setup(3, 9, { etcd = { 4, 2 } })
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(rb.placement()[1003].node, "node3")
end)

test("a failed migration rolls the drain back: what moved comes home", function()
  local dir = rb.setup(3, 9)
  s.control("inject", { type = "qmigrate", exitstatus = "migration aborted", count = 1 })
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "migration aborted")
  has(r.stderr, "migrated 1 guest(s) back to node1")
  assert_same(rb.on("node1"), NODE1)
  local ends = rb.runbook_audit(dir)
  assert_eq(ends[#ends].details.state, "rolled back")
end)

test("a stop (SIGINT) mid-drain still migrates back and leaves an audit line", function()
  local dir = rb.setup(3, 9, { migrate_seconds = 2 })
  local status, stderr = rb.interrupted(dir, { "--yes", "--emergency", "-m", "node-drain", "node1", "--parallel", "1" },
                                        "started migration")
  assert_eq(status, 130, stderr)
  has(stderr, "interrupted")
  assert_same(rb.on("node1"), NODE1)
  -- the migration under way was waited for, not left to land after labsh ended
  has(stderr, "waiting for 1 migration(s) still running")
  for _, vmid in ipairs(NODE1) do assert_eq(rb.placement()[vmid].lock, nil, "VMID " .. vmid .. " unlocked") end
  local ends = rb.runbook_audit(dir)
  assert_eq(ends[#ends].outcome, "interrupted", stderr)
  assert_eq(ends[#ends].details.state, "rolled back", stderr)
end)

test("node-drain: usage errors exit 2; an unknown node is refused", function()
  local dir = rb.setup(3, 9)
  assert_eq(rb.labsh(dir, { "-m", "node-drain" }).status, 2)
  assert_eq(rb.labsh(dir, { "-m", "node-drain", "node1", "--parallel", "0" }).status, 2)
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node9" })
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "node9 is not a node of the cluster (its nodes: node1, node2, node3)")
end)

test("node-failure reads the live cluster: HA guests re-placed, the others stranded, quorum", function()
  local dir = rb.setup(3, 9)
  local ha = rb.labsh(dir, { "--yes", "-e",
    'lab.pve.post("/cluster/ha/resources", { sid = "vm:1003" }); lab.pve.post("/cluster/ha/resources", { sid = "vm:1006" })' })
  assert_eq(ha.status, 0, ha.stderr)
  local r = rb.labsh(dir, { "--format", "json", "-m", "node-failure", "node1" })
  assert_eq(r.status, 1, r.stderr)
  local result = lab.json.decode(r.stdout)
  assert_eq(result.source, "live Proxmox VE cluster")
  assert_eq(#result.moved, 2)
  assert_eq(#result.stranded, 1)
  assert_eq(result.stranded[1].guest, "guest1")
  has(result.stranded[1].why, "not HA-managed")
  assert_eq(result.proxmox, "2 of 3 nodes online without node1, 2 needed")
  s.control("node/node2/offline")
  local lost = lab.json.decode(rb.labsh(dir, { "--format", "json", "-m", "node-failure", "node1" }).stdout)
  s.control("node/node2/online")
  assert_eq(#lost.moved, 0)
  assert_eq(#lost.stranded, 3)
  has(lost.reasons[1], "Proxmox quorum")
  -- --model: the inventory's simulation all the same
  local model = lab.json.decode(rb.labsh(dir, { "--format", "json", "-m", "node-failure", "node1", "--model" }).stdout)
  assert_eq(model.source, "lab.sim")
  assert_same(rb.on("node1"), NODE1)  -- nothing changed
end)

-- A labsh playbook standing in for dist-upgrade: it notes each node it
-- patches (or checks, under --dry-run) in `log`.
local function fake_playbook(dir)
  local path, log = dir .. "/fake-patch.lua", dir .. "/patched.log"
  local f = assert(io.open(path, "w"))
  f:write(([[
local node = assert((...) == "--limit" and select(2, ...), "--limit NODE expected")
local log = assert(io.open(%q, "a"))
log:write(lab.options.dry_run and "check " or "patch ", node, "\n")
log:close()
]]):format(log))
  f:close()
  return path, log
end

test("patch-window with Proxmox VE, check mode: drain plans and the playbook in check mode, nothing changed", function()
  local dir = rb.setup(3, 9)
  local playbook, log = fake_playbook(dir)
  local r = rb.labsh(dir, { "--dry-run", "-m", "patch-window", "--playbook", playbook, "--nodes", "node1,node2" })
  assert_eq(r.status, 0, r.stderr)
  has(r.stderr, "POST /api2/json/nodes/node1/qemu/1003/migrate online=1&target=node")
  has(r.stderr, "POST /api2/json/nodes/node2/status command=reboot")
  assert_eq(read_file(log), "check node1\ncheck node2\n")
  assert_same(rb.on("node1"), NODE1)
end)

test("patch-window with Proxmox VE for real: each node drained, patched, rebooted, its guests back", function()
  local dir = rb.setup(3, 9)
  s.control("config", { reboot_seconds = 0.5 })
  local before = rb.placement()
  local playbook, log = fake_playbook(dir)
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "patch-window", "--playbook", playbook, "--nodes", "node1,node2" })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(read_file(log), "patch node1\npatch node2\n")
  has(r.stderr, "node1 is back: online, the cluster quorate (3 of 3 nodes)")
  has(r.stderr, "node2 is back")
  for vmid, g in pairs(rb.placement()) do
    assert_eq(g.node, before[vmid].node, "VMID " .. vmid .. " is home")
    assert_eq(g.status, "running", "VMID " .. vmid .. " runs")
  end
  local reboots = 0
  for _, line in ipairs(s.audit(dir)) do
    if line.action == "pve.reboot" and line.outcome == "done" then reboots = reboots + 1 end
  end
  assert_eq(reboots, 2)
end)

test("patch-window with Proxmox VE: a failed patch stops the window and brings the node's guests home", function()
  local dir = rb.setup(3, 9)
  local playbook = dir .. "/failing.lua"
  write_file(playbook, 'io.stderr:write("apt broke\\n") os.exit(1)\n')
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "patch-window", "--playbook", playbook, "--nodes", "node1" })
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "the playbook for node1 exited 1")
  has(r.stderr, "migrated 3 guest(s) back to node1")
  assert_same(rb.on("node1"), NODE1)
end)

test("node-drain follows a strict HA node-affinity rule", function()
  local dir = rb.setup(3, 9)
  local ha = rb.labsh(dir, { "--yes", "-e", [[
    lab.pve.post("/cluster/ha/resources", { sid = "vm:1003" })
    lab.pve.post("/cluster/ha/rules", { rule = "pinned", type = "node-affinity", resources = "vm:1003",
                                        nodes = "node1,node3", strict = true })]] })
  assert_eq(ha.status, 0, ha.stderr)
  -- node2 and node3 are equally free: without the rule either may win
  s.control("node/node3/offline")
  local refused = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  s.control("node/node3/online")
  assert_eq(refused.status, 1, refused.stderr)
  has(refused.stderr, "guest4 (VMID 1003, 4.0 GiB) fits on no node: node2: not in HA rule pinned")
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(rb.placement()[1003].node, "node3")
end)

test("node-drain waits for HA to carry out migrations it was only asked for", function()
  local dir = rb.setup(3, 9)
  s.control("config", { ha_redirect = true })
  local ha = rb.labsh(dir, { "--yes", "-e",
    'lab.pve.post("/cluster/ha/resources", { sid = "vm:1003" }); lab.pve.post("/cluster/ha/resources", { sid = "vm:1006" })' })
  assert_eq(ha.status, 0, ha.stderr)
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  assert_eq(r.status, 0, r.stderr)
  assert_same(rb.on("node1"), {})
end)

test("patch-window --playbook dist-upgrade: the shipped playbook in check mode on each node alone", function()
  local dir = rb.setup(3, 9)
  local r = rb.labsh(dir, { "--dry-run", "-m", "patch-window", "--playbook", "dist-upgrade", "--nodes", "node2" })
  assert_eq(r.status, 0, r.stderr)
  has(r.stderr, "node2: PLAY [dist-upgrade] 1 host (check mode")
  has(r.stderr, "-m dist-upgrade --limit node2")
end)

test("node-drain with a read-only token fails at its first migration, naming the privilege; nothing moves", function()
  local dir = rb.setup(3, 9, { token = "env:LABSH_TEST_PVE_LIMITED_TOKEN" })
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "needs VM.Migrate on /vms/")
  has(r.stderr, "migrated 0 guest(s) back to node1")
  assert_same(rb.on("node1"), NODE1)
end)

test("a rollback that cannot migrate a guest back exits 3 and says so", function()
  local dir = rb.setup(3, 9)
  -- guest1 (a container) moves; guest4's migration fails; guest1's way back fails too
  s.control("inject", { type = "vzmigrate", exitstatus = "OK", count = 1 })
  s.control("inject", { type = "vzmigrate", exitstatus = "migration aborted: target storage full", count = 1 })
  s.control("inject", { type = "qmigrate", exitstatus = "migration aborted", count = 1 })
  local r = rb.labsh(dir, { "--yes", "--emergency", "-m", "node-drain", "node1" })
  assert_eq(r.status, 3, r.stderr)
  has(r.stderr, "target storage full")
  local ends = rb.runbook_audit(dir)
  has(ends[#ends].details.state, "rollback failed at step 2")
end)
