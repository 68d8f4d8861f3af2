-- labsh -m pve: drift between the inventory and the simulator's cluster
-- (a plan-like table, exit 1 on drift, --format json), trust (the
-- certificate shown; the inventory entry printed only when confirmed),
-- help. Run with Tests/run-with-servers.sh.

local s = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_support.lua")

local function pve(args, vmids, code)
  local dir = s.scratch(nil, vmids)
  local argv = { "-m", "pve" }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  if code then return s.labsh(dir, { "--yes" }, code) end
  return s.labsh(dir, argv)
end

test("the seeded cluster is the inventory: no drift, exit 0", function()
  s.reset()
  local r = pve { "drift" }
  assert_eq(r.status, 0, r.stdout .. r.stderr)
  assert(r.stdout:find("no drift", 1, true), r.stdout)
end)

test("a guest moved, stopped, or known by a VMID the cluster lacks: drift rows, exit 1", function()
  s.reset()
  local moved = pve({}, { ["k8s-m1"] = 101 }, [[
    lab.guest("k8s-m1"):migrate("pve4", { online = true })
    lab.guest("k8s-m1"):stop()]])
  assert_eq(moved.status, 0, moved.stderr)
  local r = pve({ "drift" }, { ["k8s-w1"] = 999 })
  assert_eq(r.status, 1, r.stderr)
  assert(r.stdout:find("~%s+k8s%-m1%s+node%s+pve1%s+pve4"), r.stdout)
  assert(r.stdout:find("~%s+k8s%-m1%s+status%s+running%s+stopped"), r.stdout)
  assert(r.stdout:find("-%s+k8s%-w1%s+guest%s+VMID 999%s+missing"), r.stdout)
  assert(r.stdout:find("+%s+k8s%-w1%s+guest%s+missing%s+VMID 102 on pve1"), r.stdout)
  local json = pve { "drift", "--format", "json" }
  assert_eq(json.status, 1)
  local doc = lab.json.decode(json.stdout)
  assert_eq(doc.in_sync, false)
  assert_eq(#doc.drift, 2, json.stdout)
  assert_eq(doc.drift[1].field, "node")
end)

test("other RAM or cores on the cluster are drift, RAM in sizes people read", function()
  s.reset()
  local changed = pve({}, nil, 'lab.pve.put("/nodes/pve1/qemu/101/config", { memory = "8192", cores = 3 })')
  assert_eq(changed.status, 0, changed.stderr)
  local r = pve({ "drift" }, { ["k8s-m1"] = 101 })
  assert_eq(r.status, 1, r.stderr)
  assert(r.stdout:find("~%s+k8s%-m1%s+ram%s+4 GiB%s+8 GiB"), r.stdout)
  assert(r.stdout:find("~%s+k8s%-m1%s+cores%s+2%s+3"), r.stdout)
end)

test("trust shows the certificate and prints the inventory entry only when confirmed", function()
  local dir = s.scratch()
  local no = s.labsh(dir, { "-m", "pve", "trust", s.env("URL") })
  assert_eq(no.status, 1)
  assert_eq(no.stdout, "", "nothing to paste without consent")
  assert(no.stderr:find("fingerprint  " .. s.env("FINGERPRINT"), 1, true), no.stderr)
  local yes = s.labsh(dir, { "--yes", "-m", "pve", "trust", s.env("URL") })
  assert_eq(yes.status, 0, yes.stderr)
  assert_eq(yes.stdout, ('{ url = %q, fingerprint = %q },\n'):format(s.env("URL"), s.env("FINGERPRINT")))
  local bad = s.labsh(dir, { "-m", "pve", "trust", "http://127.0.0.1:8006" })
  assert_eq(bad.status, 2, bad.stderr)
end)

test("help prints a path's parameters and privilege without a cluster", function()
  local r = s.labsh(s.scratch(), { "-m", "pve", "help", "/nodes/pve1/qemu/101/status/shutdown" })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("needs: VM.PowerMgmt on /vms/101", 1, true), r.stdout)
  assert(r.stdout:find("  forceStop boolean", 1, true), r.stdout)
end)
