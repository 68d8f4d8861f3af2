-- One rule, one place (issue 17, items 5-7 and 10): what Swift decides once
-- and Lua only calls. Each test pins a case where two copies disagreed.

local labsh = os.getenv("LABSH_BIN") or arg[-1]

-- Runs the labsh under test; returns its exit code, stdout and stderr.
local function run(args, env)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local r = lab.process.run { argv = argv, env = env or {}, timeout = 60 }
  return r.status, r.stdout, r.stderr
end

local function private_dir()
  local dir = os.tmpname()
  os.remove(dir)
  require("labsh.filesystem").make_directories(dir)
  assert(lab.process.run({ argv = { "chmod", "700", dir } }).status == 0)
  return dir
end

local function error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error")
  return err
end

-- ---- 5. connect{} is checked by the inventory's rules -------------------

test("connect refuses bearer with user and password, as the inventory does", function()
  local err = error_of(lab.prom.connect,
    { url = "http://127.0.0.1:9", bearer = "env:HOME", user = "ops", password = "env:HOME" })
  assert_eq(err.kind, "prometheus")
  assert_eq(err.message, "lab.prom.connect: give either 'bearer' or 'user' and 'password', not both")
end)

test("connect refuses user without password and an env: reference that names no variable", function()
  local err = error_of(lab.alertmanager.connect, { url = "http://127.0.0.1:9", user = "ops" })
  assert_eq(err.message, "lab.alertmanager.connect: 'user' and 'password' go together")
  err = error_of(lab.push.connect, { url = "http://127.0.0.1:9", bearer = "env:NOT-A-NAME" })
  assert_eq(err.kind, "pushgateway")
  assert(err.message:find("env:NAME or file:PATH", 1, true), err.message)
end)

test("connect refuses an unknown key, with the key it probably meant", function()
  local err = error_of(lab.prom.connect, { url = "http://127.0.0.1:9", bearr = "env:HOME" })
  assert(err.message:find("unknown key 'bearr' (did you mean 'bearer'?)", 1, true), err.message)
end)

test("connect refuses a URL with a space in it, as the inventory does", function()
  local err = error_of(lab.prom.connect, "http://127.0.0.1:9/a b")
  assert(err.message:find("is not an http:// or https:// URL", 1, true), err.message)
end)

test("a secret named env:NAME must name a variable; the text is never echoed", function()
  local secret = require "labsh.secret"
  for _, text in ipairs { "env:1PASSWORD", "env:pa ss", "env:hunter2!" } do
    local err = error_of(secret.resolve, text, "spec")
    assert_eq(err.kind, "secret")
    assert(not err.message:find(text:sub(5), 1, true), err.message)
  end
  assert_eq(secret.resolve("env:HOME"), os.getenv("HOME"))
end)

test("a timeout given to connect still reaches lab.http", function()
  local client = lab.prom.connect { url = "http://127.0.0.1:9", timeout = 2 }
  assert_eq(client.endpoint:http_options().timeout, 2)
end)

-- ---- 7. Swift calls the Swift JSON encoder, not whatever lab.json is ----

test("lab.http's json option is encoded by the Swift encoder even with lab.json replaced", function()
  local dir = private_dir()
  require("labsh.filesystem").make_directories(dir .. "/lab")
  write_file(dir .. "/lab/json.lua", "return { encode = function() return 'not json' end, decode = function() end }")
  local code, out = run({ "-e", [[
local ok, err = pcall(lab.http.request, { url = "http://127.0.0.1:9/", method = "POST", json = { f = print } })
print(err.kind, err.path)]] }, { LABSH_PATH = dir })
  assert_eq(code, 0)
  assert_eq(out, "json\t$.f\n")
  lab.process.run { argv = { "rm", "-rf", dir } }
end)

test("bindings take the inventory as argument 1: lab.gen's errors still name the user's argument", function()
  local err = error_of(lab.gen.bind, { serail = 1 })
  assert(err:find("bad argument #1 to 'lab.gen.bind' (unknown option 'serail'", 1, true), err)
  err = error_of(require("labsh.gen").bind, {})
  assert(err:find("bad argument #1 to .-%(lab%.InventoryModel expected"), err)
end)

-- ---- 6. Paths are computed once, in Swift; -E ignores labsh's variables --

local PATHS_SCRIPT = [[
local p = lab.sys.locations()
print(p.config, p.state, p.data, p.inventory, p.ignore_environment)
print(require("labsh.state").dir(), lab.inventory.path(), lab.job.directories()[1])]]

