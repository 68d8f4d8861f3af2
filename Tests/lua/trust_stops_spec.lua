-- Stops and changes under attack (issue 13 finding 6; issue 14 findings
-- 1-4 and 8): a signal or --timeout reaches Lua code in any coroutine, runs
-- every <close> handler and finalizer and ends the children of os.execute
-- and io.popen; the gate writes its intent before a change and its outcome
-- however the change ends; runbooks roll back what they did when stopped;
-- maintenance windows follow the inventory's time zone; the audit log
-- never holds a secret, whatever bytes it has. Each labsh under test is a
-- child process, signalled by the spec when it reached a known point.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local stops = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/stops_support.lua")("labsh-stops-spec")
local labsh, shell_words = stops.labsh, stops.shell_words
local fresh, script, private_dir = stops.fresh, stops.script, stops.private_dir
local touch_code, assert_has, assert_lacks = stops.touch_code, stops.assert_has, stops.assert_lacks
local audit_lines = stops.audit_lines

-- Runs labsh with `args`; once `marker` exists (the script reached the
-- point to stop it at) sends `signal` (nil: none, for --timeout runs).
-- Returns the exit code and stderr.
local function run(args, signal, marker, env)
  return stops.run(args, env, signal and { { marker, signal } })
end

-- ---- Finding 13.6: stops reach coroutines ----------------------------------

-- A loop inside nested coroutines, under pcall, with a <close> variable and
-- a finalizer that write to stderr.
local function looping_in_coroutines(marker)
  return script(([[
setmetatable({}, { __gc = function() io.stderr:write("finalizer ran\n") end })
local outer = coroutine.wrap(function()
  local _ <close> = setmetatable({}, { __close = function() io.stderr:write("close ran\n") end })
  local inner = coroutine.create(function()
    %s
    while true do pcall(function() end) end
  end)
  print(coroutine.resume(inner))
  io.stderr:write("resume returned: the stop was swallowed\n")
  while true do end
end)
outer()
]]):format(touch_code(marker)))
end

test("--timeout stops a loop in a coroutine, then runs <close> and finalizers (13.6)", function()
  local code, err = run({ "--timeout", "1", looping_in_coroutines(fresh("marker")) })
  assert_eq(code, 124, "exit code")
  assert_has(err, "close ran", "stderr")
  assert_has(err, "finalizer ran", "stderr")
  assert_lacks(err, "forced exit", "stderr")
  assert_lacks(err, "swallowed", "stderr")
end)

test("one SIGINT stops a loop in nested coroutines with cleanup (13.6)", function()
  local marker = fresh("marker")
  local code, err = run({ looping_in_coroutines(marker) }, "INT", marker)
  assert_eq(code, 130, "exit code")
  assert_has(err, "close ran", "stderr")
  assert_has(err, "finalizer ran", "stderr")
  assert_lacks(err, "swallowed", "stderr")
end)

test("one SIGTERM stops a loop in a coroutine and runs finalizers (13.6)", function()
  local marker = fresh("marker")
  local code, err = run({ looping_in_coroutines(marker) }, "TERM", marker)
  assert_eq(code, 143, "exit code")
  assert_has(err, "close ran", "stderr")
  assert_has(err, "finalizer ran", "stderr")
end)

-- The child writes its pid, then would write `survived` after 3 s.
local function child_code(how, pidfile, survived)
  local command = ("echo $$ > %s; sleep 3; echo yes > %s"):format(pidfile, survived)
  if how == "execute" then return ("os.execute(%q)"):format(command) end
  return ("local f = io.popen(%q); f:read('a')"):format(command)
end

for _, how in ipairs({ "execute", "popen" }) do
  test(("a stop ends the child of %s and its group (13.6)"):format(how), function()
    local pidfile, survived = fresh("pid"), fresh("survived")
    local code = run({ "--timeout", "1", "-e", child_code(how, pidfile, survived) })
    assert_eq(code, 124, "exit code")
    local pid = (read_file(pidfile) or ""):match("%d+")
    assert(pid, "the child never started")
    local wait = lab.process.run { argv = { "sh", "-c", "sleep 3.5; cat " .. survived .. " 2>/dev/null || echo gone" } }
    assert_eq(wait.stdout, "gone\n", "the child's sleep went on after labsh stopped")
  end)
