-- What the faster start of a library script (issue 20, "Measures") must
-- keep: the trust record read as bytes says the same as before and more
-- exactly, and the frozen libraries keep every field behind their guard.

local labsh = os.getenv("LABSH_BIN") or arg[-1]

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- A trusted library with one script that prints `body`'s output, a state
-- directory of its own; runs are as from cron (stdin not a terminal).
local function library(files)
  local dir = temp_dir()
  local lib = dir .. "/lib"
  assert(os.execute("mkdir -p " .. quote(lib .. "/scripts") .. " " .. quote(lib .. "/lib")))
  write_file(lib .. "/library.lua", 'return { name = "speedy", version = "1.0.0", labsh = ">= 0.1", description = "x" }\n')
  for name, text in pairs(files) do write_file(lib .. "/" .. name, text) end
  local env = ("LABSH_STATE_DIR=%s XDG_CONFIG_HOME=%s LABSH_PATH=%s"):format(
    quote(dir .. "/state"), quote(dir .. "/config"), quote(lib))
  local function run(args) return run_shell(("%s %s %s </dev/null 2>&1"):format(env, labsh, args)) end
  -- written before the trust: its files' identities are compared, not read
  assert(os.execute("sleep 0.1"))
  local out, rc = run("-m library trust " .. quote(lib) .. " --yes")
  assert_eq(rc, 0, out)
  return { dir = dir, lib = lib, run = run }
end

local function manifest(body)
  return 'return labsh.script { name = "s", version = "1.0.0", description = "x", requires = {},\n'
    .. "  run = function() " .. body .. " end }\n"
end

test("a file name that begins with a combining mark is read back from the trust record as written", function()
  -- Read as Characters, the space before such a name and the mark were one,
  -- so its record lines were "not a line labsh writes" at every start.
  local l = library {
    ["scripts/s.lua"] = manifest("print('ran')"),
    ["\204\129accent.lua"] = "return 1\n",  -- U+0301 COMBINING ACUTE ACCENT, then "accent"
  }
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  assert_eq(out, "ran\n")
  -- and a change to it is still seen
  write_file(l.lib .. "/\204\129accent.lua", "return 2\n")
  out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("changed: \204\129accent.lua", 1, true), out)
end)

test("a record line labsh does not write is an error with its number, also in another library's part", function()
  local l = library { ["scripts/s.lua"] = manifest("print('ran')") }
  local record = l.dir .. "/state/trusted-libraries"
  local text = read_file(record)
  write_file(record, "library /elsewhere\n\n" .. ("0"):rep(64) .. "  two spaces.lua\nidentity-less\n" .. text)
  local out, rc = l.run("-m s")
  assert(rc ~= 0, out)
  assert(out:find("trusted-libraries:3: not a line labsh writes", 1, true), out)
end)

test("frozen libraries keep every field: reads go through, the tables are empty raw, writes are refused", function()
  local l = library {
    ["scripts/s.lua"] = manifest([[
      local n = 0
      for _ in pairs(string) do n = n + 1 end
      print(n, rawget(string, "format"), next(math), string.format("%d", 7), ("x"):rep(2), math.pi > 3)
      print(pcall(function() string.format = nil end))
    ]]),
  }
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  local count = 0
  for _ in pairs(string) do count = count + 1 end
  local first, second = out:match("^([^\n]*)\n([^\n]*)\n$")
  assert_eq(first, ("%d\tnil\tnil\t7\txx\ttrue"):format(count))
  assert(second:find("^false\t.-cannot change 'format': labsh's libraries are read%-only"), second)
end)

test("a remote command line is read as bytes: a mark after ';' does not hide the shell from requires.commands", function()
  -- Read as Characters, ";" and a combining mark after it were one
  -- Character, not ";": the line passed for the program "true;..." alone.
  local l = library {
    ["scripts/s.lua"] = 'return labsh.script { name = "s", version = "1.0.0", description = "x",\n'
      .. '  requires = { commands = { "true*" } },\n'
      .. '  run = function()\n'
      .. '    local capabilities = require "labsh.capabilities"\n'
      .. '    capabilities.check_command("true --quiet")\n'
      .. '    print("plain ok")\n'
      .. '    print(pcall(capabilities.check_command, "true;\\204\\129echo hi"))\n'
      .. '  end }\n',
  }
  assert(os.execute("mkdir -p " .. quote(l.dir .. "/config/labsh/grants")))
  write_file(l.dir .. "/config/labsh/grants/speedy.lua", 'return { ["*"] = { commands = { "*" } } }\n')
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  assert(out:find("^plain ok\nfalse\t"), out)
  assert(out:find("cannot run a shell command line (true;", 1, true), out)
  assert(out:find("'sh': not in requires.commands", 1, true), out)
end)