test("lab.sys.locations, labsh.state, lab.inventory and lab.job agree on the environment's paths", function()
  local home, elsewhere = private_dir(), private_dir()
  write_file(elsewhere .. "/inventory.lua", "return {}")
  local code, out, err = run({ "-e", PATHS_SCRIPT }, {
    HOME = home, LABSH_STATE_DIR = elsewhere .. "/state", XDG_CONFIG_HOME = elsewhere .. "/config",
    XDG_DATA_HOME = elsewhere .. "/data", LABSH_INVENTORY = elsewhere .. "/inventory.lua", LABSH_PATH = elsewhere,
  })
  assert_eq(code, 0, err)
  assert_eq(out, table.concat({
    elsewhere .. "/config/labsh", elsewhere .. "/state", elsewhere .. "/data/labsh", elsewhere .. "/inventory.lua", "false",
  }, "\t") .. "\n" .. table.concat({ elsewhere .. "/state", elsewhere .. "/inventory.lua", elsewhere .. "/jobs" }, "\t") .. "\n")
  lab.process.run { argv = { "rm", "-rf", home, elsewhere } }
end)

test("LABSH_PATH is split at its colons, empty entries left out", function()
  local code, out, err = run({ "-e", "print(table.concat(lab.sys.locations().script_path.overrides, '|'))" },
    { LABSH_PATH = ":/srv/a::/srv/b c:/srv/d:" })
  assert_eq(code, 0, err)
  assert_eq(out, "/srv/a|/srv/b c|/srv/d\n")
end)

test("-E ignores LABSH_* and XDG_* for every path: state, config, data, inventory, script path", function()
  local home, elsewhere = private_dir(), private_dir()
  write_file(elsewhere .. "/inventory.lua", "return {}")
  local code, out, err = run({ "-E", "-e", PATHS_SCRIPT }, {
    HOME = home, LABSH_STATE_DIR = elsewhere .. "/state", XDG_STATE_HOME = elsewhere, XDG_CONFIG_HOME = elsewhere,
    XDG_DATA_HOME = elsewhere, LABSH_INVENTORY = elsewhere .. "/inventory.lua", LABSH_PATH = elsewhere,
  })
  assert_eq(code, 0, err)
  assert_eq(out, table.concat({
    home .. "/.config/labsh", home .. "/.local/state/labsh", home .. "/.local/share/labsh", "nil", "true",
  }, "\t") .. "\n" .. table.concat({ home .. "/.local/state/labsh", "nil", home .. "/.local/share/labsh/jobs" }, "\t") .. "\n")
  lab.process.run { argv = { "rm", "-rf", home, elsewhere } }
end)

test("a job run from a labsh started with -E runs with -E too", function()
  local code, out, err = run({ "-E", "-e", [[print(table.concat(lab.job.argv({ name = "x", run = "status" }), " "))]] })
  assert_eq(code, 0, err)
  assert(out:find("^%S+ %-E %-m status\n$"), out)
end)

-- ---- 10. One progress bar (Swift), drawn as the Lua one was -------------

test("labsh.progress draws, clears and writes bytes as before, from the one Swift bar", function()
  local code, out, err = run({ "-e", [[
local progress = require "labsh.progress"
local bar = progress.new()
bar:finish()  -- nothing drawn: nothing to clear
bar:update(0.5, "half")
bar:update(2, "past the end")
bar:finish()
print(progress.bytes(512), progress.bytes(1536), progress.bytes(1.5 * 2^30), progress.bytes(3 * 2^40))]] })
  assert_eq(code, 0, err)
  assert_eq(out, "512 B\t1.5 KiB\t1.5 GiB\t3.0 TiB\n")
  assert_eq(err, "\r[" .. ("#"):rep(15) .. ("."):rep(15) .. "]  50% half\27[K"
    .. "\r[" .. ("#"):rep(30) .. "] 100% past the end\27[K\r\27[K")
end)

test("lab.http.escape is the one percent-encoding: unreserved bytes stay, the rest are %XX", function()
  assert_eq(lab.http.escape("a-z.A_Z~09"), "a-z.A_Z~09")
  assert_eq(lab.http.escape("a b/c?d=é\0"), "a%20b%2Fc%3Fd%3D%C3%A9%00")
  assert_eq(lab.http.escape("\255"), "%FF", "bytes that are not UTF-8")
  assert_eq(lab.push.path("j", { instance = "a b" }), "/metrics/job/j/instance/a%20b")
end)

test("-E also ignores LABSH_ALLOW_UNSAFE_PATH for files labsh loads itself (jobs)", function()
  local dir = private_dir()
  write_file(dir .. "/x.lua", "return {}")
  assert(lab.process.run({ argv = { "chmod", "777", dir } }).status == 0)
  local check = ([[print((pcall(require("labsh.filesystem").check_search_file, %q, "x.lua")))]]):format(dir)
  local _, out = run({ "-e", check }, { LABSH_ALLOW_UNSAFE_PATH = "1" })
  assert_eq(out, "true\n", "allowed without -E")
  _, out = run({ "-E", "-e", check }, { LABSH_ALLOW_UNSAFE_PATH = "1" })
  assert_eq(out, "false\n", "refused under -E")
  lab.process.run { argv = { "rm", "-rf", dir } }
end)
