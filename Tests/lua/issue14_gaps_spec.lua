-- Issue 14 ("Trust, part two"), the gaps an audit of the finished work
-- found: each test here failed on the code before its fix, or pins a
-- promise of the issue that no other spec reproduced as the issue did.
-- Each labsh under test is a child process with its own state directory;
-- signals are sent when the script reached a known point (a marker file).

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local stops = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/stops_support.lua")("labsh-issue14-gaps")
local labsh, quoted, shell_words = stops.labsh, stops.quoted, stops.shell_words
local fresh, script, private_dir, run = stops.fresh, stops.script, stops.private_dir, stops.run
local touch_code, assert_has, audit_lines = stops.touch_code, stops.assert_has, stops.audit_lines
local tmp = stops.dir
local is_root = require("labsh.os").user() == "root"

local function count(text, piece)
  local n, at = 0, text:find(piece, 1, true)
  while at do n, at = n + 1, text:find(piece, at + 1, true) end
  return n
end

-- ---- 14.2: a rollback ended early still leaves the run's final line -----------

-- Step one's rollback touches `undoing` and takes 2 s; step two either
-- fails at once or touches `running` and sleeps.
local function runbook_with_slow_rollback(undoing, step_two)
  return script(([[
lab.runbook {
  name = "slow-undo", change = "standard",
  steps = {
    { title = "one", run = function() end,
      rollback = function()
        io.stderr:write("undoing one\n")
        %s
        lab.process.run { argv = { "sleep", "2" } }
        io.stderr:write("undid one\n")
      end },
    { title = "two", run = function() %s end },
  },
}
]]):format(touch_code(undoing), step_two))
end

-- What labsh says when it holds a stop back (then a second signal is one).
local HELD = "labsh: stopping after the current rollback"

