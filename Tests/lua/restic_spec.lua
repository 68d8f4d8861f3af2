-- lab.process, the mutation gate, lab.restic and the restore drill, against
-- the real restic (Debian's) in a scratch repository. Runs under labsh.
-- Each restic run costs about half a second: the specs share one repository
-- and changes go through labsh child processes (their own --dry-run, --yes,
-- audit log in the scratch directory, never the user's).

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-restic-spec")
local repo_path = tmp .. "/repo"
local password_file = tmp .. "/password"
local cache = tmp .. "/cache"
local state = tmp .. "/state"
local scratch = tmp .. "/scratch"    -- TMPDIR of the drills: must end empty
local source = tmp .. "/src"

local function sh(command)
  local r = lab.process.run { argv = { "sh", "-c", command } }
  assert(r.status == 0, command .. ": " .. r.stderr)
  return r.stdout
end

-- Is process `pid` still running (a zombie no longer counts)?
local function alive(pid)
  local stat = read_file("/proc/" .. pid .. "/stat")
  return stat ~= nil and not stat:match("^%d+ %b() [ZX]")
end

local function entries(dir)
  return sh(("ls -A %q"):format(dir))
end

-- labsh as a child: code for -e (with `repo` and `R` ready), or a command line.
local PRELUDE = ([[
local R = function(path, opts) opts = opts or {}
  opts.password = opts.password or "file:%s"; opts.env = { RESTIC_CACHE_DIR = "%s" }
  return lab.restic(path, opts) end
local repo = R("%s")
]]):format(password_file, cache, repo_path)

local function labsh_run(args, code)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  if code then
    argv[#argv + 1] = "-e"
    argv[#argv + 1] = PRELUDE .. code
  end
  return lab.process.run { argv = argv, timeout = 120,
    env = { LABSH_STATE_DIR = state, TMPDIR = scratch, RESTIC_CACHE_DIR = cache, LABSH_PATH = false } }
end

local function audit_lines()
  local lines = {}
  for line in (read_file(state .. "/audit.log") or ""):gmatch("[^\n]+") do lines[#lines + 1] = lab.json.decode(line) end
  return lines
end

local function repository()
  return lab.restic(repo_path, { password = "file:" .. password_file, env = { RESTIC_CACHE_DIR = cache } })
end

local function ids(list)
  local out = {}
  for i, s in ipairs(list) do out[i] = s.id end
  table.sort(out)
  return out
end

-- One repository for all: five snapshots at chosen times, two tagged.
local TIMES = { "2026-01-01 10:00:00", "2026-01-01 12:00:00", "2026-01-02 10:00:00",
  "2026-01-09 10:00:00", "2026-02-01 10:00:00" }
local setup_done = false
local function setup()
  if setup_done then return end
  setup_done = true
  sh(("mkdir -p %q %q %q/sub"):format(scratch, state, source))
  write_file(password_file, "correct horse battery staple\n")
  write_file(source .. "/a.txt", "hello\n")
  write_file(source .. "/sub/b.bin", ("\0\1\2\255"):rep(50000))
  local init = lab.process.run { argv = { "restic", "init" },
    env = { RESTIC_REPOSITORY = repo_path, RESTIC_PASSWORD_FILE = password_file, RESTIC_CACHE_DIR = cache } }
  assert(init.status == 0, init.stderr)
  local code = { "local out = {}" }
  for i, time in ipairs(TIMES) do
    code[#code + 1] = ("out[%d] = repo:backup(%q, { time = %q, tags = %s }).snapshot_id"):format(
      i, source, time, i % 2 == 0 and '{ "even" }' or "nil")
  end
  code[#code + 1] = "print(table.concat(out, ' '))"
  local r = labsh_run({}, table.concat(code, "\n"))
  assert(r.status == 0, r.stderr)
end

----------------------------------------------------------------------------
-- lab.process

test("process: exit codes, signals, stdout and stderr", function()
  local r = lab.process.run { argv = { "sh", "-c", "echo out; echo err >&2; exit 7" } }
  assert_eq(r.status, 7)
  assert_eq(r.signal, nil)
  assert_eq(r.stdout, "out\n")
  assert_eq(r.stderr, "err\n")
  assert_eq(r.timed_out, false)
  r = lab.process.run { argv = { "sh", "-c", "kill -USR1 $$" } }
  assert_eq(r.status, nil)
  assert_eq(r.signal, 10)
end)

test("process: stdin is bytes, env adds and removes, cwd", function()
  local bytes = "a\0b\255\n" .. ("x"):rep(300000)
  assert_eq(lab.process.run { argv = { "cat" }, stdin = bytes }.stdout, bytes)
  local r = lab.process.run { argv = { "sh", "-c", 'echo "$LABSH_X ${HOME-unset}"; pwd' },
    env = { LABSH_X = "set", HOME = false }, cwd = "/tmp" }
  assert_eq(r.stdout, "set unset\n/tmp\n")
end)

test("process: on_line streams lines of both streams, the last one unterminated", function()
  local seen = {}
  lab.process.run { argv = { "sh", "-c", "echo one; echo two >&2; sleep 0.05; printf three" },
    on_line = function(stream, line) seen[#seen + 1] = stream .. ":" .. line end }
  assert_same(seen, { "stdout:one", "stderr:two", "stdout:three" })
end)

test("process: an error in on_line stops the program and is raised", function()
  local child
  local t = lab.sys.monotonic()
  local ok, err = pcall(lab.process.run, { argv = { "sh", "-c", "sleep 30 & echo $!; wait" },
    on_line = function(_, line) child = line; error("seen enough") end })
  assert_eq(ok, false)
  assert(tostring(err):find("seen enough"), tostring(err))
  assert(lab.sys.monotonic() - t < 2.5, "stopped at once")
  assert(not alive(child), "the program's own child is gone too")
end)

test("process: timeout stops the program and its children", function()
  local grandchild
  local r = lab.process.run { argv = { "sh", "-c", "sleep 30 & echo $!; sleep 30" }, timeout = 0.3,
    on_line = function(_, line) grandchild = line end }
  assert_eq(r.timed_out, true)
  assert_eq(r.signal, 15)
  assert(r.elapsed < 1.5, "elapsed " .. r.elapsed)
  assert(not alive(grandchild), "background child killed")
  -- One that ignores SIGTERM gets SIGKILL 2 s later.
  r = lab.process.run { argv = { "sh", "-c", "trap '' TERM; sleep 30" }, timeout = 0.2 }
  assert_eq(r.signal, 9)
  assert(r.elapsed > 2 and r.elapsed < 3.5, "elapsed " .. r.elapsed)
end)

test("process: output beyond max_output keeps the tail", function()
  local r = lab.process.run { argv = { "seq", "1", "100000" }, max_output = 100 }
  assert_eq(#r.stdout, 100)
  assert(r.stdout:match("\n100000\n$"), r.stdout)
  assert(r.dropped > 500000, tostring(r.dropped))
end)

test("process: a missing or non-executable program is an error object", function()
  local ok, err = pcall(lab.process.run, { argv = { "labsh-no-such-program", "x" } })
  assert_eq(ok, false)
  assert_eq(err.kind, "process")
  assert_same(err.argv, { "labsh-no-such-program", "x" })
  assert_eq(err.message, "cannot run 'labsh-no-such-program': not found on PATH")
  setup()
  ok, err = pcall(lab.process.run, { argv = { password_file } })
  assert_eq(err.kind, "process")
  assert(err.message:find("permission denied", 1, true), err.message)
  ok, err = pcall(lab.process.run, { argv = { "true" }, cwd = tmp .. "/nowhere" })
  assert(err.message:find("no directory", 1, true), err.message)
end)

test("process: no descriptors leak into the program, no zombies stay", function()
  local fds = lab.process.run { argv = { "ls", "/proc/self/fd" } }.stdout
  assert_eq(fds, "0\n1\n2\n3\n", "stdin, stdout, stderr and ls's own directory")
  local children = read_file(("/proc/%d/task/%d/children"):format(lab.sys.pid(), lab.sys.pid()))
  assert_eq(children, "", "children left")
end)

test("process: labsh --timeout stops a waiting program within ~1.3 s", function()
  local r = lab.process.run { argv = { labsh, "--timeout", "1", "-e",
    'lab.process.run{argv = {"sh", "-c", "echo $$; exec sleep 30"}, on_line = function(_, l) io.stderr:write(l, "\\n") end}' } }
  assert_eq(r.status, 124)
  assert(r.elapsed < 1.6, "elapsed " .. r.elapsed)
  local pid = r.stderr:match("^(%d+)")
  assert(pid and not alive(pid), "the sleep is gone: " .. r.stderr)
end)

----------------------------------------------------------------------------
-- lab.restic

test("restic: backup and snapshots, times as restic prints them, filters", function()
  setup()
  local repo = repository()
  local snapshots = repo:snapshots()
  assert_eq(#snapshots, 5)
  local times = {}
  for i, s in ipairs(snapshots) do times[i] = s.time:sub(1, 19):gsub("T", " ") end
  table.sort(times)
  assert_same(times, TIMES)
  assert(snapshots[1].time:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d"), snapshots[1].time)
  assert_eq(#repo:snapshots { tag = "even" }, 2)
  assert_eq(#repo:snapshots { host = "labsh-no-such-host" }, 0)
end)

test("restic: forget --dry-run shows the plan and deletes nothing", function()
  setup()
  local r = labsh_run({ "--dry-run" }, "repo:forget({ daily = 2, monthly = 2 })")
  assert_eq(r.status, 0, r.stderr)
  assert(r.stderr:find("keep 2, remove 3 snapshot(s)", 1, true), r.stderr)
  assert(r.stderr:find("remove  %x+  2026%-01%-01 10:00:00"), r.stderr)
  assert(r.stderr:find("dry run: would delete 3 snapshots on " .. repo_path, 1, true), r.stderr)
  assert_eq(#repository():snapshots(), 5)
  local last = audit_lines()[#audit_lines()]
  assert_eq(last.action, "restic.forget")
  assert_eq(last.dry_run, true)
  assert_eq(#last.details.ids, 3)
end)

test("restic: forget without a terminal and without --yes refuses", function()
  setup()
  local r = labsh_run({}, "repo:forget({ daily = 2, monthly = 2 })")
  assert_eq(r.status, 1)
  assert(r.stderr:find("refusing to delete 3 snapshots without --yes: no terminal to ask", 1, true), r.stderr)
  assert_eq(#repository():snapshots(), 5)
  assert(audit_lines()[#audit_lines()].outcome:find("^refused"), "refusal audited")
end)

test("restic: forget --yes deletes exactly the engine's remove set", function()
  setup()
  local repo = repository()
  local policy = { daily = 2, monthly = 2 }
  local before = repo:snapshots()
  local plan = lab.backup.prune(before, policy, { semantics = repo:semantics() })
  assert_eq(#plan.remove, 3)
  local r = labsh_run({ "--yes" }, "repo:forget({ daily = 2, monthly = 2 })")
  assert_eq(r.status, 0, r.stderr)
  assert_same(ids(repo:snapshots()), ids(plan.keep))
  local last = audit_lines()[#audit_lines()]
  assert_eq(last.outcome, "done")
  table.sort(last.details.ids)
  assert_same(last.details.ids, ids(plan.remove))
  assert_eq(last.dry_run, false)
end)

test("restic: at a terminal the gate asks, and only yes deletes", function()
  setup()
  -- script(1) gives labsh a terminal and types the answer.
  local script = tmp .. "/ask.lua"
  write_file(script, PRELUDE .. "print('removed', #repo:forget({ last = 1 }).removed)")
  local function answer(text)
    return lab.process.run { argv = { "script", "-qec", labsh .. " " .. script, "/dev/null" }, stdin = text .. "\n",
      timeout = 60, env = { LABSH_STATE_DIR = state, RESTIC_CACHE_DIR = cache, LABSH_PATH = false } }
  end
  local r = answer("n")
  assert(r.stdout:find("delete 1 snapshot on " .. repo_path .. "? [y/N]", 1, true), r.stdout)
  assert(r.stdout:find("removed\t0"), r.stdout)
  assert_eq(audit_lines()[#audit_lines()].outcome, "declined")
  assert_eq(#repository():snapshots(), 2)
  r = answer("y")
  assert(r.stdout:find("removed\t1"), r.stdout)
  assert_eq(audit_lines()[#audit_lines()].outcome, "done")
  assert_eq(#repository():snapshots(), 1)
end)

test("restic: the audit log is private and one JSON line per action", function()
  setup()
  assert_eq(sh(("stat -c %%a %q"):format(state .. "/audit.log")), "600\n")
  for _, line in ipairs(audit_lines()) do
    for _, key in ipairs { "time", "user", "host", "action", "target", "outcome" } do
      assert(line[key], "audit line has " .. key)
    end
  end
end)

test("restic: check, stats, ls and version", function()
  setup()
  local repo = repository()
  assert_eq(repo:check().ok, true)
  local stats = repo:stats()
  assert(stats.total_file_count >= 2, tostring(stats.total_file_count))
  local nodes, snapshot = repo:ls("latest")
  assert(snapshot and snapshot.id, "the snapshot comes with the listing")
  local sizes = {}
  for _, n in ipairs(nodes) do sizes[n.name] = n.size end
  assert_eq(sizes["b.bin"], 200000)
  assert(repo:version():match("^%d+%.%d+%.%d+$"), repo:version())
end)

test("restic: restore puts the files back", function()
  setup()
  local target = tmp .. "/restored"
  local r = labsh_run({}, ("repo:restore('latest', %q)"):format(target))
  assert_eq(r.status, 0, r.stderr)
  local restored = sh(("find %q -type f -name b.bin"):format(target)):gsub("\n$", "")
  assert_eq(read_file(restored), read_file(source .. "/sub/b.bin"))
end)

test("restic: a wrong password is a clear error, the password shown nowhere", function()
  setup()
  write_file(tmp .. "/wrong", "not the password\n")
  local ok, err = pcall(function()
    return lab.restic(repo_path, { password = "file:" .. tmp .. "/wrong", env = { RESTIC_CACHE_DIR = cache } }):snapshots()
  end)
  assert_eq(ok, false)
  assert_eq(err.kind, "restic")
  assert_eq(err.message, "restic snapshots failed: wrong password or no key found for repository " .. repo_path)
  assert_eq(err.exit_code, 1)
  assert(not lab.json.encode(err):find("not the password", 1, true), "password leaked")
end)

test("restic: missing binary and missing repository are clear errors", function()
  setup()
  local ok, err = pcall(function()
    return lab.restic(repo_path, { password = "file:" .. password_file, restic = tmp .. "/no/restic" }):snapshots()
  end)
  assert_eq(err.kind, "restic")
  assert(err.message:find("restic is not installed", 1, true), err.message)
  ok, err = pcall(function()
    return lab.restic(tmp .. "/no-repo", { password = "file:" .. password_file }):snapshots()
  end)
  assert_eq(err.message, "restic snapshots failed: no restic repository at " .. tmp .. "/no-repo (restic init creates one)")
end)

test("restic: the password goes in the environment, never on the command line", function()
  setup()
  -- A restic that notes what it was given, then runs the real one.
  local wrapper = tmp .. "/restic-wrapper"
  write_file(wrapper, ('#!/bin/sh\necho "$*" > %q/argv\necho "${RESTIC_PASSWORD:+set}" > %q/env\nexec restic "$@"\n')
    :format(tmp, tmp))
  sh("chmod +x " .. wrapper)
  lab.restic(repo_path, { password = "file:" .. password_file, restic = wrapper, env = { RESTIC_CACHE_DIR = cache } })
    :snapshots()
  assert_eq(read_file(tmp .. "/argv"), "snapshots --json\n")
  assert_eq(read_file(tmp .. "/env"), "set\n")
end)

----------------------------------------------------------------------------
-- The restore drill

test("drill: passes on a good repository and leaves nothing behind", function()
  setup()
  local r = labsh_run({ "-m", "backup-drill", repo_path, "--password", "file:" .. password_file })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("OK: snapshot %x+ .* restored and verified: 2 files, 200006 bytes"), r.stdout)
  assert_eq(entries(scratch), "")
  local last = audit_lines()[#audit_lines()]
  assert_eq(last.action, "restic.drill")
  assert_eq(last.outcome, "passed")
end)

test("drill: a damaged pack file fails the drill cleanly", function()
  setup()
  local damaged = tmp .. "/damaged"
  sh(("cp -a %q %q && chmod -R u+w %q"):format(repo_path, damaged, damaged))
  for pack in sh(("find %q/data -type f"):format(damaged)):gmatch("[^\n]+") do
    local f = assert(io.open(pack, "r+b"))
    f:seek("set", f:seek("end") // 3)
    f:write(("\0"):rep(64))
    f:close()
  end
  local r = labsh_run({ "-m", "backup-drill", damaged, "--password", "file:" .. password_file })
  assert_eq(r.status, 1)
  assert(r.stderr:find("backup drill on " .. damaged .. ": FAILED: restic", 1, true), r.stderr)
  assert_eq(entries(scratch), "")
  assert_eq(audit_lines()[#audit_lines()].outcome:match("^failed"), "failed")
end)

test("drill: interrupted by --timeout, it still removes its scratch directory", function()
  setup()
  local slow = tmp .. "/restic-slow"
  write_file(slow, '#!/bin/sh\n[ "$1" = restore ] && { restic "$@"; sleep 30; }\nexec restic "$@"\n')
  sh("chmod +x " .. slow)
  local r = labsh_run({ "--timeout", "3", "-m", "backup-drill", repo_path, "--password", "file:" .. password_file,
    "--restic", slow })
  assert_eq(r.status, 124, r.stderr)
  assert_eq(entries(scratch), "")
end)

-- Last, so the specs above share the scratch repository.
test("the scratch directory goes", function()
  filesystem.remove_tree(tmp)
end)
