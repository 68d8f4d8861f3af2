-- Shared script libraries (issue 20, "Libraries as a unit"): trust on first
-- use, refusal from cron, what changed, `labsh -m library` and
-- `labsh -m test`, on a library made in a git repository here.

local root = os.getenv("LABSH_ROOT") or "."
local labsh = os.getenv("LABSH_BIN") or arg[-1]

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- A command line's output, stderr with it, and its exit code.
local function sh(command) return run_shell(command .. " 2>&1") end

-- A copy of the example library, committed in a new git repository, and a
-- state directory of its own. Runs are as from cron: stdin is not a terminal.
local function new_library()
  local dir = require("labsh.filesystem").temp_directory("labsh-library")
  local lib = dir .. "/team-lib"
  local _, rc = sh(("cp -r %s %s && cd %s && git init -q && git add -A && "
    .. "git -c user.name=t -c user.email=t@t commit -qm first"):format(
    quote(root .. "/Tests/example-library"), quote(lib), quote(lib)))
  assert_eq(rc, 0, "made the library")
  local env = ("LABSH_STATE_DIR=%s LABSH_PATH=%s"):format(quote(dir .. "/state"), quote(lib))
  local function run(args) return sh(("%s %s %s </dev/null"):format(env, labsh, args)) end
  local function commit(change)
    local _, done = sh(("cd %s && %s && git add -A && git -c user.name=t -c user.email=t@t commit -qm change")
      :format(quote(lib), change))
    assert_eq(done, 0, change)
  end
  return { dir = dir, lib = lib, env = env, run = run, commit = commit }
end

test("an untrusted library runs nothing from cron: its scripts and its modules are refused", function()
  local l = new_library()
  local out, rc = l.run("-m guests-per-node")
  assert(rc ~= 0, out)
  assert(out:find("refusing the script library " .. l.lib .. ": it is not trusted yet", 1, true), out)
  assert(out:find("labsh -m library trust " .. l.lib, 1, true), out)
  out, rc = l.run("-e 'require \"placement\"'")
  assert(rc ~= 0 and out:find("not trusted yet", 1, true), out)
  out, rc = l.run("-m library status " .. quote(l.lib))
  assert_eq(rc, 1)
  assert_eq(out, l.lib .. ": NOT trusted, never trusted\n")
end)

test("trusted, its scripts run and the script list names the library", function()
  local l = new_library()
  local out, rc = l.run("-m library trust " .. quote(l.lib))
  assert_eq(rc, 0, out)
  out, rc = l.run("-m guests-per-node --format json")
  assert_eq(rc, 0, out)
  assert(out:match("^%[{"), out)
  out = l.run("-m")
  assert(out:find("guests%-per%-node%s+library team%-lib"), out)
  assert_eq(select(2, l.run("-m library status " .. quote(l.lib))), 0)
end)

test("a pulled change is refused until trusted again, and the refusal says what changed", function()
  local l = new_library()
  l.run("-m library trust " .. quote(l.lib))
  l.commit("echo '-- changed' >> lib/placement.lua && echo 'return 1' > scripts/new.lua && rm specs/*")
  local out, rc = l.run("-m guests-per-node")
  assert(rc ~= 0, out)
  assert(out:find("has changed since it was trusted (changed: lib/placement.lua; added: scripts/new.lua; "
    .. "removed: specs/guests_per_node_spec.lua)", 1, true), out)
  l.run("-m library trust " .. quote(l.lib))
  assert_eq(select(2, l.run("-m guests-per-node")), 0)
  -- the manifest is a file like the others
  l.commit("sed -i 's/1.0.0/1.1.0/' library.lua")
  out = l.run("-m guests-per-node")
  assert(out:find("(changed: library.lua)", 1, true), out)
end)