end

test("os.execute and io.popen still behave as lua's", function()
  local out, code = run_labsh([[-e "print(os.execute('exit 3')); print(os.execute()); local f = io.popen('echo hi'); print(f:read('a'), f:close()); local w = io.popen('cat >/dev/null', 'w'); w:write('x'); print(w:close())"]])
  assert_eq(code, 0, "exit code")
  assert_eq(out, "nil\texit\t3\ntrue\nhi\n\ttrue\texit\t0\ntrue\texit\t0\n", "output")
end)

-- ---- Finding 14.1: a stop in a blocking Swift call inside pcall ------------------

test("a stop in a Swift call inside pcall runs every <close> handler (14.1)", function()
  local marker = fresh("marker")
  local path = script(([[
pcall(function()
  local _ <close> = setmetatable({}, { __close = function() io.stderr:write("outer closed\n") end })
  local _ <close> = setmetatable({}, { __close = function() io.stderr:write("inner closed\n") end })
  %s
  lab.process.run { argv = { "sleep", "5" } }
end)
io.stderr:write("pcall swallowed the stop\n")
]]):format(touch_code(marker)))
  local code, err = run({ path }, "INT", marker)
  assert_eq(code, 130, "exit code")
  assert_has(err, "inner closed", "stderr")
  assert_has(err, "outer closed", "stderr")
  assert_lacks(err, "swallowed", "stderr")
end)

