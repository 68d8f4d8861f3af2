-- lab.pve end to end against the Proxmox VE simulator (Tests/servers/
-- pve_sim.py; run with Tests/run-with-servers.sh): the pin, both kinds of
-- auth, every error reason the simulator can give, tasks (warnings,
-- failures, timeouts, many at once), the gate (dry run, --yes, refusal,
-- the audit with the UPID), guests matched by vmid or by name. Writes run
-- in child labsh processes with their own state directory.

local s = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_support.lua")

local function message(err) return type(err) == "table" and tostring(err.message) or tostring(err) end

local function client(extra) return lab.pve.connect(s.section(extra)) end

-- A child labsh on the built-in homelab with the simulator as `proxmox`:
-- its result; `args` before -e.
local function child(args, code, section, vmids)
  local dir = s.scratch(section, vmids)
  return s.labsh(dir, args, code), dir
end

local function guest_status(vmid)
  for _, r in ipairs(lab.pve.resources({ type = "vm" }, client())) do
    if r.vmid == vmid then return r.status, r.node end
  end
end

test("a pinned node answers: quorum, nodes and resources as records", function()
  s.reset()
  local status = lab.pve.status(client())
  assert_eq(status.quorate, true)
  assert_eq(status.online, 5)
  assert_eq(getmetatable(status.nodes[1]).__name, "lab.PveNode")
  local vms = lab.pve.resources({ type = "vm" }, client())
  assert(#vms >= 10, "the homelab's guests")
  assert_eq(getmetatable(vms[1]).__name, "lab.PveResource")
  assert(require("labsh.pretty").format(vms):find("k8s%-m1"), "prints as a table")
end)

test("a wrong fingerprint is a tls error showing both, before any credential is read", function()
  local wrong = ("AB:"):rep(31) .. "AB"
  -- The token's variable does not exist: reading it would be a "secret" error.
  local c = lab.pve.connect { urls = { { url = s.env("URL"), fingerprint = wrong } }, token = "env:LABSH_TEST_PVE_UNSET" }
  local err = s.raised(c.get, c, "/version")
  assert_eq(err.kind, "pve")
  assert_eq(err.reason, "tls")
  assert_eq(err.expected, wrong)
  assert_eq(err.seen, s.env("FINGERPRINT"))
  assert(message(err):find("expected " .. wrong, 1, true) and message(err):find("seen " .. s.env("FINGERPRINT"), 1, true))
end)

test("ca_file verifies the node; insecure works and warns once per run", function()
  local c = lab.pve.connect { urls = { s.env("URL") }, token = "env:LABSH_TEST_PVE_TOKEN", ca_file = s.env("CA") }
  assert(c:get("/version").version, "version over a CA-verified connection")
  local r = child({}, 'local c = lab.pve.client(); c:get("/version"); c:get("/nodes"); print("ok")',
    { urls = { s.env("URL") }, token = "env:LABSH_TEST_PVE_TOKEN", insecure = true })
  assert_eq(r.status, 0, r.stderr)
  local _, warnings = r.stderr:gsub("is not verified", "")
  assert_eq(warnings, 1, "one warning: " .. r.stderr)
end)

test("the system's CAs do not trust a self-signed node: tls", function()
  local c = lab.pve.connect { urls = { s.env("URL") }, token = "env:LABSH_TEST_PVE_TOKEN" }
  assert_eq(s.raised(c.get, c, "/version").reason, "tls")
end)

test("ticket auth reads and writes (CSRF token on writes); a bad password is auth", function()
  s.reset()
  local section = { urls = { { url = s.env("URL"), fingerprint = s.env("FINGERPRINT") } },
                    user = s.env("USER"), password = "env:LABSH_TEST_PVE_PASSWORD" }
  local r = child({ "--yes" }, [[
    local c = lab.pve.client()
    print(#c:get("/nodes"))
    local task = c:post("/nodes/pve1/qemu/101/snapshot", { snapname = "ticket" })
    print(task.exitstatus)]], section)
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "5\nOK\n")
  section.password = "env:LABSH_TEST_PVE_LIMITED_PASSWORD"  -- another user's password
  local err = s.raised(lab.pve.connect(section).get, lab.pve.connect(section), "/nodes")
  assert_eq(err.reason, "auth")
end)

test("a token without the privilege: permission, naming the privilege and ACL path", function()
  s.reset()
  local r = child({ "--yes" }, [[
    local ok, err = pcall(lab.pve.post, "/nodes/pve1/qemu/101/status/stop")
    print(err.reason, err.privilege, err.status)]], s.section { token = "env:LABSH_TEST_PVE_LIMITED_TOKEN" })
  assert_eq(r.stdout, "permission\tVM.PowerMgmt on /vms/101\t403\n", r.stderr)
  assert_eq(guest_status(101), "running", "nothing stopped")
end)

test("a parameter the schema allows but the node refuses: param with PVE's message per parameter", function()
  s.reset()
  local r = child({ "--yes" }, [[
    local ok, err = pcall(lab.pve.post, "/nodes/pve1/qemu/101/snapshot", { snapname = "1-not-an-id" })
    print(err.reason, err["local"], err.status, err.errors and err.errors.snapname ~= nil)]])
  assert_eq(r.stdout, "param\tnil\t400\ttrue\n", r.stderr)
end)

test("an offline node is 'offline' (595); the cluster stays quorate with four of five", function()
  s.reset()
  s.control("node/pve3/offline")
  local err = s.raised(client().get, client(), "/nodes/pve3/status")
  assert_eq(err.reason, "offline")
  assert_eq(err.status, 595)
  local status = lab.pve.status(client())
  assert_eq(status.online, 4)
  assert_eq(status.quorate, true)
  s.control("node/pve3/online")
end)

test("a URL that refuses connections is skipped for the next one", function()
  s.reset()
  s.control("listener/2/down")
  local fp = s.env("FINGERPRINT")
  local c = lab.pve.connect { urls = { { url = s.env("URL2"), fingerprint = fp }, { url = s.env("URL"), fingerprint = fp } },
                              token = "env:LABSH_TEST_PVE_TOKEN" }
  local ok, nodes = pcall(c.get, c, "/nodes")
  s.control("listener/2/up")
  assert(ok, message(nodes))
  assert_eq(#nodes, 5)
  local dead = lab.pve.connect { urls = { "https://127.0.0.1:9" }, token = "env:LABSH_TEST_PVE_TOKEN", ca_file = s.env("CA") }
  assert_eq(s.raised(dead.get, dead, "/nodes").reason, "offline")
end)

test("a task ending 'WARNINGS: 2' succeeds with the log's warning lines", function()
  s.reset()
  s.control("inject", { type = "qmsnapshot", exitstatus = "WARNINGS: 2", seconds = 0.2, count = 1 })
  local r = child({ "--yes" }, [[
    local t = lab.pve.post("/nodes/pve1/qemu/101/snapshot", { snapname = "warned" })
    print(t.exitstatus, #t.warnings, t.warnings[1] and t.warnings[1]:match("WARN") or "-")]])
  assert_eq(r.stdout, "WARNINGS: 2\t2\tWARN\n", r.stderr)
end)

test("a task's log streams on request while it runs", function()
  s.reset()
  s.control("inject", { type = "qmsnapshot", exitstatus = "OK", seconds = 1, count = 1 })
  local r = child({ "--yes" }, [[
    local lines = {}
    local t = lab.pve.post("/nodes/pve1/qemu/101/snapshot", { snapname = "streamed" },
      { on_log = function(line, task) lines[#lines + 1] = line; assert(task.upid) end })
    print(t.exitstatus, #lines > 0, lines[#lines])]])
  assert_eq(r.stdout, "OK\ttrue\tTASK OK\n", r.stderr)
end)

test("a failed task is a 'task' error with its exit status and log", function()
  s.reset()
  s.control("inject", { type = "qmsnapshot", exitstatus = "snapshot feature is not available", seconds = 0.2, count = 1 })
  local r = child({ "--yes" }, [[
    local ok, err = pcall(lab.pve.post, "/nodes/pve1/qemu/101/snapshot", { snapname = "broken" })
    print(err.reason, err.exitstatus, #err.log > 0, err.upid:match("^UPID:pve1:") ~= nil)]])
  assert_eq(r.stdout, "task\tsnapshot feature is not available\ttrue\ttrue\n", r.stderr)
end)

test("waiting past the timeout is a 'timeout' error carrying the running UPID", function()
  s.reset()
  s.control("inject", { type = "qmsnapshot", exitstatus = "OK", seconds = 5, count = 1 })
  local r = child({ "--yes" }, [[
    local ok, err = pcall(lab.pve.post, "/nodes/pve1/qemu/101/snapshot", { snapname = "slow" }, { timeout = 0.5 })
    print(err.reason, err.upid:match("^UPID:pve1:[%x]+:[%x]+:[%x]+:qmsnapshot:101:") ~= nil)]])
  assert_eq(r.stdout, "timeout\ttrue\n", r.stderr)
end)

test("wait = false returns the UPID; many tasks are waited for together; the audit keeps each UPID", function()
  s.reset()
  local r, dir = child({ "--yes" }, [[
    local upids = {}
    for _, vmid in ipairs { 101, 102, 103 } do
      local vm
      for _, r in ipairs(lab.pve.resources { type = "vm" }) do if r.vmid == vmid then vm = r end end
      upids[#upids + 1] = lab.pve.post(("/nodes/%s/qemu/%d/snapshot"):format(vm.node, vmid), { snapname = "many" }, { wait = false })
    end
    for _, u in ipairs(upids) do io.write(u:sub(1, 5), " ") end
    local results = lab.pve.wait(upids)
    for i, t in ipairs(results) do io.write(t.exitstatus, " ", t.upid == upids[i] and "same" or "other", " ") end]])
  assert_eq(r.stdout, "UPID: UPID: UPID: OK same OK same OK same ", r.stderr)
  local upids = 0
  for _, line in ipairs(s.audit(dir)) do
    if line.outcome == "task started" and line.details.upid:match("^UPID:") then upids = upids + 1 end
  end
  assert_eq(upids, 3, "an audit line with the UPID per task")
end)

test("--dry-run shows the exact API call and changes nothing; without --yes and a terminal, refused", function()
  s.reset()
  local r = child({ "--dry-run" }, 'print(lab.guest("k8s-m1"):stop())', nil, { ["k8s-m1"] = 101 })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stderr:find("POST /api2/json/nodes/pve1/qemu/101/status/stop", 1, true), r.stderr)
  assert(r.stderr:find("dry run: would stop (power off) guest k8s-m1 (VMID 101 on pve1)", 1, true), r.stderr)
  assert_eq(r.stdout, "nil\tdry run\n")
  assert_eq(guest_status(101), "running")
  local refused = child({}, 'lab.guest("k8s-m1"):stop()', nil, { ["k8s-m1"] = 101 })
  assert(refused.status ~= 0 and refused.stderr:find("without --yes", 1, true), refused.stderr)
  assert_eq(guest_status(101), "running")
end)

test("guests' live methods: stop, start, migrate; by vmid silently, by name said once", function()
  s.reset()
  local r = child({ "--yes" }, [[
    local g = lab.guest("k8s-m1")
    print(g:stop().exitstatus, g:status().status)
    print(g:start().exitstatus, g:status().status)
    print(g:migrate("pve2", { online = true }).exitstatus, g:status().node)]], nil, { ["k8s-m1"] = 101 })
  assert_eq(r.stdout, "OK\tstopped\nOK\trunning\nOK\tpve2\n", r.stderr)
  assert(not r.stderr:find("matched by name", 1, true), r.stderr)
  local byname = child({}, 'print(lab.guest("k8s-m2"):status().vmid); print(lab.guest("k8s-m2"):status().vmid)')
  local vmid = byname.stdout:match("^(%d+)\n")
  assert_eq(byname.stdout, ("%s\n%s\n"):format(vmid, vmid), byname.stderr)
  local _, said = byname.stderr:gsub("guest k8s%-m2 matched by name to VMID " .. vmid, "")
  assert_eq(said, 1, byname.stderr)
end)

test("guests' backup, snapshot, reboot and shutdown{timeout} wait for their tasks", function()
  s.reset()
  local before = #lab.pve.backups({ storage = "pbs", vmid = 101 }, client())
  local r = child({ "--yes" }, [[
    local g = lab.guest("k8s-m1")
    print(g:backup { storage = "pbs" }.exitstatus)
    print(g:snapshot("before").exitstatus)
    print(g:reboot().exitstatus, g:status().status)
    print(g:shutdown { timeout = 30 }.exitstatus, g:status().status)]], nil, { ["k8s-m1"] = 101 })
  assert_eq(r.stdout, "OK\nOK\nOK\trunning\nOK\tstopped\n", r.stderr)
  assert(r.stderr:find("POST /api2/json/nodes/pve1/vzdump mode=snapshot&storage=pbs&vmid=101", 1, true), r.stderr)
  assert(r.stderr:find("POST /api2/json/nodes/pve1/qemu/101/status/shutdown timeout=30", 1, true), r.stderr)
  assert_eq(#lab.pve.backups({ storage = "pbs", vmid = 101 }, client()), before + 1, "one archive more")
end)

test("an HA-managed guest: its start and migration wait for HA to finish, not only for the request", function()
  s.reset()
  s.control("config", { task_seconds = 0.2, migrate_seconds = 0.5, ha_redirect = true })
  local r = child({ "--yes" }, [[
    local g = lab.guest("k8s-m1")
    local t = g:stop()
    print(t.type, g:status().status)
    print(g:start().type, g:status().status)
    print(g:migrate("pve2", { online = true }).type, g:status().node)]], nil, { ["k8s-m1"] = 101 })
  s.control("config", { ha_redirect = false })
  assert_eq(r.stdout, "hastop\tstopped\nhastart\trunning\nhamigrate\tpve2\n", r.stderr)
end)

test("a node answering 596 (busy) is skipped for the next URL; with none left, 'busy'", function()
  s.reset()
  local fp = s.env("FINGERPRINT")
  s.control("fail", { status = 596, count = 1, listener = "1" })
  local both = lab.pve.connect { urls = { { url = s.env("URL"), fingerprint = fp }, { url = s.env("URL2"), fingerprint = fp } },
                                 token = "env:LABSH_TEST_PVE_TOKEN" }
  assert_eq(#both:get("/nodes"), 5)
  s.control("fail", { status = 596, count = 1, listener = "1" })
  local err = s.raised(client().get, client(), "/nodes")
  assert_eq(err.reason, "busy")
  assert_eq(err.status, 596)
end)

test("a task the node does not list yet (its first polls 404) is waited for", function()
  s.reset()
  s.control("inject", { type = "qmsnapshot", exitstatus = "OK", seconds = 0.3, count = 1, unknown_polls = 2 })
  local r = child({ "--yes" }, 'print(lab.pve.post("/nodes/pve1/qemu/101/snapshot", { snapname = "late" }).exitstatus)')
  assert_eq(r.stdout, "OK\n", r.stderr)
end)

test("a guest locked by a running task: the node's refusal is a 'server' error", function()
  s.reset()
  s.control("config", { task_seconds = 0.2, migrate_seconds = 3 })
  local r = child({ "--yes" }, [[
    local g = lab.guest("k8s-m1")
    g:migrate("pve3", { online = true, wait = false })
    local ok, err = pcall(g.stop, g)
    print(err.reason, err.status, (tostring(err.message):match("locked") or "-"))]], nil, { ["k8s-m1"] = 101 })
  assert_eq(r.stdout, "server\t500\tlocked\n", r.stderr)
end)

test("lab.node(x):live() is the node's status now; an offline node says so", function()
  s.reset()
  local r = child({}, [[
    local live = lab.node("pve1"):live()
    print(live.online, type(live.uptime))
    ]])
  assert_eq(r.stdout, "true\tnumber\n", r.stderr)
  s.control("node/pve4/offline")
  local off = child({}, 'local live = lab.node("pve4"):live(); print(live.online)')
  s.control("node/pve4/online")
  assert_eq(off.stdout, "false\n", off.stderr)
end)

test("HA resources, status and rules as records", function()
  s.reset()
  local ha = lab.pve.ha(client())
  assert(#ha.resources >= 1 and ha.resources[1].sid:find("^vm:"), "HA resources")
  assert_eq(getmetatable(ha.rules[1]).__name, "lab.PveHARule")
  local quorum
  for _, row in ipairs(ha.status) do if row.type == "quorum" then quorum = row end end
  assert(quorum and quorum.status == "OK", "the quorum line")
end)

test("backups on a storage and what pruning would keep, as records", function()
  s.reset()
  local backups = lab.pve.backups({ storage = "pbs", vmid = 101 }, client())
  assert(#backups >= 1, "the seed's backups")
  assert_eq(getmetatable(backups[1]).__name, "lab.PveBackup")
  assert(backups[1].volid:find("^pbs:backup/"), backups[1].volid)
  local plan = lab.pve.prune_plan({ storage = "pbs", vmid = 101 }, client())
  local marks = {}
  for _, b in ipairs(plan) do marks[b.mark] = (marks[b.mark] or 0) + 1 end
  assert(marks.keep and marks.keep >= 1, lab.json.encode(marks))
  assert_eq(s.raised(lab.pve.backups, {}, client()).reason, "param")
end)

test("writes cannot skip the gate: send refuses them outside it", function()
  local c = client()
  local err = s.raised(c.send, c, "POST", "/nodes/pve1/qemu/101/status/stop")
  assert_eq(err.reason, "gate")
  assert_eq(guest_status(101), "running")
end)

test("a ticket the node let expire is renewed by logging in again", function()
  s.reset()
  local section = { urls = { { url = s.env("URL"), fingerprint = s.env("FINGERPRINT") } },
                    user = s.env("USER"), password = "env:LABSH_TEST_PVE_PASSWORD" }
  local c = lab.pve.connect(section)
  assert_eq(#c:get("/nodes"), 5)
  local first = c.ticket.value
  s.control("clock", { advance = 2 * 3600 + 60 })
  assert_eq(#c:get("/nodes"), 5, "still answers after the ticket's 2 h")
  assert(c.ticket.value ~= first, "a new ticket")
end)

test("the simulator saw no answer that breaks the schema", function()
  assert_same(s.state("violations").violations, {})
end)