test("a program's '/' is found by byte: a mark after it does not make a path match a PATH name's pattern", function()
  local l = library {
    ["scripts/s.lua"] = 'return labsh.script { name = "s", version = "1.0.0", description = "x",\n'
      .. '  requires = { commands = { "x*", "/opt/*" } },\n'
      .. '  run = function()\n'
      .. '    local capabilities = require "labsh.capabilities"\n'
      .. '    print(capabilities.allows("commands", "xtool"), capabilities.allows("commands", "/opt/x"),\n'
      .. '      capabilities.allows("commands", "x/\\204\\129y"), capabilities.allows("commands", "x/y"))\n'
      .. '  end }\n',
  }
  assert(os.execute("mkdir -p " .. quote(l.dir .. "/config/labsh/grants")))
  write_file(l.dir .. "/config/labsh/grants/speedy.lua", 'return { ["*"] = { commands = { "*" } } }\n')
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  assert_eq(out, "true\ttrue\tfalse\tfalse\n")
end)

test("labsh's modules required again under a manifest are the same frozen tables", function()
  local l = library {
    ["scripts/s.lua"] = manifest([[
      local pretty = require "labsh.pretty"
      print(rawequal(pretty, require "labsh.pretty"), rawequal(pretty, package.loaded["labsh.pretty"]))
      print(pcall(function() require("labsh.pretty").escape = print end))
    ]]),
  }
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  assert(out:find("^true\ttrue\nfalse\t.-cannot change 'escape'"), out)
end)

test("paths are read as bytes: '/allowed/../<mark>x' is outside /allowed, and labsh's state stays its own", function()
  -- Read as Characters, "/" and a combining mark after it were one
  -- Character: the ".." stayed in the path, which then passed for one
  -- below the allowed directory, while the kernel wrote one level up.
  local dir = temp_dir()
  assert(os.execute("mkdir -p " .. quote(dir .. "/allowed")))
  local escape = dir .. "/allowed/../\204\129x"
  local l = library {
    ["scripts/s.lua"] = ('return labsh.script { name = "s", version = "1.0.0", description = "x",\n'
      .. '  requires = { files = { write = { %q, os.getenv("LABSH_STATE_DIR") .. "/.." } } },\n'
      .. '  run = function()\n'
      .. '    local ok, f = pcall(io.open, %q, "w")\n'
      .. '    if ok and f then f:write("in"); f:close() end\n'
      .. '    print(ok)\n'
      .. '    print(pcall(io.open, %q, "w"))\n'
      .. '    print(pcall(io.open, os.getenv("LABSH_STATE_DIR") .. "/\\204\\129mine", "w"))\n'
      .. '  end }\n'):format(dir .. "/allowed", dir .. "/allowed/\204\129ok", escape),
  }
  assert(os.execute("mkdir -p " .. quote(l.dir .. "/config/labsh/grants")))
  write_file(l.dir .. "/config/labsh/grants/speedy.lua", 'return { ["*"] = { files = { write = { "/" } } } }\n')
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  local lines = {}
  for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
  assert_eq(lines[1], "true")  -- a name beginning with a mark, below /allowed
  assert_eq(read_file(dir .. "/allowed/\204\129ok"), "in")
  assert(lines[2]:find("^false\t.-not capable: s 1%.0%.0") and lines[2]:find("not in requires.files.write", 1, true), out)
  assert(lines[3]:find("^false\t.-it is labsh's own state"), out)
  assert_eq(read_file(dir .. "/\204\129x"), nil)
  assert_eq(read_file(l.dir .. "/state/\204\129mine"), nil)
end)

test("the inventory is read before a script starts only when its manifest names a place of it", function()
  local l = library {
    ["scripts/plain.lua"] = 'return labsh.script { name = "plain", version = "1.0.0", description = "x",\n'
      .. '  requires = { net = { "127.0.0.1:9" }, files = { read = { "/etc/hostname" } } }, run = function() print("ran") end }\n',
    ["scripts/named.lua"] = 'return labsh.script { name = "named", version = "1.0.0", description = "x",\n'
      .. '  requires = { net = { "monitoring:prometheus" } }, run = function() print("ran") end }\n',
  }
  local inventory = l.dir .. "/inventory.lua"
  write_file(inventory, 'return { site = { name = "t", domain = "t.home.arpa" }, monitoring = { prometheus = "http://127.0.0.1:9090" } }\n')
  local function opened(script)
    local log = l.dir .. "/" .. script .. ".strace"
    local out, rc = l.run(("--inventory %s -m %s"):format(quote(inventory), script))
    assert_eq(rc, 0, out)
    run_shell(("LABSH_STATE_DIR=%s XDG_CONFIG_HOME=%s LABSH_PATH=%s strace -f -e trace=openat -o %s %s --inventory %s -m %s </dev/null >/dev/null 2>&1")
      :format(quote(l.dir .. "/state"), quote(l.dir .. "/config"), quote(l.lib), quote(log), labsh, quote(inventory), script))
    return (read_file(log) or ""):find(inventory, 1, true) ~= nil
  end
  assert_eq(opened("named"), true)
  assert_eq(opened("plain"), false)
end)

test("the declared line's time is UTC, as os.date gives it, though labsh no longer reads the time zone for it", function()
  local l = library { ["scripts/s.lua"] = manifest("") }
  local before = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local out, rc = l.run("-m s")
  local after = os.date("!%Y-%m-%dT%H:%M:%SZ")
  assert_eq(rc, 0, out)
  local last
  for line in io.lines(l.dir .. "/state/audit.log") do last = line end
  local stamp = last:match('"time":"([^"]+)"')
  assert(stamp == before or stamp == after, ("%s not %s or %s"):format(stamp, before, after))
end)

