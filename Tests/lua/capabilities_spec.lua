-- Declared capabilities, enforced by the host (issue 20): a library
-- script touches only what it declares (labsh.script { requires = ... })
-- and an operator grants (CONFIG/grants/LIBRARY.lua, --grant), a deny
-- always wins, and every path around that fails and changes nothing. Each
-- test makes a library in a temporary directory, trusts it and runs its
-- scripts in a child labsh, as cron would (stdin not a terminal).

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local filesystem = require "labsh.filesystem"

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- A command line's output, stderr with it, and its exit code.
local function sh(command) return run_shell(command .. " 2>&1 </dev/null") end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

local function put(path, text)
  filesystem.make_directories((path:gsub("/[^/]*$", "")))
  write_file(path, text)
end

-- A library "caps" with `scripts` (name -> text) and `modules` (lib/), the
-- operator's grants file (text, optional), trusted. Its module `paths` gives
-- the scripts `marker` (a path a script must not create) and `out` (a
-- directory they may write). Returns run(args [, env]), marker, audit().
local function library(scripts, grants, modules)
  local dir = filesystem.temp_directory("labsh-caps")
  local lib = dir .. "/lib"
  put(lib .. "/library.lua", 'return { name = "caps", version = "1.0.0", labsh = ">= 0.1", description = "tests" }\n')
  for name, text in pairs(scripts) do put(lib .. "/scripts/" .. name .. ".lua", text) end
  for name, text in pairs(modules or {}) do put(lib .. "/lib/" .. name .. ".lua", text) end
  if grants then put(dir .. "/config/labsh/grants/caps.lua", grants) end
  put(lib .. "/lib/paths.lua", ("return { marker = %q, out = %q }\n"):format(dir .. "/marker", dir .. "/out"))
  local env = ("LABSH_STATE_DIR=%s XDG_CONFIG_HOME=%s LABSH_PATH=%s"):format(
    quote(dir .. "/state"), quote(dir .. "/config"), quote(lib))
  filesystem.make_directories(dir .. "/out")
  local out, rc = sh(("%s %s -m library trust %s --yes"):format(env, labsh, quote(lib)))
  assert_eq(rc, 0, out)
  return {
    dir = dir,
    marker = dir .. "/marker",
    run = function(args, more_env) return sh(("%s %s %s %s"):format(env, more_env or "", labsh, args)) end,
    audit = function() return read_file(dir .. "/state/audit.log") or "" end,
  }
end

-- A script whose run(ctx) is `body`, declaring `requires` (Lua text).
local function script(requires, body)
  return ([[
local marker, out = require("paths").marker, require("paths").out
return labsh.script {
  name = "probe", version = "1.2.0", description = "tries what the test says",
  requires = %s,
  run = function(ctx, opts)
%s
  end,
}
]]):format(requires, body)
end

