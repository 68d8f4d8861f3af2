-- Loading lab.pve starts loading libcurl on a thread of its own, so the
-- first request does not wait for all of it; labsh without lab.pve does
-- not load it (start-up stays lean), and Ctrl-C still stops a script that
-- loaded lab.pve (the thread takes no signal). Runs under labsh only.

-- A child labsh running `code`; its status and output.
local function child(code, opts)
  return lab.process.run { argv = { os.getenv("LABSH_BIN") or arg[-1], "-e", code }, timeout = 60,
    env = { LABSH_PATH = false }, signal = opts and opts.signal }
end

local WAIT_FOR_CURL = [[
local function curl_mapped()
  local f = assert(io.open("/proc/self/maps"))
  local maps = f:read("a")
  f:close()
  return maps:find("libcurl", 1, true) ~= nil
end
io.write(curl_mapped() and "at start " or "not at start ")
local _ = lab.pve
local deadline = lab.sys.monotonic() + 20
while not curl_mapped() and lab.sys.monotonic() < deadline do require("labsh.os").sleep(0.01) end
io.write(curl_mapped() and "loaded" or "not loaded")
]]

test("loading lab.pve loads libcurl without a request; labsh alone does not", function()
  local r = child(WAIT_FOR_CURL)
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "not at start loaded")
end)

test("a request right after loading lab.pve waits for the load and works", function()
  local r = child([[
    local rules = require "labsh.pve"
    local results = rules.perform({ { method = "GET", url = "https://127.0.0.1:9/", timeout = 5 } })
    io.write(results[1].reason)]])
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "connect")
end)

test("SIGINT still stops a script that loaded lab.pve", function()
  local dir = os.tmpname()
  os.remove(dir)
  require("labsh.filesystem").make_directories(dir)
  local code = [[local _ = lab.pve; io.stderr:write("ready\n"); require("labsh.os").sleep(30); io.write("slept")]]
  local script = ("'%s' -e '%s' 2>'%s/stderr' >'%s/stdout' & p=$!\n"):format(os.getenv("LABSH_BIN") or arg[-1], code, dir, dir)
    .. ("i=0; while ! grep -q ready '%s/stderr' && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n"):format(dir)
    .. "kill -INT $p; wait $p; echo $?"
  local r = lab.process.run { argv = { "sh", "-c", script }, timeout = 60, env = { LABSH_PATH = false } }
  local status = tonumber(r.stdout:match("(%d+)%s*$"))
  local f = io.open(dir .. "/stdout")
  local out = f and f:read("a") or ""
  if f then f:close() end
  assert(status and status ~= 0, "stopped: " .. r.stdout)
  assert_eq(out, "", "never finished its sleep")
  os.execute(("rm -rf '%s'"):format(dir))
end)