test("the usage texts load only when shown: a library script parses without them, and its usage error still has them", function()
  local l = library {
    ["scripts/s.lua"] = 'return labsh.script { name = "s", version = "1.0.0", description = "the s script",\n'
      .. '  params = { { "--count", "N", "how many", type = "count" } }, requires = {},\n'
      .. '  run = function(ctx, opts) print(opts.count, package.loaded["labsh.cli_usage"] == nil) end }\n',
  }
  local out, rc = l.run("-m s --count 2")
  assert_eq(rc, 0, out)
  assert_eq(out, "2\ttrue\n")
  out, rc = l.run("-m s --count none")
  assert_eq(rc, 2, out)
  assert(out:find("labsh -m s: --count must be a whole number from 1, not 'none'\nusage: labsh -m s [options]\n  the s script\n", 1, true), out)
  assert(out:find("  --count N                how many", 1, true), out)
end)

test("the parser loads only when there is something to read; what it reads is as before", function()
  local l = library {
    ["scripts/plain.lua"] = 'return labsh.script { name = "plain", version = "1.0.0", description = "no options",\n'
      .. '  formats = { "text", "json" }, requires = {},\n'
      .. '  run = function(ctx, opts) print(next(opts) == nil, package.loaded["labsh.cli_parse"] == nil) end }\n',
    ["scripts/opts.lua"] = 'return labsh.script { name = "opts", version = "1.0.0", description = "options",\n'
      .. '  params = { { "--count", "N", "how many", type = "count", default = 3 } }, requires = {},\n'
      .. '  run = function(ctx, opts) print(opts.count, package.loaded["labsh.cli_parse"] ~= nil) end }\n',
  }
  local out, rc = l.run("-m plain")
  assert_eq(rc, 0, out)
  assert_eq(out, "true\ttrue\n")
  out, rc = l.run("-m plain extra")  -- an argument it does not take: the parser says so
  assert_eq(rc, 2, out)
  assert(out:find("labsh -m plain: unexpected argument 'extra'", 1, true), out)
  out, rc = l.run("--format html -m plain")  -- a format it does not write: refused before parsing
  assert_eq(rc, 2, out)
  assert(out:find("--format html is not supported", 1, true), out)
  out, rc = l.run("-m opts")  -- declared options: their defaults come from the parser
  assert_eq(rc, 0, out)
  assert_eq(out, "3\ttrue\n")
  out, rc = l.run("-m opts --count 5")
  assert_eq(rc, 0, out)
  assert_eq(out, "5\ttrue\n")
end)

test("with nothing to read or refuse, labsh.cli does not load; anything it could read or refuse loads it", function()
  local function probe(name, decl)
    return ('return labsh.script { name = "%s", version = "1.0.0", description = "probe", requires = {},%s\n'):format(name, decl)
      .. '  run = function(ctx, opts) print(next(opts) == nil, package.loaded["labsh.cli"] ~= nil) end }\n'
  end
  local l = library {
    ["scripts/bare.lua"] = probe("bare", ""),
    ["scripts/json.lua"] = probe("json", ' formats = { "json" },'),
    ["scripts/both.lua"] = probe("both", ' formats = { "text", "json" },'),
  }
  local function run(args) local out, rc = l.run(args); return out, rc end
  local out, rc = run("-m bare")
  assert_eq(rc, 0, out)
  assert_eq(out, "true\tfalse\n")
  assert_eq(run("--format text -m bare"), "true\tfalse\n")  -- the default, said
  out, rc = run("-m bare --format json")  -- asked for what it does not write
  assert_eq(rc, 2, out)
  assert(out:find("labsh -m bare: --format json is not supported (it writes text)", 1, true), out)
  out, rc = run("-m bare --help")
  assert_eq(rc, 0, out)
  assert(out:find("usage: labsh -m bare [options]\n  probe\n", 1, true), out)
  out, rc = run("-m bare extra")
  assert_eq(rc, 2, out)
  assert(out:find("labsh -m bare: unexpected argument 'extra'", 1, true), out)
  out, rc = run("-m json")  -- writes json only: text is refused even when nobody asked for it
  assert_eq(rc, 2, out)
  assert(out:find("--format text is not supported (it writes json)", 1, true), out)
  assert_eq(run("-m json --format json"), "true\ttrue\n")
  assert_eq(run("-m both"), "true\ttrue\n")
end)

test("the trust check compares each file's identity under its name: a renamed file is a change", function()
  local l = library { ["scripts/s.lua"] = manifest("print('ran')"), ["lib/a.lua"] = "return 1\n" }
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  assert(os.execute(("mv %s %s"):format(quote(l.lib .. "/lib/a.lua"), quote(l.lib .. "/lib/b.lua"))))
  out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("(added: lib/b.lua; removed: lib/a.lua)", 1, true), out)
end)
