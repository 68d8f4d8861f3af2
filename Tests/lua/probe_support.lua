-- Helpers for blackbox_spec and slo_spec (not a spec itself): servers the
-- spec starts and stops itself on free loopback ports (blackbox_exporter,
-- its own Prometheus, a TLS server), with their files in a temp directory.
--
--   local probe = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/probe_support.lua")

local probe = {}

local filesystem = require "labsh.filesystem"

--- A new empty directory under the system's temporary directory.
function probe.temp_dir()
  local path = os.tmpname()
  os.remove(path)
  filesystem.make_directories(path)
  return path
end

--- A loopback port nothing listens on now.
function probe.free_port()
  local r = lab.process.run { argv = { "python3", "-c",
    "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])" } }
  assert(r.status == 0, r.stderr)
  return math.tointeger(tonumber(r.stdout))
end

local function quoted(word) return "'" .. word:gsub("'", "'\\''") .. "'" end

--- Starts argv in the background, its output in DIR/NAME.log; returns a
--- handle with :stop() (SIGTERM to its pid).
function probe.start(dir, name, argv)
  local words = {}
  for i, word in ipairs(argv) do words[i] = quoted(word) end
  local pidfile = dir .. "/" .. name .. ".pid"
  os.execute(("%s >%s 2>&1 & echo $! > %s"):format(table.concat(words, " "),
    quoted(dir .. "/" .. name .. ".log"), quoted(pidfile)))
  local pid = math.tointeger(tonumber(read_file(pidfile):match("%d+")))
  return {
    pid = pid, log = dir .. "/" .. name .. ".log",
    stop = function() require("labsh.os").kill(pid, 15) end,
  }
end

--- Calls fn every 0.2 s until it returns a true value; fails after `seconds`.
function probe.eventually(what, fn, seconds)
  local deadline = lab.sys.monotonic() + (seconds or 30)
  repeat
    local ok, result = pcall(fn)
    if ok and result then return result end
    os.execute("sleep 0.2")
  until lab.sys.monotonic() > deadline
  error(("after %d s: %s"):format(seconds or 30, what), 2)
end

--- Starts Prometheus with config text `config` (written to DIR/prometheus.yml)
--- and data in DIR/data; returns the handle, with .url, once it is ready.
function probe.prometheus(dir, config, extra)
  write_file(dir .. "/prometheus.yml", config)
  local port = probe.free_port()
  local argv = { "prometheus", "--config.file=" .. dir .. "/prometheus.yml", "--storage.tsdb.path=" .. dir .. "/data",
    "--web.listen-address=127.0.0.1:" .. port }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  local server = probe.start(dir, "prometheus", argv)
  server.url = "http://127.0.0.1:" .. port
  local ok, err = pcall(probe.eventually, "Prometheus ready on " .. server.url, function()
    return lab.http.get(server.url .. "/-/ready").status == 200
  end)
  if not ok then server.stop(); error(err .. "\n" .. (read_file(server.log) or ""), 0) end
  return server
end

--- Runs fn(), then every stopper in `servers` (also when fn fails).
function probe.with_servers(servers, fn)
  local ok, err = pcall(fn)
  for i = #servers, 1, -1 do servers[i].stop() end
  if not ok then error(err, 0) end
end

--- Runs argv; fails naming it unless it exits 0. Returns the result.
function probe.must_run(argv)
  local r = lab.process.run { argv = argv }
  assert(r.status == 0, table.concat(argv, " ") .. ": " .. (r.stderr or "") .. (r.stdout or ""))
  return r
end

--- A small homelab with `services` (Lua source of the list) on one VLAN.
function probe.homelab(services)
  return ([[
return {
  site = { name = "probe-lab", domain = "lab.test", timezone = "UTC", upstream = "192.168.55.0/24" },
  nodes = {
    { name = "hv1", kind = "hypervisor", address = "192.168.10.11", vlans = { 10 } },
  },
  vlans = {
    { id = 10, name = "mgmt", subnet = "192.168.10.0/24", gateway = "192.168.10.1", zone = "mgmt", trust = "critical" },
  },
  policy = { default = "deny", rules = {} },
  services = {
%s
  },
}
]]):format(services)
end

return probe