test("the standard libraries are read-only by every way to them, whether or not Lua code ran before the script", function()
  -- with nothing run before (no init, no -e) they get read-only stand-ins;
  -- after an init or -e their fields are moved: the script cannot tell
  local l = library {
    probe = script("{}", [[
    local index = getmetatable("").__index
    print(rawequal(index, string), rawequal(package.loaded.string, string), rawequal(require "string", string),
      rawequal(package.loaded.math, math), ("x"):upper(), string.format("%d", 3), next(string) == nil)
    local n = 0
    for _ in pairs(string) do n = n + 1 end
    print("fields", n, #table.pack(1, 2), type(package.path), io.type(io.stdout), math.pi > 3, math.type(os.time()))
    for _, try in ipairs {
      function() string.upper = print end, function() index.upper = print end,
      function() package.loaded.string.upper = print end, function() (require "string").rep = print end,
      function() package.path = "/tmp/?.lua" end, function() package.loaded.os.exit = print end,
      function() math.pi = 3 end, function() io.write = print end, function() table.insert = print end,
      function() coroutine.wrap = print end, function() utf8.char = print end,
    } do
      local ok, err = pcall(try)
      print(ok, (tostring(err):gsub("^.-: ", "")))
    end
    print(("x"):upper(), string.upper("y"), math.pi > 3, rawequal(getmetatable("").__index, string))]]),
  }
  local fresh, rc = l.run("-m probe")
  assert_eq(rc, 0, fresh)
  local lines = {}
  for line in fresh:gmatch("[^\n]+") do lines[#lines + 1] = line end
  assert_eq(lines[1], "true\ttrue\ttrue\ttrue\tX\t3\ttrue")
  assert_eq(lines[2], "fields\t17\t2\tstring\tfile\ttrue\tinteger")
  assert_eq(#lines, 2 + 11 + 1, fresh)
  for i = 3, 13 do assert(lines[i]:find("^false\tcannot change '%w+': labsh's libraries are read%-only"), lines[i]) end
  assert_eq(lines[14], "X\tY\ttrue\ttrue")
  for _, env in ipairs { "LABSH_INIT='x = 1'", "LUA_INIT='y = 2'" } do
    local out, status = l.run("-m probe", env)
    assert_eq(status, 0, out)
    assert_eq(out, fresh, env)
  end
  local out, status = l.run("-e 'z = 3' -m probe")
  assert_eq(status, 0, out)
  assert_eq(out, fresh)
end)

test("a script granted nothing can still read the model and print", function()
  local l = library {
    probe = script("{}", [[print("nodes", #lab.nodes(), lab.node(lab.nodes()[1].name).name ~= nil)]]),
    plain = 'print("plain", #lab.guests() > 0)\n',
  }
  local out, rc = l.run("-m probe")
  assert_eq(rc, 0, out)
  assert(out:match("^nodes%s+%d+%s+true\n$"), out)
  out, rc = l.run("-m plain")  -- no manifest at all: nothing granted, reading works
  assert_eq(rc, 0, out)
  assert_eq(out, "plain\ttrue\n")
end)

test("a denial names the script, its version, the line, the target and the fix; the audit log has it", function()
  local l = library { probe = script('{ commands = { "touch" }, mutation = true }', [[
    lab.process.run { argv = { "touch", marker } }]]) }
  local out, rc = l.run("-m probe")
  assert_eq(rc, 1, out)
  assert(out:find("not capable: probe 1.2.0 (" .. l.dir .. "/lib/scripts/probe.lua:6) cannot run 'touch': "
    .. "not granted for probe; an operator grants it in the grants file of caps or with --grant commands=touch", 1, true), out)
  assert(not out:find("stack traceback", 1, true), out)
  assert(not exists(l.marker), "the program ran")
  local audit = l.audit()
  assert(audit:find('"action":"capability.declared"', 1, true) and audit:find('"outcome":"commands=touch mutation"', 1, true), audit)
  assert(audit:find('"action":"capability.denied"', 1, true) and audit:find('"target":"touch"', 1, true), audit)
  -- the fields the gate's own lines have: who, where, when
  for line in audit:gmatch("[^\n]+") do
    local record = lab.json.decode(line)
    assert(record.user == require("labsh.os").user() and record.host == lab.sys.hostname() and record.time, line)
  end
end)

test("granted, it runs; --grant grants for one run; a deny wins over every grant", function()
  local probe = script('{ commands = { "touch" }, mutation = true }', [[
    lab.process.run { argv = { "touch", marker } }]])
  local l = library({ probe = probe }, 'return { probe = { commands = { "touch" }, mutation = true } }\n')
  local out, rc = l.run("-m probe")
  assert_eq(rc, 0, out)
  assert(exists(l.marker), "granted, but did not run")

  l = library { probe = probe }
  out, rc = l.run("-m probe --grant commands=touch --grant mutation=true")
  assert_eq(rc, 0, out)
  assert(exists(l.marker), "--grant did not grant")

  l = library({ probe = probe }, 'return { ["*"] = { commands = { "*" }, mutation = true }, deny = { commands = { "touch" } } }\n')
  out, rc = l.run("-m probe --grant commands=touch")
  assert_eq(rc, 1, out)
  assert(out:find("cannot run 'touch': an operator denied it", 1, true), out)
  assert(not exists(l.marker), "a denied program ran")
end)

test("mutation = false is check mode: nothing changes, whatever the script sets in lab.options", function()
  local l = library({ probe = script('{ commands = { "touch" } }', [[
    lab.options.dry_run = false
    local r = lab.process.run { argv = { "touch", marker } }
    print("dry_run", r.dry_run)]]) }, 'return { probe = { commands = { "touch" }, mutation = true } }\n')
  local out, rc = l.run("-m probe")
  assert_eq(rc, 0, out)
  assert(out:find("dry_run\ttrue", 1, true), out)
  assert(not exists(l.marker), "a check-mode script changed something")
end)

test("ctx:drop gives a capability up for the rest of the run", function()
  local l = library({ probe = script('{ commands = { "touch" }, mutation = true }', [[
    ctx:drop("commands")
    lab.process.run { argv = { "touch", marker } }]]) }, 'return { probe = { commands = { "touch" }, mutation = true } }\n')
  local out, rc = l.run("-m probe")
  assert_eq(rc, 1, out)
  assert(out:find("cannot run 'touch': the script dropped 'commands' (ctx:drop)", 1, true), out)
  assert(not exists(l.marker))
end)

-- Every way around: each line must fail with a refusal, and the marker stays absent.
local escapes = {
  direct = [[lab.process.run { argv = { "touch", marker } }]],
  pcall_then_go_on = [[local ok = pcall(lab.process.run, { argv = { "touch", marker } }); assert(not ok)
    error("refused as expected")]],
  coroutine = [[coroutine.wrap(function() lab.process.run { argv = { "touch", marker } } end)()]],
  module = [[require("sneaky").touch(marker)]],
  metatable = [[local t = setmetatable({}, { __index = function() return lab.process.run { argv = { "touch", marker } } end })
    local _ = t.x]],
  popen = [[io.popen("touch " .. marker):close()]],
  execute = [[os.execute("touch " .. marker)]],
  path_program = [[lab.process.run { argv = { "/usr/bin/touch", marker } }]],
  environment = [[lab.process.run { argv = { "true" }, env = { LD_PRELOAD = "/tmp/x.so" } }]],
  replace_a_check = [[require("labsh.capabilities").check_host = function() end]],
  replace_a_library = [[string.format = function() end]],
  replace_a_module = [[package.loaded["labsh.remote"] = {}]],
  preload_a_module = [[package.preload["labsh.dryrun"] = function() return {} end]],
  rawset_a_library = [[rawset(lab.process, "run", print)]],
  upvalues = [[debug.getupvalue(io.open, 1)]],
  registry = [[debug.getregistry()]],
  bytecode = [[assert(load("\27Lua\84\0\25\147\13\10\26\10\4\8\8", "x", "b"))()]],
  labsh_chunk_name = [[load("return 1", "@labsh:stdlib/labsh/gate.lua")]],
  write_file = [[assert(io.open(out .. "/../marker", "w")):close()]],
  write_through_a_link = [[assert(io.open(out .. "/link", "w")):close()]],
  own_state = [[local f = assert(io.open(os.getenv("LABSH_STATE_DIR") .. "/audit.log", "a")); f:write("forged\n"); f:close()]],
  secret = [[assert(os.getenv("LABSH_TEST_SECRET") == nil, "read a secret")]],
  c_library = [[package.loadlib("libc.so.6", "system")]],
}

test("every path to an undeclared effect fails and changes nothing", function()
  local scripts = {}
  for name, body in pairs(escapes) do
    scripts[name] = script('{ commands = { "true" }, files = { write = { out } }, mutation = true }', body)
  end
  local l = library(scripts, 'return { ["*"] = { commands = { "*" }, files = { write = { "/" } }, mutation = true } }\n',
    { sneaky = 'return { touch = function(m) return lab.process.run { argv = { "touch", m } } end }\n' })
  assert(os.execute(("ln -s %s %s"):format(quote(l.marker), quote(l.dir .. "/out/link"))))
  for name in pairs(escapes) do
    local out, rc = l.run("-m " .. name)
    assert(rc ~= 0, name .. " was not refused:\n" .. out)
    assert(out:find("not capable: " .. name .. " 1.2.0", 1, true) or out:find("read-only to a script under a manifest", 1, true)
      or out:find("attempt to load a binary chunk", 1, true) or name == "pcall_then_go_on", name .. ":\n" .. out)
    assert(not exists(l.marker), name .. " created the marker")
  end
  assert(not l.audit():find("forged", 1, true), "a script wrote labsh's audit log")
end)

-- Each kind of effect, reached by each path: a refusal every time.
local effects = {
  commands = [[lab.process.run { argv = { "touch", marker } }]],
  files = [[assert(io.open(marker, "w")):close()]],
  secrets = [[if os.getenv("LABSH_TEST_SECRET") then assert(io.open(out .. "/secret", "w")):close() end]],
  net = [[lab.http.get("http://127.0.0.1:9/")]],
  hosts = [[lab.exec("host2", "true")]],
}
local paths = {
  direct = "%s",
  pcall = "local ok, err = pcall(function() %s end); if not ok then error(err, 0) end",
  coroutine = "coroutine.wrap(function() %s end)()",
  module = "require('effects').run(function() %s end)",
  metatable = "local t = setmetatable({}, { __index = function() %s end }); local _ = t.x",
}

test("each kind of effect, reached directly, in pcall, a coroutine, a module or a metamethod, is refused", function()
  local inventory = os.getenv("LABSH_TEST_SSH_INVENTORY")
  if not inventory then error("run under Tests/run-with-servers.sh (no ssh test hosts)") end
  local scripts = {}
  for kind, effect in pairs(effects) do
    for path, wrap in pairs(paths) do
      scripts[kind .. "_" .. path] = script('{ hosts = { "host1" }, commands = { "true" }, mutation = true }',
        wrap:format(effect))
    end
  end
  local l = library(scripts, 'return { ["*"] = { hosts = { "*" }, commands = { "*" }, net = { "*" }, secrets = { "*" }, '
    .. 'files = { write = { "/" } }, mutation = true } }\n',
    { effects = "return { run = function(fn) return fn() end }\n" })
  for name in pairs(scripts) do
    local out, rc = l.run("--inventory " .. quote(inventory) .. " -m " .. name, "LABSH_TEST_SECRET=x")
    assert(rc ~= 0, name .. " was not refused:\n" .. out)
    assert(out:find("not capable: " .. name .. " 1.2.0", 1, true), name .. ":\n" .. out)
    assert(not exists(l.marker) and not exists(l.dir .. "/out/secret"), name .. " changed something")
  end
end)

test("files: writes inside requires.files.write work, a link out of it does not", function()
  local l = library({ probe = script('{ files = { write = { out }, read = { out } } }', [[
    local f = assert(io.open(out .. "/report.txt", "w")); f:write("ok"); f:close()
    assert(os.rename(out .. "/report.txt", out .. "/final.txt"))
    print(io.open(out .. "/final.txt"):read("a"))]]) }, 'return { probe = { files = { write = { "/" }, read = { "/" } } } }\n')
  local out, rc = l.run("-m probe")
  assert_eq(rc, 0, out)
  assert_eq(out, "ok\n")
end)

test("files: what labsh's own functions read for the script needs requires.files.read too", function()
  local l = library({
    probe = script('{}', [[
      print(#lab.nodes() > 0, require("labsh.files").read("/proc/self/stat") ~= nil)
      require("labsh.files").read(out .. "/../state/../secret.txt")]]),
  })
  write_file(l.dir .. "/secret.txt", "s3cret\n")
  local out, rc = l.run("-m probe")
  assert_eq(rc, 1, out)
  assert(out:find("^true\ttrue\n"), "the model and /proc stay readable: " .. out)
  assert(out:find("cannot read '" .. l.dir .. "/out/../state/../secret.txt': not in requires.files.read", 1, true), out)
end)

test("secrets: an env: reference is read only when declared and granted; plain variables always", function()
  local l = library({
    probe = script('{ secrets = { "env:LABSH_TEST_SECRET" } }', [[
      print(os.getenv("HOME") ~= nil, os.getenv("LABSH_TEST_SECRET"))]]),
    other = script('{ secrets = { "env:LABSH_TEST_SECRET" } }', [[
      os.getenv("LABSH_TEST_OTHER")]]),
  }, 'return { ["*"] = { secrets = { "env:LABSH_TEST_*" } } }\n')
  local out, rc = l.run("-m probe", "LABSH_TEST_SECRET=s3cret")
  assert_eq(rc, 0, out)
  assert_eq(out, "true\ts3cret\n")
  out, rc = l.run("-m other", "LABSH_TEST_OTHER=x")
  assert_eq(rc, 1, out)
  assert(out:find("cannot read 'env:LABSH_TEST_OTHER': not in requires.secrets", 1, true), out)
end)

test("net: an HTTP origin is reached only when declared and granted, and a redirect elsewhere is refused", function()
  local https = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_fixture_support.lua")
  local fixture = https.start()
  local origin = fixture.base:match("//([^/]+)")
  local l = library({
    allowed = script(('{ net = { "%s" } }'):format(origin), ([[
      print(lab.http.get("%s/json", { ca_file = "%s" }).status)]]):format(fixture.base, fixture.ca)),
    elsewhere = script('{ net = { "127.0.0.1:1" } }', ([[
      lab.http.get("%s/json", { ca_file = "%s" })]]):format(fixture.base, fixture.ca)),
    redirected = script(('{ net = { "%s" } }'):format(origin), ([[
      lab.http.get("%s/redirect-to?url=https://127.0.0.1:1/json", { ca_file = "%s" })]]):format(
        fixture.base, fixture.ca)),
  }, 'return { ["*"] = { net = { "127.0.0.*" } } }\n')
  local out, rc = l.run("-m allowed")
  assert_eq(rc, 0, out)
  assert_eq(out, "200\n")
  out, rc = l.run("-m elsewhere")
  assert_eq(rc, 1, out)
  assert(out:find("cannot reach '" .. origin .. "': not in requires.net", 1, true), out)
  out, rc = l.run("-m redirected")
  assert_eq(rc, 1, out)
  assert(out:find("cannot follow a redirect to '127.0.0.1:1': not in requires.net", 1, true), out)
  https.stop()
end)

test("hosts: lab.exec reaches a host by name or selector only when declared and granted; a script's own ssh is a program", function()
  local inventory = os.getenv("LABSH_TEST_SSH_INVENTORY")
  if not inventory then error("run under Tests/run-with-servers.sh (no ssh test hosts)") end
  local l = library({
    one = script('{ hosts = { "host1" }, commands = { "true" }, mutation = true }', [[
      print(lab.exec("host1", "true")[1].status)
      lab.exec("host2", "true")]]),
    odd = script('{ hosts = { "tag:odd" }, commands = { "true" }, mutation = true }', [[
      print(#lab.exec({ tag = "odd" }, "true"))
      lab.exec({ tag = "test" }, "true")]]),
    shell = script('{ hosts = { "host1" }, commands = { "true" }, mutation = true }', [[
      lab.exec("host1", "true; touch /tmp/x")]]),
    own_ssh = script('{ hosts = { "*" }, commands = { "true" }, mutation = true }', [[
      lab.process.run { argv = { "ssh", "-o", "BatchMode=yes", "127.0.0.1", "true" } }]]),
  }, 'return { ["*"] = { hosts = { "*" }, commands = { "true" }, mutation = true } }\n')
  local flags = "--inventory " .. quote(inventory) .. " "
  local out, rc = l.run(flags .. "-m one")
  assert_eq(rc, 1, out)
  assert(out:find("^0\n"), out)
  assert(out:find("not capable: one 1.2.0 (" .. l.dir .. "/lib/scripts/one.lua:7) cannot ssh to 'host2': "
    .. "not in requires.hosts", 1, true), out)
  out, rc = l.run(flags .. "-m odd")
  assert_eq(rc, 1, out)
  assert(out:find("cannot ssh to 'host2': not in requires.hosts", 1, true), out)
  out, rc = l.run(flags .. "-m shell")
  assert_eq(rc, 1, out)
  assert(out:find("cannot run a shell command line (true; touch /tmp/x) 'sh': not in requires.commands", 1, true), out)
  out, rc = l.run(flags .. "-m own_ssh")
  assert_eq(rc, 1, out)
  assert(out:find("cannot run 'ssh': not in requires.commands", 1, true), out)
end)

test("proxmox: a call is sent only when requires.proxmox covers the privileges the API schema lists for it", function()
  local url, fingerprint = os.getenv("LABSH_TEST_PVE_URL"), os.getenv("LABSH_TEST_PVE_FINGERPRINT")
  if not url then error("run under Tests/run-with-servers.sh (no Proxmox VE simulator)") end
  local origin = url:match("//([^/]+)")
  local connect = ([[
      local c = lab.pve.connect { urls = { { url = %q, fingerprint = %q } }, token = "env:LABSH_TEST_PVE_TOKEN" }
      local vm = lab.pve.resources({ type = "vm" }, c)[1]
      local path = ("/nodes/%%s/qemu/%%d"):format(vm.node, vm.vmid)
      print(c:get(path .. "/config") ~= nil)
      c:post(path .. "/status/start")]]):format(url, fingerprint)
  local requires = ('{ net = { "%s" }, secrets = { "env:LABSH_TEST_PVE_TOKEN" }, proxmox = { "VM.Audit" }, mutation = true }')
    :format(origin)
  local l = library({
    audit_only = script(requires, connect),
    direct = script(requires, ([[require("labsh.pve").perform({ { method = "GET", url = %q } })]]):format(url .. "/api2/json/version")),
  }, ('return { ["*"] = { net = { "%s" }, secrets = { "env:LABSH_TEST_PVE_*" }, proxmox = { "*" }, mutation = true } }\n')
    :format(origin))
  local out, rc = l.run("-m audit_only --yes")
  assert_eq(rc, 1, out)
  assert(out:find("^true\n"), out)
  assert(out:find("cannot call 'POST /nodes/[%w-]+/qemu/%d+/status/start': it needs VM.PowerMgmt, not in requires.proxmox"), out)
  out, rc = l.run("-m direct")
  assert_eq(rc, 1, out)
  assert(out:find("only lab.pve sends to Proxmox VE", 1, true), out)
end)

test("a wrong manifest or grants file is a clear error naming it, before anything runs", function()
  local l = library({
    typo = script('{ hostz = { "host1" } }', [[lab.process.run { argv = { "touch", marker } }]]),
    granted = script('{ commands = { "touch" }, mutation = true }', [[lab.process.run { argv = { "touch", marker } }]]),
  }, 'return { granted = { commands = "touch" } }\n')
  local out, rc = l.run("-m typo")
  assert_eq(rc, 1, out)
  assert(out:find(l.dir .. "/lib/scripts/typo.lua: labsh.script: requires: unknown capability 'hostz' (did you mean 'hosts'?)",
    1, true), out)
  out, rc = l.run("-m granted")
  assert_eq(rc, 1, out)
  assert(out:find("labsh.script: " .. l.dir .. "/config/labsh/grants/caps.lua: [\"granted\"].commands must be a list of non-empty strings", 1, true), out)
  assert(not out:find("stack traceback", 1, true), out)
  assert(not exists(l.marker))
end)

test("metatables labsh shares with the script are read-only to it; its own stay its own", function()
  -- labsh's own code calls string and file methods after a check (the remote
  -- layer builds the ssh command it checked with string.format): replacing
  -- them through getmetatable would change what it runs
  local l = library {
    probe = script("{}", [[
      local function try(what, change)
        local ok, err = pcall(change)
        print(what, ok and "changed" or (tostring(err):match("read%-only") and "read-only" or tostring(err)))
      end
      try("string __index", function() getmetatable("").__index = { format = function() return "rm -rf /" end } end)
      try("string.format", function() getmetatable("").__index.format = function() return "rm -rf /" end end)
      try("file write", function() getmetatable(io.stdout).__index.write = function() end end)
      try("file __gc", function() getmetatable(io.stdout).__gc = nil end)
      try("record __index", function() getmetatable(lab.nodes()[1]).__index = function() return "evil" end end)
      print("format", ("%s-%d"):format("a", 1), getmetatable("").__index == string)
      local Own = { __index = { hello = function() return "own" end } }
      local mine = setmetatable({}, Own)
      try("own metatable", function() getmetatable(mine).extra = true end)
      print("own", getmetatable(mine) == Own, Own.extra, mine.hello())]]),
  }
  local out, rc = l.run("-m probe")
  assert_eq(rc, 0, out)
  assert_eq(out, table.concat({
    "string __index\tread-only", "string.format\tread-only", "file write\tread-only", "file __gc\tread-only",
    "record __index\tread-only", "format\ta-1\ttrue", "own metatable\tchanged", "own\ttrue\ttrue\town", "",
  }, "\n"))
end)

test("hosts: what is checked and where ssh goes come from the inventory as validated, not from tables the script changed", function()
  local inventory = os.getenv("LABSH_TEST_SSH_INVENTORY")
  if not inventory then error("run under Tests/run-with-servers.sh (no ssh test hosts)") end
  -- each script may reach host1 only (or hosts of role web), and first
  -- changes the model's tables it can reach
  local function changed(requires, change, effect)
    return script(requires, ([[
      local function record(name)
        for _, n in ipairs(lab.inventory.current().nodes) do if n.name == name then return n end end
      end
      local host1, host2 = record("host1"), record("host2")
      local function exec(name)  -- a host's refusal may come back as its result
        local r = lab.exec(name, "true")[1]
        if r.status ~= 0 then error(r.message or r.stderr, 0) end
      end
      %s
      %s]]):format(change, effect))
  end
  local one = '{ hosts = { "host1" }, commands = { "true" }, mutation = true }'
  local l = library({
    plain = changed(one, "", [[print(lab.exec("host1", "true")[1].status)]]),
    address = changed(one, "host1.ssh.host = host2.ssh.host", "exec('host1')"),
    config = changed(one, "lab.inventory.current().ssh = { config = marker }", "exec('host1')"),
    user = changed(one, 'host1.ssh.user = "nobody"', "exec('host1')"),
    bastion = changed('{ hosts = { "host1", "host2" }, commands = { "true" }, mutation = true }',
      'host1.ssh.jump = "host2"', "exec('host1')"),
    role = changed('{ hosts = { "role:web" }, commands = { "true" }, mutation = true }',
      'host2.role = "web"', "exec('host2')"),
    fetch = changed(one, "", [[lab.ssh.fetch("host1", "/etc/hostname", marker)]]),
  }, 'return { ["*"] = { hosts = { "*" }, commands = { "true" }, mutation = true } }\n')
  local flags = "--inventory " .. quote(inventory) .. " "
  local out, rc = l.run(flags .. "-m plain")
  assert_eq(rc, 0, out)
  assert_eq(out, "0\n")
  for name, why in pairs {
    address = "destination '127.0.0.", config = "ssh config '" .. l.marker .. "'", user = "User 'nobody'",
    bastion = "ProxyCommand '", role = "cannot ssh to 'host2': not in requires.hosts",
  } do
    out, rc = l.run(flags .. "-m " .. name)
    assert_eq(rc, 1, name .. ": " .. out)
    assert(out:find(why, 1, true), name .. ": " .. out)
    assert(out:find("not capable: " .. name .. " 1.2.0", 1, true), name .. ": " .. out)
  end
  out, rc = l.run(flags .. "-m fetch")
  assert_eq(rc, 1, out)
  assert(out:find("cannot write '" .. l.marker .. "'", 1, true), out)
  assert(not exists(l.marker), "fetch wrote " .. l.marker)
end)

test("a library script runs on the operator's inventory: it cannot load another", function()
  local l = library {
    load = script("{}", [[lab.inventory.load(out .. "/inventory.lua")]]),
    ansible = script("{}", [[lab.inventory.from_ansible(out .. "/hosts.ini")]]),
  }
  for name, how in pairs { load = "lab.inventory.load", ansible = "lab.inventory.from_ansible" } do
    local out, rc = l.run("-m " .. name)
    assert_eq(rc, 1, out)
    assert(out:find("cannot call '" .. how .. "': a library script runs on the operator's inventory", 1, true), out)
  end
end)

test("selectors name what the operator's inventory and command line say, not what the script changed first", function()
  local l = library({
    probe = [[
      -- before it declares, the script points the selectors elsewhere
      lab.inventory.current().monitoring.prometheus = "http://127.0.0.1:6666"
      arg[2] = "http://127.0.0.1:7777"
      return labsh.script {
        name = "probe", description = "what do its selectors name?",
        params = { { "--url", "URL", "a URL" } },
        requires = { net = { "monitoring:prometheus", "option:--url" } },
        run = function(ctx)
          for _, target in ipairs { "127.0.0.1:9090", "127.0.0.1:8080", "127.0.0.1:6666", "127.0.0.1:7777" } do
            print(target, ctx:allows("net", target))
          end
        end,
      }]],
  }, 'return { probe = { net = { "127.0.0.1:*" } } }\n')
  local inventory = l.dir .. "/out/inventory.lua"
  write_file(inventory, [[
return {
  site = { name = "t", domain = "t.test", timezone = "UTC" },
  nodes = { { name = "hv1", kind = "hypervisor", address = "10.9.0.2", vlans = { 10 } } },
  vlans = { { id = 10, name = "mgmt", subnet = "10.9.0.0/24", gateway = "10.9.0.1", zone = "mgmt", trust = "critical" } },
  policy = { default = "deny", rules = {} },
  monitoring = { prometheus = "http://127.0.0.1:9090" },
}
]])
  local out, rc = l.run("--inventory " .. quote(inventory) .. " -m probe --url http://127.0.0.1:8080")
  assert_eq(rc, 0, out)
  assert_eq(out, "127.0.0.1:9090\ttrue\n127.0.0.1:8080\ttrue\n127.0.0.1:6666\tfalse\n127.0.0.1:7777\tfalse\n")
end)
