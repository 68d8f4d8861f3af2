-- Helpers for the playbook specs that run on the sshd test hosts
-- (Tests/servers/sshd_hosts.py, started by Tests/run-with-servers.sh). Not
-- a spec itself.
--
--   local test_hosts = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/playbook_support.lua")

local support = {}

support.dir = assert(os.getenv("LABSH_TEST_SSH_DIR"), "run under Tests/run-with-servers.sh (no ssh test hosts)")
support.inventory = os.getenv("LABSH_TEST_SSH_INVENTORY")
support.count = tonumber(os.getenv("LABSH_TEST_SSH_HOSTS"))

--- Runs a play (Lua text) in a child labsh on the test hosts; its output
--- and exit code. `flags`: "--yes" (the default) or "--dry-run".
function support.play(text, flags)
  local path = write_temp(text)
  local out, rc = run_labsh(("--inventory %s %s %s"):format(support.inventory, flags or "--yes", path))
  os.remove(path)
  return out, rc
end

--- What `command` prints on each test host, by host name.
function support.on_hosts(command)
  local seen = {}
  with_inventory(read_file(support.inventory), function()
    for _, r in ipairs(lab.exec({ tag = "test" }, command)) do seen[r.host] = r.stdout end
  end)
  return seen
end

return support
