-- lab.pve against a server that is not a friendly Proxmox VE node: the
-- HTTP fixture (Tests/servers/http_fixture.py, https with its own CA) put in
-- place of a node by URL, so each of its routes answers every API path.
-- A redirect is refused (never followed to another host with the token), a
-- huge answer stops at the size cap, a body that is not PVE's JSON is a
-- protocol error, statuses map to their reasons. Runs under labsh only.

local fixture = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_fixture_support.lua")
local start = fixture.start

-- What GET /version on the fixture's route `route` ("/status/596") raised:
-- "reason<TAB>status<TAB>message". A child labsh, which gets the token in
-- its environment (this labsh cannot set its own).
local function child_error(route)
  local f = start()
  local code = ([[
    local c = lab.pve.connect { urls = { %q }, token = "env:LABSH_TEST_HOSTILE_TOKEN", ca_file = %q }
    local ok, err = pcall(c.get, c, "/version")
    print(ok and "ok" or (err.reason .. "\t" .. tostring(err.status) .. "\t" .. err.message))]]):format(f.base .. route, f.ca)
  local r = lab.process.run { argv = { os.getenv("LABSH_BIN") or arg[-1], "-e", code }, timeout = 60,
    env = { LABSH_TEST_HOSTILE_TOKEN = "root@pam!spec=not-a-real-secret", LABSH_PATH = false } }
  return r.stdout
end

test("statuses map to reasons: 401 auth, 403 permission, 595 offline, 596 busy, 500 server", function()
  assert(child_error("/status/401"):find("^auth\t401\t"))
  assert(child_error("/status/403"):find("^permission\t403\t.*needs any authenticated user"))
  assert(child_error("/status/595"):find("^offline\t595\t"))
  assert(child_error("/status/596"):find("^busy\t596\t"))
  assert(child_error("/status/500"):find("^server\t500\t"))
end)

test("a redirect is refused, never followed with the token", function()
  local said = child_error("/redirect/1")
  assert(said:find("^protocol\t302\t"), said)
  assert(said:find("redirect", 1, true), said)
end)

test("an answer over the size cap stops at the cap: protocol, not out of memory", function()
  local said = child_error("/huge/" .. (65 * 1024 * 1024))
  assert(said:find("^protocol\tnil\t.*larger than", 1), said)
end)

test("a body that is not PVE's JSON envelope is a protocol error", function()
  assert(child_error("/huge/10"):find("^protocol\t200\t.*not JSON", 1))
  assert(child_error("/json"):find("^protocol\t200\t.*no 'data'", 1))
end)

test("a task the node does not list yet (404 right after it started) is asked again, not failed", function()
  local f = start()
  local code = ([[
    local c = lab.pve.connect { urls = { %q }, token = "env:LABSH_TEST_HOSTILE_TOKEN", ca_file = %q }
    local ok, err = pcall(c.wait, c, "UPID:pve1:0000C0DE:00ABCDEF:65F00000:qmstart:101:root@pam!spec:", { timeout = 1 })
    print(err.reason, err.upid)]]):format(f.base .. "/status/404", f.ca)
  local r = lab.process.run { argv = { os.getenv("LABSH_BIN") or arg[-1], "-e", code }, timeout = 60,
    env = { LABSH_TEST_HOSTILE_TOKEN = "root@pam!spec=not-a-real-secret", LABSH_PATH = false } }
  assert_eq(r.stdout, "timeout\tUPID:pve1:0000C0DE:00ABCDEF:65F00000:qmstart:101:root@pam!spec:\n", r.stderr)
end)

test("the fixture stops", fixture.stop)
