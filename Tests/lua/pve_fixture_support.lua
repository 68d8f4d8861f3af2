-- The HTTP fixture (Tests/servers/http_fixture.py, https with its own CA) for
-- the lab.pve specs that put it in place of a node. Not a spec itself.
--
--   local https = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_fixture_support.lua")

local support = {}

local fixture

--- The running fixture {base =, ca =, pipe =, pid =}, started on first use.
function support.start()
  if fixture then return fixture end
  local pipe = assert(io.popen("exec python3 Tests/servers/http_fixture.py", "r"))
  local line = pipe:read("l") or ""
  local https, ca, pid = line:match("https=(%d+) ca=(%S+) pid=(%d+)")
  assert(https, "fixture did not start: " .. line)
  fixture = { base = "https://127.0.0.1:" .. https, ca = ca, pipe = pipe, pid = pid }
  return fixture
end

--- Stops the fixture if it was started.
function support.stop()
  if fixture then
    os.execute("kill " .. fixture.pid)
    fixture.pipe:close()
    fixture = nil
  end
end

return support