test("a file changed in place with its size and modification time put back is still a change", function()
  local l = new_library()
  -- files older than the record (not changed in the last 50 ms before it):
  -- labsh compares their identities (inode, size, times) before reading them
  assert(os.execute("sleep 0.1"))
  l.run("-m library trust " .. quote(l.lib))
  assert_eq(select(2, l.run("-m guests-per-node")), 0)
  -- unchanged, its files are not read to be hashed (the spec file is not opened at all)
  local log = l.dir .. "/strace.log"
  sh(("%s strace -f -e trace=openat -o %s %s -m guests-per-node </dev/null"):format(l.env, quote(log), labsh))
  local traced = read_file(log) or ""
  assert(traced:find("scripts/guests-per-node.lua", 1, true), traced)
  assert(not traced:find("guests_per_node_spec.lua", 1, true), traced)
  local file = l.lib .. "/lib/placement.lua"
  local text = read_file(file)
  local _, rc = sh(("cp -p %s %s.old && printf %%s %s > %s && touch -r %s.old %s && rm %s.old"):format(
    quote(file), quote(file), quote((text:gsub("guests", "GUESTS", 1))), quote(file), quote(file), quote(file), quote(file)))
  assert_eq(rc, 0)
  local out, status = l.run("-m guests-per-node")
  assert(status ~= 0, out)
  assert(out:find("(changed: lib/placement.lua)", 1, true), out)
end)

test("a library's jobs (jobs/*.lua) are loaded only while it is trusted; other jobs go on", function()
  local l = new_library()
  l.commit([[mkdir -p jobs && printf 'return { name = "team-count", schedule = "daily", run = "guests-per-node" }\n' > jobs/team-count.lua]])
  local out, rc = l.run("-m jobs list")
  assert_eq(rc, 1, out)
  assert(out:find("team-count", 1, true) and out:find("it is not trusted yet", 1, true), out)
  l.run("-m library trust " .. quote(l.lib))
  out, rc = l.run("-m jobs list")
  assert_eq(rc, 0, out)
  assert(out:find("team%-count%s+daily"), out)
end)

test("a link is read through: changing what it points to is a change", function()
  local l = new_library()
  local outside = l.dir .. "/outside.lua"
  write_file(outside, "print('first')\n")
  l.commit("ln -s " .. quote(outside) .. " scripts/linked.lua")
  l.run("-m library trust " .. quote(l.lib))
  assert_eq(l.run("-m linked"), "first\n")
  write_file(outside, "print('second')\n")
  local out, rc = l.run("-m linked")
  assert(rc ~= 0 and out:find("(changed: scripts/linked.lua)", 1, true), out)
end)

test("a library with a control character in a file name, or a FIFO, is refused with its path", function()
  local l = new_library()
  l.commit("touch \"$(printf 'scripts/odd\\nname.lua')\"")
  local out, rc = l.run("-m guests-per-node")
  assert(rc ~= 0 and out:find("a file name with a control character", 1, true), out)
  local m = new_library()
  sh("mkfifo " .. quote(m.lib .. "/lib/pipe"))
  out, rc = m.run("-m library trust " .. quote(m.lib))
  assert(rc ~= 0 and out:find(m.lib .. "/lib/pipe is neither a file, a directory nor a link", 1, true), out)
end)

test("trust belongs to the library's place: a copy elsewhere is not trusted", function()
  local l = new_library()
  l.run("-m library trust " .. quote(l.lib))
  sh(("cp -r %s %s"):format(quote(l.lib), quote(l.dir .. "/copy")))
  local out, rc = sh(("LABSH_STATE_DIR=%s LABSH_PATH=%s %s -m guests-per-node </dev/null"):format(
    quote(l.dir .. "/state"), quote(l.dir .. "/copy"), labsh))
  assert(rc ~= 0 and out:find("not trusted yet", 1, true), out)
end)

test("a damaged trust record is an error naming its line, never a pass", function()
  local l = new_library()
  l.run("-m library trust " .. quote(l.lib))
  local record = l.dir .. "/state/trusted-libraries"
  write_file(record, read_file(record) .. "garbage\n")
  local out, rc = l.run("-m guests-per-node")
  assert(rc ~= 0, out)
  assert(out:find("trusted%-libraries:%d+: not a line labsh writes"), out)
end)

