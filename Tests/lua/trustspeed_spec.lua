-- The trust check and the script lookup of a library script's start, done
-- in bytes (issue 20, "Measures"): the same verdicts and messages as the
-- String-built check, in the cases where the two ways could part: files in
-- nested directories (the record's order is not the walk's), swapped and
-- renamed files, links, paths written relative or through a link, a
-- directory others may write to, a script that is not there.

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = os.getenv("PWD") .. "/" .. labsh end  -- runs change directory

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- A library trusted with `files` (path below it = text), and its own state;
-- runs are as from cron. `opts.path` is LABSH_PATH as written (the library's
-- directory by default), `opts.cwd` where labsh runs.
local function library(files, opts)
  opts = opts or {}
  local dir = temp_dir()
  local lib = dir .. "/lib"
  assert(os.execute("mkdir -p " .. quote(lib .. "/scripts")))
  write_file(lib .. "/library.lua", 'return { name = "speedy", version = "1.0.0", labsh = ">= 0.1", description = "x" }\n')
  for name, text in pairs(files) do
    local parent = (lib .. "/" .. name):match("^(.*)/")
    assert(os.execute("mkdir -p " .. quote(parent)))
    write_file(lib .. "/" .. name, text)
  end
  local l = { dir = dir, lib = lib }
  function l.env(path)
    return ("LABSH_STATE_DIR=%s XDG_CONFIG_HOME=%s LABSH_PATH=%s"):format(
      quote(dir .. "/state"), quote(dir .. "/config"), quote(path or opts.path or lib))
  end
  function l.run(args, path)
    return run_shell(("cd %s && %s %s %s </dev/null 2>&1"):format(quote(opts.cwd or dir), l.env(path), labsh, args))
  end
  -- the files' identities are compared, not their bytes read, when they are
  -- older than the record (not changed in the 50 ms before it)
  assert(os.execute("sleep 0.1"))
  local out, rc = l.run("-m library trust " .. quote(lib) .. " --yes")
  assert_eq(rc, 0, out)
  return l
end

local function script(body)
  return 'return labsh.script { name = "s", version = "1.0.0", description = "x", requires = {},\n'
    .. "  run = function() " .. body .. " end }\n"
end

-- The files labsh opened in a run (strace), as one text.
local function opened(l, args)
  local log = l.dir .. "/strace.log"
  local _, rc = run_shell(("cd %s && %s strace -f -e trace=openat,open -o %s %s %s </dev/null >/dev/null 2>&1"):format(
    quote(l.dir), l.env(), quote(log), labsh, args))
  assert_eq(rc, 0, "strace " .. args)
  return read_file(log) or ""
end

local function count(text, plain)
  local n, from = 0, 1
  while true do
    local at = text:find(plain, from, true)
    if not at then return n end
    n, from = n + 1, at + #plain
  end
end

local nested = {
  ["scripts/s.lua"] = script("print(require('a'), require('a.b'), require('a-c'), (require('deep.er.most')))"),
  ["lib/a.lua"] = "return 'a'\n",
  ["lib/a/b.lua"] = "return 'a/b'\n",  -- '/' sorts after '.' and before '0': the record's order is not a directory's
  ["lib/a-c.lua"] = "return 'a-c'\n",
  ["lib/a0.lua"] = "return 'a0'\n",
  ["lib/deep/er/most.lua"] = "return 'deepest'\n",
  ["lib/deep/er/other.lua"] = "return 'other'\n",
  ["specs/s_spec.lua"] = "test('x', function() end)\n",
}

test("an unchanged library with nested directories starts without reading its files or the record twice", function()
  local l = library(nested)
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  assert_eq(out, "a\ta/b\ta-c\tdeepest\n")
  local traced = opened(l, "-m s")
  -- each module is loaded from the bytes of its file, read once; the
  -- others are not read (their identities were enough), nor is the record
  -- read again to check a module's digest
  assert_eq(count(traced, "lib/deep/er/most.lua"), 1, traced)
  assert_eq(count(traced, "other.lua"), 0, traced)
  assert_eq(count(traced, "s_spec.lua"), 0, traced)
  assert_eq(count(traced, "lib/a0.lua"), 0, traced)
  assert_eq(count(traced, "trusted-libraries"), 1, traced)
end)