for _, stop in ipairs({ { "INT", 130, "SIGINT" }, { "TERM", 143, "SIGTERM" }, { nil, 124, "timeout" } }) do
  test(("the gate records intent and outcome of a change stopped by %s (14.1, 14.3)"):format(stop[3]), function()
    local marker, state = fresh("marker"), private_dir("state")
    local path = script(([[
local gate = require "labsh.gate"
pcall(gate.perform, { action = "spec.change", target = "t", summary = "change t", ask = false }, function()
  %s
  lab.process.run { argv = { "sleep", "5" } }
end)
]]):format(touch_code(marker)))
    local args = stop[1] and { path } or { "--timeout", "1", path }
    local code = run(args, stop[1], marker, { LABSH_STATE_DIR = state })
    assert_eq(code, stop[2], "exit code")
    local lines = audit_lines(state)
    assert_eq(#lines, 2, "audit lines")
    assert_eq(lines[1].outcome, "started", "first line")
    assert_eq(lines[2].outcome, "interrupted (" .. stop[3] .. ")", "second line")
    assert_eq(lines[1].change, lines[2].change, "the two lines are one change")
  end)
end

-- ---- Finding 14.3: a change that cannot be recorded is not made --------------------

test("the gate changes nothing when it cannot write the audit log (14.3)", function()
  local state, marker = private_dir("state"), fresh("changed")
  filesystem.make_directories(state .. "/audit.log")  -- a directory: no line can be appended
  local code, err = run({ "--yes", "-e", ([[
require("labsh.gate").perform({ action = "spec.change", target = "t", summary = "change t" },
  function() %s end)]]):format(touch_code(marker)) }, nil, nil, { LABSH_STATE_DIR = state })
  assert_eq(code, 1, "exit code")
  assert_has(err, "audit.log", "stderr names the log")
  assert_eq(read_file(marker), nil, "the change ran although it could not be recorded")
end)

-- ---- Finding 14.2: runbooks finish what they start ---------------------------------

local function runbook(marker, second_rollback)
  return script(([[
lab.runbook {
  name = "two-steps", change = "standard",
  steps = {
    { title = "one", run = function() end,
      rollback = function() io.stderr:write("undid one\n") end },
    { title = "two", run = function() %s; lab.process.run { argv = { "sleep", "5" } } end,
      rollback = %s },
  },
}
]]):format(touch_code(marker), second_rollback or "nil"))
end

for _, stop in ipairs({ { "INT", 130 }, { "TERM", 143 }, { nil, 124 } }) do
  test(("a runbook stopped by %s rolls back and records the state it left (14.2)"):format(stop[1] or "--timeout"), function()
    local marker, state = fresh("marker"), private_dir("state")
    local args = stop[1] and { runbook(marker), "--yes" } or { "--timeout", "1", runbook(marker), "--yes" }
    local code, err = run(args, stop[1], marker, { LABSH_STATE_DIR = state })
    assert_eq(code, stop[2], "exit code")
    assert_has(err, "undid one", "stderr")
    assert_has(err, "runbook two-steps: rolled back", "stderr")
    local lines = audit_lines(state)
    local last = lines[#lines]
    assert_eq(last.action, "runbook", "the run's own line comes last")
    assert_eq(last.outcome, "interrupted", "outcome")
    assert_eq(last.details.state, "rolled back", "state")
    local rollbacks = 0
    for _, line in ipairs(lines) do
      if line.action == "runbook.rollback" and line.outcome == "done" then rollbacks = rollbacks + 1 end
    end
    assert_eq(rollbacks, 1, "audited rollbacks")
  end)
end

test("a failing rollback is printed, audited by its message, and exits 3 (14.2)", function()
  local state = private_dir("state")
  local path = script([[
lab.runbook {
  name = "bad-undo", change = "standard",
  steps = {
    { title = "one", run = function() end, rollback = function() error({ code = 7, reason = "stuck" }) end },
    { title = "two", run = function() error("boom") end },
  },
}
]])
  local code, err = run({ path, "--yes" }, nil, nil, { LABSH_STATE_DIR = state })
  assert_eq(code, 3, "exit code")
  assert_has(err, "rollback of step 1: one ... failed: ", "stderr")
  assert_has(err, '"reason":"stuck"', "stderr")
  assert_has(err, "runbook bad-undo: rollback failed at step 1", "stderr")
  local lines = audit_lines(state)
  assert_eq(lines[#lines].details.state, "rollback failed at step 1", "final state")
  for _, line in ipairs(lines) do assert_lacks(tostring(line.outcome), "table: 0x", "outcome") end
end)

-- ---- Finding 14.4: maintenance windows in the inventory's time zone -----------------

test("a maintenance window is the same whatever TZ says (14.4)", function()
  local inventory = fresh("inventory") .. ".lua"
  write_file(inventory, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. 'inv.site.timezone = "Europe/Berlin"\n'
    .. 'inv.maintenance = { { name = "friday-night", schedule = "0 22 * * 5", duration = "2h" } }\nreturn inv\n')
  -- Friday 2026-12-04 21:30 UTC is 22:30 in Berlin: inside the window.
  local code = [[local w = require("lab.runbook").window(1796419800) print(w and w.name or "closed")]]
  for _, tz in ipairs({ "UTC", "Asia/Dubai", "America/New_York", "Europe/Berlin" }) do
    local r = lab.process.run { argv = { labsh, "--inventory", inventory, "-e", code }, env = { TZ = tz } }
    assert_eq(r.status, 0, "exit code under TZ=" .. tz .. ": " .. r.stderr)
    assert_eq(r.stdout, "friday-night\n", "window under TZ=" .. tz)
  end
end)

-- ---- Finding 13.8: secrets with odd bytes never reach the audit log -----------------

test("secrets with quotes, backslashes, newlines, non-ASCII or 4 KiB are redacted (13.8)", function()
  local secrets = {
    'pa"ss\\word',
    "line1\nline2\ttab",
    "Grüße-秘密-🔑",
    "\1\2ctl\127",
    ("x"):rep(4096),
  }
  for i, secret in ipairs(secrets) do
    local state = private_dir("state")
    local code = run({ "--yes", "-e", [[
local value = require("labsh.secret").resolve("env:SPEC_SECRET")
require("labsh.gate").perform({ action = "spec.secret", target = "t" .. value, summary = "use it",
  details = { header = "Bearer " .. value, list = { value } } }, function() end)]] },
      nil, nil, { LABSH_STATE_DIR = state, SPEC_SECRET = secret })
    assert_eq(code, 0, "exit code for secret " .. i)
    local log = read_file(state .. "/audit.log") or ""
    assert(#log > 0, "no audit line for secret " .. i)
    assert_lacks(log, secret, "raw secret " .. i)
    local encoded = lab.json.encode(secret):sub(2, -2)
    assert_lacks(log, encoded, "JSON-escaped secret " .. i)
    assert_has(log, "<redacted>", "redaction mark " .. i)
  end
end)

test("a literal secret is refused without echoing any of it (13.8)", function()
  local ok, err = pcall(require("labsh.secret").resolve, "hunter:Tr0ub4dor&3", "spec")
  assert(not ok, "a literal value was accepted")
  assert_lacks(tostring(err.message or err), "hunter", "error")
  assert_lacks(tostring(err.message or err), "Tr0ub4dor", "error")
end)

test("restic forget deletes nothing when the audit log cannot be written (14.3)", function()
  local repo, password, source, cache = fresh("repo"), fresh("password"), fresh("src"), fresh("cache")
  write_file(password, "correct horse\n")
  filesystem.make_directories(source)
  write_file(source .. "/file", "data\n")
  local env = { RESTIC_PASSWORD_FILE = password, RESTIC_CACHE_DIR = cache, RESTIC_REPOSITORY = repo }
  local function restic(...)
    local r = lab.process.run { argv = { "restic", "--quiet", ... }, env = env, timeout = 120 }
    assert(r.status == 0, "restic " .. table.concat({ ... }, " ") .. ": " .. r.stderr)
    return r.stdout
  end
  restic("init")
  for day = 1, 4 do restic("backup", "--host", "spec", "--time", ("2026-01-0%d 03:00:00"):format(day), source) end
  local state = private_dir("state")
  filesystem.make_directories(state .. "/audit.log")  -- no line can be appended
  local code, err = run({ "--yes", "-e", ([[
local r = lab.restic(%q, { password = "file:%s", env = { RESTIC_CACHE_DIR = %q } })
r:forget { daily = 1 }]]):format(repo, password, cache) }, nil, nil, { LABSH_STATE_DIR = state })
  assert_eq(code, 1, "exit code")
  assert_has(err, "audit.log", "stderr names the log")
  assert_eq(#lab.json.decode(restic("snapshots", "--json")), 4, "snapshots left")
end)

test("a change inside coroutines (as playbook tasks run) is recorded when stopped (13.6)", function()
  local marker, state = fresh("marker"), private_dir("state")
  local path = script(([[
local gate = require "labsh.gate"
local tasks = {}
for i = 1, 2 do
  tasks[i] = coroutine.wrap(function()
    gate.perform({ action = "spec.task", target = "host" .. i, summary = "task", ask = false }, function()
      coroutine.yield()
      %s
      while true do end
    end)
  end)
end
tasks[1]() tasks[2]() tasks[1]()
]]):format(touch_code(marker)))
  local code = run({ path }, "INT", marker, { LABSH_STATE_DIR = state })
  assert_eq(code, 130, "exit code")
  local outcomes = {}
  for _, line in ipairs(audit_lines(state)) do outcomes[#outcomes + 1] = line.target .. " " .. line.outcome end
  table.sort(outcomes)
  assert_same(outcomes, { "host1 interrupted (SIGINT)", "host1 started",
                          "host2 interrupted (labsh ended before the change did)", "host2 started" }, "audit")
end)

test("audit lines name the script and its hash, also for a script that ends in a tail call", function()
  local state = private_dir("state")
  local path = script([[
local gate = require "labsh.gate"
local function change() return gate.perform({ action = "spec.tail", target = "t", summary = "s", ask = false }, function() end) end
return change()
]])
  local code = run({ path }, nil, nil, { LABSH_STATE_DIR = state })
  assert_eq(code, 0, "exit code")
  local lines = audit_lines(state)
  assert_eq(#lines, 2, "audit lines")
  local sha = require("labsh.digest").sha256(read_file(path))
  for _, line in ipairs(lines) do
    assert_eq(line.script, path, "script")
    assert_eq(line.sha256, sha, "sha256")
  end
end)