test("--dry-run trust records nothing", function()
  local l = new_library()
  local out = l.run("--dry-run -m library trust " .. quote(l.lib))
  assert(out:find("would trust", 1, true), out)
  assert_eq(select(2, l.run("-m library status " .. quote(l.lib))), 1)
end)

test("labsh -m test runs the library's specs with labsh's own runner; untrusted, it refuses", function()
  local l = new_library()
  local out, rc = l.run("-m test " .. quote(l.lib))
  assert_eq(rc, 1)
  assert(out:find("is not trusted (its specs run its code)", 1, true), out)
  l.run("-m library trust " .. quote(l.lib))
  out, rc = l.run("-m test " .. quote(l.lib))
  assert_eq(rc, 0, out)
  assert(out:match("\n?4 passed, 0 failed\n$"), out)
  -- a failing spec fails the run, with the usual line
  l.commit("printf 'test(\"fails\", function() assert_eq(1, 2) end)\\n' > specs/broken_spec.lua")
  l.run("-m library trust " .. quote(l.lib))
  out, rc = l.run("-m test " .. quote(l.lib))
  assert_eq(rc, 1)
  assert(out:find("FAIL .-broken_spec.lua: fails") and out:find("4 passed, 1 failed\n", 1, true), out)
end)

test("labsh -m library check: the example is clean; a broken --help, a lint finding, a bad manifest are not", function()
  local l = new_library()
  l.run("-m library trust " .. quote(l.lib))
  local out, rc = l.run("-m library check " .. quote(l.lib))
  assert_eq(rc, 0, out)
  assert(out:find("example-library 1.0.0: clean (library.lua, --help of each script, lua-check, specs)", 1, true), out)
  l.commit("printf 'local unused = 1\\nerror(\"boom\")\\n' > scripts/broken.lua && sed -i 's/\"1.0.0\"/\"one\"/' library.lua")
  l.run("-m library trust " .. quote(l.lib))
  out, rc = l.run("-m library check " .. quote(l.lib))
  assert_eq(rc, 1, out)
  assert(out:find("scripts/broken.lua: --help exited 1", 1, true), out)
  assert(out:find("unused variable 'unused'", 1, true), out)
  assert(out:find("library.lua: version must be MAJOR.MINOR.PATCH", 1, true), out)
end)

test("a module changed after the trust check, while labsh runs, is refused: what runs is what was checked", function()
  local l = new_library()
  l.commit("echo 'return \"reviewed\"' > lib/later.lua")
  assert_eq(select(2, l.run("-m library trust " .. quote(l.lib))), 0)
  -- one run: the check passes at the first require; then a pull changes a
  -- module that is required later (a long job's next step)
  local code = ([[
    require "placement"
    print((require "later"))
    package.loaded.later = nil
    local f = assert(io.open(%q, "w")); f:write('return "pulled, never reviewed"\n'); f:close()
    print(pcall(require, "later"))]]):format(l.lib .. "/lib/later.lua")
  local out, rc = l.run("-e " .. quote(code))
  assert_eq(rc, 0, out)
  assert(out:find("^reviewed\nfalse\t"), out)
  assert(out:find("lib/later.lua changed while labsh ran; review it, then run: labsh -m library trust " .. l.lib, 1, true), out)
  assert(not out:find("never reviewed\n", 1, true), out)
end)

test("a library script may begin with a #! line, as any Lua file labsh runs", function()
  local l = new_library()
  l.commit("printf '#!/usr/bin/env labsh\\nprint(\"shebang ok\", debug.getinfo(1, \"l\").currentline)\\n' > scripts/shebang.lua")
  assert_eq(select(2, l.run("-m library trust " .. quote(l.lib))), 0)
  local out, rc = l.run("-m shebang")
  assert_eq(rc, 0, out)
  assert_eq(out, "shebang ok\t2\n")
end)