test("a file added, removed or renamed in a nested directory is a change, named", function()
  local l = library(nested)
  write_file(l.lib .. "/lib/deep/er/new.lua", "return 1\n")
  local out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("(added: lib/deep/er/new.lua)", 1, true), out)
  l = library(nested)
  assert(os.execute("rm " .. quote(l.lib .. "/lib/a/b.lua")))
  out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("(removed: lib/a/b.lua)", 1, true), out)
  l = library(nested)
  assert(os.execute(("mv %s %s"):format(quote(l.lib .. "/lib/deep/er"), quote(l.lib .. "/lib/deep/ER"))))
  out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("added: lib/deep/ER/most.lua, lib/deep/ER/other.lua; "
    .. "removed: lib/deep/er/most.lua, lib/deep/er/other.lua", 1, true), out)
end)

test("two files that swap names are both changed, though every identity is still in the record", function()
  local l = library(nested)
  local a, b = quote(l.lib .. "/lib/a.lua"), quote(l.lib .. "/lib/a0.lua")
  assert(os.execute(("mv %s %s.tmp && mv %s %s && mv %s.tmp %s"):format(a, a, b, a, a, b)))
  local out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("(changed: lib/a.lua, lib/a0.lua)", 1, true), out)
end)

test("a file rewritten in the same second, its size kept, is a change", function()
  local l = library(nested)
  write_file(l.lib .. "/lib/a.lua", "return 'A'\n")  -- same size, written now
  local out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("(changed: lib/a.lua)", 1, true), out)
end)

test("a file swapped for a link to the same text is a change; a link's target changed too", function()
  local l = library(nested)
  local copy = l.dir .. "/copy.lua"
  assert(os.execute(("cp %s %s && ln -sf %s %s"):format(
    quote(l.lib .. "/lib/a.lua"), quote(copy), quote(copy), quote(l.lib .. "/lib/a.lua"))))
  local out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("(changed: lib/a.lua)", 1, true), out)
  -- trusted with the link, it runs; the linked file changed is a change
  assert_eq(select(2, l.run("-m library trust " .. quote(l.lib) .. " --yes")), 0)
  out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  write_file(copy, "return 'b'\n")
  out, rc = l.run("-m s")
  assert(rc ~= 0 and out:find("(changed: lib/a.lua)", 1, true), out)
end)

test("a directory of the library others may write to is refused, named as LABSH_PATH writes it", function()
  local l = library(nested, { path = "lib" })  -- relative: as written, from the run's directory
  assert(os.execute("chmod 775 " .. quote(l.lib .. "/scripts")))
  local out, rc = l.run("-m s")
  assert(rc ~= 0, out)
  assert(out:find("refusing to load lib/scripts/s.lua: lib/scripts is writable by others than its owner (mode 0775); "
    .. "fix: chmod go-w lib/scripts, or set LABSH_ALLOW_UNSAFE_PATH=1 to load it anyway", 1, true), out)
  assert(os.execute("chmod 755 " .. quote(l.lib .. "/scripts")))
  -- a module's directory too, when it is required
  assert(os.execute("chmod 757 " .. quote(l.lib .. "/lib/deep")))
  out, rc = l.run("-m s")
  assert(rc ~= 0, out)
  assert(out:find("refusing to load lib/lib/deep/er/most.lua: lib/lib/deep is writable by others than its owner (mode 0757)",
    1, true), out)
end)

test("through a linked LABSH_PATH, the directories above the library's real place are checked as well", function()
  local l = library(nested)
  local outer = l.dir .. "/outer"
  assert(os.execute(("mkdir -m 775 %s && mv %s %s/lib && ln -s %s/lib %s"):format(
    quote(outer), quote(l.lib), quote(outer), quote(outer), quote(l.lib))))
  local out, rc = l.run("-m s")
  assert(rc ~= 0, out)
  assert(out:find("refusing to load " .. l.lib .. "/scripts/s.lua: " .. outer
    .. " is writable by others than its owner (mode 0775); fix: chmod go-w " .. outer, 1, true), out)
end)

