-- Helpers for the specs of lab.prom, lab.alertmanager, lab.push and
-- lab.textfile (not a spec itself): the real servers' addresses, dry runs,
-- waiting for a scrape, temporary directories.
--
--   local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")

local support = {}

--- The URL (or directory) of a test server from Tests/servers/servers.py:
--- name is PROMETHEUS, ALERTMANAGER, PUSHGATEWAY, NODE_EXPORTER or
--- TEXTFILE_DIR. Fails, not skips, without it.
function support.server(name)
  local value = os.getenv("LABSH_TEST_" .. name)
  if not value or value == "" then
    error(("LABSH_TEST_%s is not set: this spec needs the real servers; run it with `make test`"
      .. " or Tests/run-with-servers.sh CMD"):format(name), 2)
  end
  return value
end

--- Calls fn every 0.2 s until it returns a true value, which is returned;
--- after `seconds` (20) fails saying what did not happen. Prometheus scrapes
--- and evaluates every second in the tests.
function support.eventually(what, fn, seconds)
  local deadline = lab.sys.monotonic() + (seconds or 20)
  repeat
    local result = fn()
    if result then return result end
    os.execute("sleep 0.2")
  until lab.sys.monotonic() > deadline
  error(("after %d s: %s"):format(seconds or 20, what), 2)
end

--- Runs fn as under --dry-run; returns what the gate said on stderr.
function support.with_dry_run(fn)
  local before, stderr, said = lab.options.dry_run, io.stderr, {}
  lab.options.dry_run = true
  io.stderr = { write = function(self, ...)
    for _, part in ipairs { ... } do said[#said + 1] = part end
    return self
  end }
  local ok, err = pcall(fn)
  lab.options.dry_run, io.stderr = before, stderr
  if not ok then error(err, 0) end
  return table.concat(said)
end

--- A new empty directory under the system's temporary directory.
function support.temp_dir()
  local path = os.tmpname()
  os.remove(path)
  require("labsh.filesystem").make_directories(path)
  return path
end

--- A name no earlier run used, for metrics and alerts in the shared servers.
function support.unique(prefix)
  return ("%s_%d_%d"):format(prefix, lab.sys.pid(), math.random(1, 1 << 30))
end

--- Raises unless calling fn fails with an error object of `kind`; returns it.
function support.error_of(kind, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then error("expected an error of kind " .. kind .. ", got none", 2) end
  if type(err) ~= "table" or err.kind ~= kind then
    error(("expected an error of kind %s, got %s"):format(kind, tostring(err)), 2)
  end
  return err
end

return support
