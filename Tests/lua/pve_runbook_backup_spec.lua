-- backup-drill on Proxmox VE backups, end to end against the simulator
-- (run with Tests/run-with-servers.sh), on the three-node lab of
-- pve_runbook_support: the newest vzdump archive restored to a scratch
-- VMID, started, checked and destroyed; the scratch guest is destroyed
-- also when its start fails and when labsh is stopped mid-restore.

local rb = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_runbook_support.lua")
local s = rb.sim

local function has(text, piece, what)
  if not text:find(piece, 1, true) then error(("%s: expected %q in:\n%s"):format(what or "output", piece, text), 2) end
end

-- The VMIDs the cluster has now, sorted.
local function vmids()
  local list = {}
  for vmid in pairs(rb.placement()) do list[#list + 1] = vmid end
  table.sort(list)
  return list
end

local function drills(dir)
  local out = {}
  for _, line in ipairs(s.audit(dir)) do if line.action == "pve.drill" then out[#out + 1] = line end end
  return out
end

test("backup-drill --guest: the newest backup restored to a scratch VMID, started, checked, destroyed", function()
  local dir = rb.setup(3, 9)
  local before = vmids()
  local r = rb.labsh(dir, { "--yes", "-m", "backup-drill", "--guest", "guest4" })
  assert_eq(r.status, 0, r.stderr)
  has(r.stdout, "backup drill on pve:guest4: OK: pbs:backup/vm/1003/")
  has(r.stdout, "restored to VMID 100, started and running; scratch guest destroyed")
  assert_same(vmids(), before)
  local lines = drills(dir)
  assert_eq(lines[#lines].outcome, "passed")
  assert_eq(lines[#lines].details.scratch_vmid, 100)
  local destroyed = false
  for _, line in ipairs(s.audit(dir)) do
    if line.action == "pve.destroy" and line.outcome == "done" then destroyed = true end
  end
  assert(destroyed, "the destroy is audited")
end)

test("backup-drill of a container's backup restores it as a container", function()
  local dir = rb.setup(3, 9)
  local r = rb.labsh(dir, { "--yes", "--format", "json", "-m", "backup-drill", "--guest", "1000" })
  assert_eq(r.status, 0, r.stderr)
  local report = lab.json.decode(r.stdout)
  assert(report.backup:find("^pbs:backup/ct/1000/"), report.backup)
  assert_eq(report.passed, true)
  has(r.stderr, "POST /api2/json/nodes/node1/lxc ")
end)

test("backup-drill --dry-run prints the API calls and restores nothing", function()
  local dir = rb.setup(3, 9)
  local before = vmids()
  local r = rb.labsh(dir, { "--dry-run", "-m", "backup-drill", "--guest", "guest4" })
  assert_eq(r.status, 0, r.stderr)
  has(r.stderr, "POST /api2/json/nodes/node1/qemu archive=pbs")
  has(r.stdout, "dry run, nothing restored")
  assert_same(vmids(), before)
end)

test("a restored guest that fails to start fails the drill, and is destroyed all the same", function()
  local dir = rb.setup(3, 9)
  local before = vmids()
  s.control("inject", { type = "qmstart", exitstatus = "start failed: QEMU exited with code 1", count = 1 })
  local r = rb.labsh(dir, { "--yes", "-m", "backup-drill", "--guest", "guest4" })
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "FAILED")
  has(r.stderr, "start failed: QEMU exited with code 1")
  has(r.stderr, "VMID 100 destroyed")
  assert_same(vmids(), before)
  local lines = drills(dir)
  has(lines[#lines].outcome, "failed")
end)

test("a stop (SIGINT) mid-restore waits for the restore, then destroys the scratch guest", function()
  local dir = rb.setup(3, 9)
  local before = vmids()
  s.control("inject", { type = "qmrestore", seconds = 2, count = 1 })
  local status, stderr = rb.interrupted(dir, { "--yes", "-m", "backup-drill", "--guest", "guest4" }, "restoring ")
  assert_eq(status, 130, stderr)
  has(stderr, "VMID 100 destroyed")
  assert_same(vmids(), before)
end)

test("backup-drill: REPO or --guest, not both, not neither (usage, exit 2)", function()
  local dir = rb.setup(3, 9)
  assert_eq(rb.labsh(dir, { "-m", "backup-drill" }).status, 2)
  assert_eq(rb.labsh(dir, { "-m", "backup-drill", "/srv/repo", "--guest", "guest4" }).status, 2)
end)

test("backup-restore --guest: the newest backup restored to a new VMID, started and kept", function()
  local dir = rb.setup(3, 9)
  local dry = rb.labsh(dir, { "--dry-run", "-m", "backup-restore", "--guest", "guest7" })
  assert_eq(dry.status, 0, dry.stderr)
  has(dry.stderr, "POST /api2/json/nodes/node1/qemu archive=pbs%3Abackup%2Fvm%2F1006%2F")
  assert_eq(rb.placement()[100], nil)
  local r = rb.labsh(dir, { "--yes", "-m", "backup-restore", "--guest", "guest7" })
  assert_eq(r.status, 0, r.stderr)
  local restored = rb.placement()[100]
  assert(restored, "VMID 100 exists")
  assert_eq(restored.status, "running")
  assert_eq(restored.name, "guest7")
end)

test("backup-restore: a restored guest that does not start is destroyed (rolled back)", function()
  local dir = rb.setup(3, 9)
  s.control("inject", { type = "qmstart", exitstatus = "start failed: no bootable device", count = 1 })
  local r = rb.labsh(dir, { "--yes", "-m", "backup-restore", "--guest", "guest7", "--vmid", "4242" })
  assert_eq(r.status, 1, r.stderr)
  has(r.stderr, "no bootable device")
  has(r.stderr, "VMID 4242 destroyed")
  assert_eq(rb.placement()[4242], nil)
  assert_eq(rb.labsh(dir, { "-m", "backup-restore", "--guest", "guest7", "--repo", "/x" }).status, 2)
end)

test("backup-restore stopped (SIGINT) mid-restore: the runbook's rollback destroys what the restore made", function()
  local dir = rb.setup(3, 9)
  local before = vmids()
  s.control("inject", { type = "qmrestore", seconds = 2, count = 1 })
  local status, stderr = rb.interrupted(dir, { "--yes", "-m", "backup-restore", "--guest", "guest4", "--vmid", "777" },
                                        "restoring ")
  assert_eq(status, 130, stderr)
  has(stderr, "VMID 777 destroyed")
  assert_same(vmids(), before)
  local ends = rb.runbook_audit(dir)
  assert_eq(ends[#ends].details.state, "rolled back", stderr)
end)