test("a script that is not there lists where it was looked for, the library's scripts/ among them", function()
  local l = library(nested)
  local out, rc = l.run("-m nosuch")
  assert(rc ~= 0, out)
  assert(out:find("no script 'nosuch' on the script path:\n\tno file '" .. l.lib .. "/scripts/nosuch.lua'\n\tno file '"
    .. l.lib .. "/scripts/nosuch/init.lua'\n\tno embedded file 'scripts/nosuch.lua'", 1, true), out)
  assert(out:find("no file '" .. l.lib .. "/scripts/playbooks/nosuch.lua'", 1, true), out)
  out = l.run("-e 'require \"nosuch.mod\"'")
  assert(out:find("no file '" .. l.lib .. "/lib/nosuch/mod.lua'\n\tno file '" .. l.lib
    .. "/lib/nosuch/mod/init.lua'\n\tno embedded file 'stdlib/nosuch/mod.lua'", 1, true), out)
end)

test("a script name that climbs out with '..' is not looked for, though the file is there", function()
  local l = library(nested)
  assert(os.execute("mkdir " .. quote(l.dir .. "/plain")))
  write_file(l.dir .. "/outside.lua", "print('escaped')\n")
  for _, name in ipairs { "../outside", "x/../../outside", "..//outside" } do
    local out, rc = l.run("-m " .. quote(name), l.dir .. "/plain")
    assert(rc ~= 0, out)
    assert_eq(out:match("labsh: (.*)$"), "no script '" .. name .. "' on the script path:\n")
  end
  -- a name with dots that is not ".." is looked for as usual
  write_file(l.dir .. "/plain/..x.lua", "print('found')\n")
  assert_eq(l.run("-m ..x", l.dir .. "/plain"), "found\n")
end)

test("a file's identity in the record is as labsh always wrote it: DEV:INO:SIZE:MTIME:CTIME, nanoseconds unpadded", function()
  -- the quick check compares these lines byte for byte, also those of records
  -- an earlier labsh wrote: stat(1) says what each must read
  local l = library(nested)
  local record = read_file(l.dir .. "/state/trusted-libraries")
  local lines = 0
  for file in pairs(nested) do
    local out = run_shell(("stat -c '%%d:%%i:%%s:%%.9Y:%%.9Z' %s"):format(quote(l.lib .. "/" .. file)))
    local dev, ino, size, ms, mn, cs, cn = out:match("^(%d+):(%d+):(%d+):(%d+)%.(%d+):(%d+)%.(%d+)\n$")
    assert(dev, out)
    local unpadded = function(n) return tostring(math.tointeger(tonumber(n))) end
    local line = ("identity %s:%s:%s:%s.%s:%s.%s %s\n"):format(dev, ino, size, ms, unpadded(mn), cs, unpadded(cn), file)
    assert(record:find(line, 1, true), line .. " not in\n" .. record)
    lines = lines + 1
  end
  assert_eq(select(2, record:gsub("\nidentity ", "")), lines + 1)  -- and library.lua's
end)

test("a library's lib/ does not answer for labsh's own modules: not looked for there, not run, not listed", function()
  local l = library {
    ["scripts/s.lua"] = script("print(require('lab.json') == lab.json, (require('mine'))); print(pcall(require, 'labsh.nowhere'))"),
    ["lib/mine.lua"] = "return 'mine'\n",
    ["lib/labsh/cli.lua"] = "error('the library replaced labsh.cli')\n",
    ["lib/labsh/capabilities.lua"] = "error('the library replaced labsh.capabilities')\n",
    ["lib/lab/json.lua"] = "error('the library replaced lab.json')\n",
    ["lib/labsh/nowhere.lua"] = "error('the library provided labsh.nowhere')\n",
  }
  local out, rc = l.run("-m s")
  assert_eq(rc, 0, out)
  assert(out:find("^true\tmine\nfalse\t"), out)
  assert(not out:find("replaced", 1, true) and not out:find("provided", 1, true), out)
  assert(out:find("no embedded file 'stdlib/labsh/nowhere.lua'", 1, true), out)
  assert(not out:find(l.lib .. "/lib/labsh", 1, true), out)  -- not where it looked
  local trace = opened(l, "-m s")
  assert(not trace:find("/lib/labsh/", 1, true) and not trace:find("/lib/lab/", 1, true), trace)
  -- a plain directory on the path is the operator's own: it may still add one
  assert(os.execute("mkdir -p " .. quote(l.dir .. "/plain/lab")))
  write_file(l.dir .. "/plain/lab/extra.lua", "return 'extra'\n")
  assert_eq(run_shell(("cd %s && LABSH_PATH=%s %s -e 'print((require(\"lab.extra\")))' 2>&1"):format(
    quote(l.dir), quote(l.dir .. "/plain"), labsh)), "extra\n")
end)