local function final_line(state)
  local lines = audit_lines(state)
  local last = lines[#lines] or {}
  assert_eq(last.action, "runbook", "the run's own line comes last")
  return last
end

test("14.2 a second SIGINT during the rollback of a stopped run: the final line says where it stopped", function()
  local running, undoing, state = fresh("running"), fresh("undoing"), private_dir("state")
  local path = runbook_with_slow_rollback(undoing, touch_code(running) .. "; lab.process.run { argv = { 'sleep', '5' } }")
  local code, err = run({ path, "--yes" }, { LABSH_STATE_DIR = state }, { { running, "INT" }, { undoing, "INT" } })
  assert_eq(code, 130, "exit code")
  assert_has(err, "runbook slow-undo: rollback interrupted at step 1", "stderr")
  local last = final_line(state)
  assert_eq(last.outcome, "interrupted", "outcome")
  assert_eq(last.details.state, "rollback interrupted at step 1", "state")
end)

test("14.2 signals during the rollback of a failed run: no step is undone twice, the final line says where it stopped", function()
  local undoing, state = fresh("undoing"), private_dir("state")
  local path = runbook_with_slow_rollback(undoing, "error('boom')")
  local code, err = run({ path, "--yes" }, { LABSH_STATE_DIR = state }, { { undoing, "INT" }, { said = HELD, signal = "INT" } })
  assert_eq(code, 130, "exit code")
  assert_eq(count(err, "undoing one"), 1, "rollbacks of step 1 begun:\n" .. err)
  local last = final_line(state)
  assert_eq(last.details.state, "rollback interrupted at step 1", "state")
  local rollbacks = 0
  for _, line in ipairs(audit_lines(state)) do
    if line.action == "runbook.rollback" and line.outcome == "started" then rollbacks = rollbacks + 1 end
  end
  assert_eq(rollbacks, 1, "audited rollbacks")
end)

test("14.2 one signal during the rollback of a failed run waits for it", function()
  local undoing, state = fresh("undoing"), private_dir("state")
  local path = runbook_with_slow_rollback(undoing, "error('boom')")
  local code, err = run({ path, "--yes" }, { LABSH_STATE_DIR = state }, { { undoing, "TERM" } })
  assert_eq(code, 143, "exit code")
  assert_has(err, "undid one", "stderr")
  assert_eq(count(err, "undoing one"), 1, "rollbacks of step 1 begun:\n" .. err)
  assert_eq(final_line(state).details.state, "rolled back", "state")
end)

test("14.4 jobs next, list and history show the inventory's wall clock, the same under every TZ", function()
  local path = private_dir("path")
  filesystem.make_directories(path .. "/jobs")
  assert(os.execute("chmod -R go-w " .. quoted(path)))
  write_file(path .. "/jobs/nightly.lua", 'lab.job { name = "nightly", schedule = "30 3 * * *", run = function() end }\n')
  local inventory = fresh("inventory") .. ".lua"
  write_file(inventory, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. 'inv.site.timezone = "Asia/Tokyo"\nreturn inv\n')
  local state = private_dir("state")
  local function jobs(tz, ...)
    local r = lab.process.run { argv = { labsh, "--inventory", inventory, "-m", "jobs", ... }, timeout = 60,
      env = { TZ = tz, LABSH_PATH = path, LABSH_STATE_DIR = state, LABSH_INVENTORY = false } }
    assert(r.status == 0, table.concat({ ... }, " ") .. " under TZ=" .. tz .. ": " .. r.stderr)
    return r.stdout
  end
  local function row(tz, command)
    local out = jobs(tz, command)
    return assert(out:match("\n(nightly[^\n]*)"), out)
  end
  jobs("UTC", "run", "nightly")
  for _, command in ipairs { "next", "list", "history" } do
    local seen = row("UTC", command)
    if command ~= "history" then assert_has(seen, " 03:30:00 +09:00", command) end
    for _, tz in ipairs { "Asia/Dubai", "America/New_York", "Europe/Berlin" } do
      assert_eq(row(tz, command), seen, ("jobs %s under TZ=%s"):format(command, tz))
    end
  end
end)

for _, stop in ipairs({ { "INT", 130 }, { "TERM", 143 }, { nil, 124 } }) do
  test(("14.1 a stop (%s) in a Swift call inside pcall runs <close> handlers and finalizers"):format(stop[1] or "--timeout"), function()
    local marker = fresh("marker")
    local path = script(([[
setmetatable({}, { __gc = function() io.stderr:write("finalizer ran\n") end })
print(pcall(function()
  local _ <close> = setmetatable({}, { __close = function() io.stderr:write("closed\n") end })
  %s
  lab.process.run { argv = { "sleep", "5" } }
end))
io.stderr:write("pcall swallowed the stop\n")
]]):format(touch_code(marker)))
    local args = stop[1] and { path } or { "--timeout", "1", path }
    local code, err = run(args, {}, stop[1] and { { marker, stop[1] } })
    assert_eq(code, stop[2], "exit code")
    assert_has(err, "closed", "stderr")
    assert_has(err, "finalizer ran", "stderr")
    assert(not err:find("swallowed", 1, true), err)
  end)
end

-- ---- 14.1: a stop at the moment a record is written ---------------------------------

-- Lua code that makes labsh send itself SIGINT right after it appends
-- text matching `pattern` to a private file (the audit log).
local function stop_when_written(pattern)
  return ([[
local filesystem = require "labsh.filesystem"
local append = filesystem.append_private
filesystem.append_private = function(path, text)
  append(path, text)
  if text:find(%q) then lab.process.run { argv = { "kill", "-INT", tostring(lab.sys.pid()) } } end
end
]]):format(pattern)
end

test("14.1 a stop just after the gate's intent line is written still gets the outcome line", function()
  local state, changed = private_dir("state"), fresh("changed")
  local path = script(stop_when_written('"outcome":"started"') .. ([[
require("labsh.gate").perform({ action = "spec.race", target = "t", summary = "change t", ask = false },
  function() %s end)
]]):format(touch_code(changed)))
  local code = run({ path }, { LABSH_STATE_DIR = state })
  assert_eq(code, 130, "exit code")
  local seen = {}
  for _, line in ipairs(audit_lines(state)) do seen[#seen + 1] = line.outcome end
  assert_same(seen, { "started", "interrupted (SIGINT)" }, "audit")
  assert_eq(read_file(changed), nil, "the change ran after the stop")
end)

test("14.2 a stop as a failed runbook says the state it left still writes the final line", function()
  local state = private_dir("state")
  local path = script([[
local write = getmetatable(io.stderr).__index.write
getmetatable(io.stderr).__index.write = function(file, ...)
  local text = table.concat({ ... })
  local result = table.pack(write(file, ...))
  if text:find("runbook said: rolled back", 1, true) then
    lab.process.run { argv = { "kill", "-INT", tostring(lab.sys.pid()) } }
  end
  return table.unpack(result, 1, result.n)
end
lab.runbook {
  name = "said", change = "standard",
  steps = {
    { title = "one", run = function() end, rollback = function() end },
    { title = "two", run = function() error("boom") end },
  },
}
]])
  local code = run({ path, "--yes" }, { LABSH_STATE_DIR = state })
  assert_eq(code, 130, "exit code")
  assert_eq(final_line(state).details.state, "rolled back", "state")
end)

-- ---- 14.10: the directories above a LABSH_PATH entry count too ------------------

-- labsh -e 'require "labsh.gate"' with `env` only (nothing of the caller's
-- search path or init variables).
local function require_gate(env)
  local e = { LABSH_PATH = false, LABSH_INIT = false, LUA_INIT = false, LUA_INIT_5_4 = false,
              LABSH_ALLOW_UNSAFE_PATH = false, LABSH_STATE_DIR = private_dir("state") }
  for k, v in pairs(env) do e[k] = v end
  return lab.process.run { argv = { labsh, "-e", "require 'labsh.gate'" }, env = e, timeout = 60 }
end

-- DIR/open/lib with a forged labsh/gate.lua; DIR/open has `mode`.
local function forged_below(mode)
  local open = private_dir("open")
  local lib = open .. "/lib"
  filesystem.make_directories(lib .. "/labsh")
  write_file(lib .. "/labsh/gate.lua", "print('FORGED') return {}\n")
  assert(os.execute(("chmod 755 %s %s/labsh && chmod %s %s"):format(quoted(lib), quoted(lib), mode, quoted(open))))
  return open, lib
end

test("14.10 an entry inside a directory others may write is refused (they could rename it and put theirs)", function()
  local open, lib = forged_below("777")
  local r = require_gate { LABSH_PATH = lib }
  assert_eq(r.status, 1, r.stderr)
  assert_eq(r.stdout, "", "the forged module ran")
  assert_has(r.stderr, ("refusing to load %s/labsh/gate.lua: %s is writable by others than its owner (mode 0777); "
    .. "fix: chmod go-w %s"):format(lib, open, open), "stderr")
  r = require_gate { LABSH_PATH = lib, LABSH_ALLOW_UNSAFE_PATH = "1" }
  assert_eq(r.stdout, "FORGED\n", "the override loads it: " .. r.stderr)
  assert(os.execute("chmod 775 " .. quoted(open)))
  r = require_gate { LABSH_PATH = lib }
  assert_eq(r.status, 1, "group-writable: " .. r.stderr)
  assert_has(r.stderr, open .. " is writable by others than its owner (mode 0775)", "stderr")
end)

test("14.10 a link to an entry inside a directory others may write is refused; a sticky one of yours is not", function()
  local open, lib = forged_below("777")
  local link = fresh("link")
  assert(os.execute(("ln -s %s %s"):format(quoted(lib), quoted(link))))
  local r = require_gate { LABSH_PATH = link }
  assert_eq(r.status, 1, r.stderr)
  assert_has(r.stderr, open .. " is writable by others than its owner (mode 0777)", "stderr")
  assert(os.execute("chmod 1777 " .. quoted(open)))  -- like /tmp: others cannot rename what is yours
  r = require_gate { LABSH_PATH = link }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "FORGED\n", "a sticky directory above your own entry")
end)

test("14.10 LABSH_INIT=@file: a directory above the file's that others may write is refused", function()
  local open, lib = forged_below("777")
  write_file(lib .. "/init.lua", "print('init ran')\n")
  local r = lab.process.run { argv = { labsh, "-e", "print('main')" }, timeout = 60,
    env = { LABSH_INIT = "@" .. lib .. "/init.lua", LABSH_ALLOW_UNSAFE_PATH = false, LABSH_PATH = false } }
  assert_eq(r.status, 1, r.stdout)
  assert_eq(r.stdout, "")
  assert_has(r.stderr, open .. " is writable by others than its owner (mode 0777)", "stderr")
end)

-- ---- 14.1 and 14.3: restic, as the issue ran it ------------------------------------

-- A restic repository with one snapshot of a small tree per day in `days`;
-- returns its path, password file and the environment restic needs.
local function restic_repository(days)
  local repo, password, source = fresh("repo"), fresh("password"), fresh("src")
  write_file(password, "correct horse\n")
  filesystem.make_directories(source)
  write_file(source .. "/file", "data\n")
  local env = { RESTIC_PASSWORD_FILE = password, RESTIC_CACHE_DIR = fresh("cache"), RESTIC_REPOSITORY = repo }
  local function restic(...)
    local r = lab.process.run { argv = { "restic", "--quiet", ... }, env = env, timeout = 120 }
    assert(r.status == 0, "restic " .. table.concat({ ... }, " ") .. ": " .. r.stderr)
    return r.stdout
  end
  restic("init")
  for day = 1, days do restic("backup", "--host", "spec", "--time", ("2026-01-0%d 03:00:00"):format(day), source) end
  return repo, password, restic, env.RESTIC_CACHE_DIR
end

-- `repo` read-only for the labsh process: a read-only bind mount in a
-- mount namespace of its own when root may make one, else (not root) a
-- directory without write permission. The argv prefix, or nil to skip.
local function read_only_prefix(dir)
  if is_root then
    local probe = lab.process.run { argv = { "unshare", "-m", "true" } }
    if probe.status ~= 0 then return nil end
    return { "unshare", "-m", "sh", "-c",
      ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'), dir }
  end
  assert(os.execute("chmod 500 " .. quoted(dir)))
  return {}
end

test("14.3 a read-only state directory: r:forget deletes nothing and says why (the issue's reproduction)", function()
  local repo, password, restic, cache = restic_repository(7)
  local state = private_dir("state")
  local prefix = read_only_prefix(state)
  if not prefix then
    print("  note: 14.3 read-only state directory: skipped, no mount namespace here")
    return
  end
  local argv = {}
  for _, word in ipairs(prefix) do argv[#argv + 1] = word end
  for _, word in ipairs { labsh, "--yes", "-e", ([[
local r = lab.restic(%q, { password = "file:%s", env = { RESTIC_CACHE_DIR = %q } })
r:forget { daily = 2 }]]):format(repo, password, cache) } do argv[#argv + 1] = word end
  local r = lab.process.run { argv = argv, env = { LABSH_STATE_DIR = state }, timeout = 120 }
  os.execute("chmod 700 " .. quoted(state))
  assert_eq(r.status, 1, r.stderr)
  assert_has(r.stderr, "cannot open " .. state .. "/audit.log", "stderr")
  assert_eq(#lab.json.decode(restic("snapshots", "--json")), 7, "snapshots left")
end)

-- A restic that stops at `restore`: touches `marker`, then sleeps.
local function stalling_restic(marker)
  local path = fresh("restic-stalls")
  write_file(path, ('#!/bin/sh\n[ "$1" = restore ] && { : > %s; sleep 30; }\nexec restic "$@"\n'):format(quoted(marker)))
  assert(os.execute("chmod +x " .. quoted(path)))
  return path
end

for _, stop in ipairs({ { "INT", 130, "SIGINT" }, { "TERM", 143, "SIGTERM" }, { nil, 124, "timeout" } }) do
  test(("14.1 a backup drill stopped by %s leaves the restore's two lines and the drill's own"):format(stop[3]), function()
    local repo, password = restic_repository(1)
    local marker, state = fresh("restoring"), private_dir("state")
    local args = { "-m", "backup-drill", repo, "--password", "file:" .. password, "--restic", stalling_restic(marker) }
    if not stop[1] then table.insert(args, 1, "--timeout") table.insert(args, 2, "3") end
    local code = run(args, { LABSH_STATE_DIR = state }, stop[1] and { { marker, stop[1] } })
    assert_eq(code, stop[2], "exit code")
    local seen = {}
    for _, line in ipairs(audit_lines(state)) do seen[#seen + 1] = line.action .. " " .. line.outcome end
    assert_same(seen, { "restic.restore started", "restic.restore interrupted (" .. stop[3] .. ")",
                        "restic.drill interrupted (" .. stop[3] .. ")" }, "audit")
  end)
end

test("14.3 a change whose outcome cannot be recorded says it was made and how it ended", function()
  local state = private_dir("state")
  local code, err = run({ "--yes", "-e", ([[
require("labsh.gate").perform({ action = "spec.change", target = "t", summary = "change t" }, function()
  os.rename(%q, %q)  -- the log goes away while the change runs
  assert(os.execute("mkdir " .. %q))
end)]]):format(state .. "/audit.log", state .. "/old.log", state .. "/audit.log") }, { LABSH_STATE_DIR = state })
  assert_eq(code, 1, "exit code")
  assert_has(err, "change t on t: done, but the outcome could not be recorded: cannot open " .. state .. "/audit.log", "stderr")
end)

-- ---- 14.4: a normal runbook at one instant under several TZ values ------------------

-- An inventory in Asia/Dubai (UTC+4 all year) whose one maintenance window
-- opened this hour there (open: 2 h long) or opens in three hours (closed).
local function inventory_with_window(open)
  local dubai_hour = (tonumber(os.date("!%H")) + 4) % 24
  local start = open and dubai_hour or (dubai_hour + 3) % 24
  local path = fresh("inventory") .. ".lua"
  write_file(path, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. 'inv.site.timezone = "Asia/Dubai"\n'
    .. ('inv.maintenance = { { name = "daily", schedule = "0 %d * * *", duration = "%s" } }\n')
      :format(start, open and "2h" or "1h")
    .. "return inv\n")
  return path
end

test("14.4 a normal runbook runs or is refused by the inventory's window, the same under every TZ", function()
  local path = script([[lab.runbook { name = "tz-change", change = "normal", steps = { { title = "one", run = function() end } } }]])
  for _, open in ipairs { true, false } do
    local inventory = inventory_with_window(open)
    for _, tz in ipairs { "UTC", "Asia/Dubai", "America/New_York", "Pacific/Kiritimati", "Europe/Berlin" } do
      local state = private_dir("state")
      local r = lab.process.run { argv = { labsh, "--inventory", inventory, path, "--yes" },
                                  env = { TZ = tz, LABSH_STATE_DIR = state }, timeout = 60 }
      local what = ("window %s, TZ=%s"):format(open and "open" or "closed", tz)
      assert_eq(r.status, open and 0 or 1, what .. ": " .. r.stderr)
      local last = final_line(state)
      assert_eq(last.outcome, open and "ok" or "refused", what)
      assert_eq(last.details.emergency, false, what)
    end
  end
end)

-- (cleanup)
test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
