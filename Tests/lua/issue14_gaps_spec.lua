-- Issue 14 ("Trust, part two"), the gaps an audit of the finished work
-- found: each test here failed on the code before its fix, or pins a
-- promise of the issue that no other spec reproduced as the issue did.
-- Each labsh under test is a child process with its own state directory;
-- signals are sent when the script reached a known point (a marker file).

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-issue14-gaps")
local serial = 0

local function fresh(name)
  serial = serial + 1
  return ("%s/%s-%d"):format(tmp, name, serial)
end

local function script(text)
  local path = fresh("script") .. ".lua"
  write_file(path, text)
  return path
end

local function quoted(word) return ("'%s'"):format(word:gsub("'", "'\\''")) end

local function shell_words(list)
  local out = {}
  for i, word in ipairs(list) do out[i] = quoted(word) end
  return table.concat(out, " ")
end

-- Runs labsh with `args` in the background and, for each of `signals`
-- ({marker, signal} in order), waits until the marker file exists and
-- sends the signal. Returns the exit code and stderr.
local function run(args, env, signals)
  local err = fresh("stderr")
  local lines = { ("%s %s 2>%s & p=$!"):format(quoted(labsh), shell_words(args), err) }
  for _, s in ipairs(signals or {}) do
    lines[#lines + 1] = ("i=0; while [ ! -e %s ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; kill -%s $p")
      :format(quoted(s[1]), s[2])
  end
  lines[#lines + 1] = "wait $p; echo $?"
  local r = lab.process.run { argv = { "sh", "-c", table.concat(lines, "\n") }, timeout = 60, env = env or {} }
  assert(r.status == 0, "the shell around labsh failed: " .. r.stderr)
  return tonumber(r.stdout:match("(%d+)%s*$")), read_file(err) or ""
end

local function touch_code(path) return ("io.open(%q, 'w'):close()"):format(path) end

local function assert_has(text, piece, what)
  if not text:find(piece, 1, true) then error(("%s: expected %q in:\n%s"):format(what, piece, text), 2) end
end

local function count(text, piece)
  local n, at = 0, text:find(piece, 1, true)
  while at do n, at = n + 1, text:find(piece, at + 1, true) end
  return n
end

local function audit_lines(state)
  local lines = {}
  for line in (read_file(state .. "/audit.log") or ""):gmatch("[^\n]+") do lines[#lines + 1] = lab.json.decode(line) end
  return lines
end

local function private_dir(name)
  local dir = fresh(name)
  filesystem.make_directories(dir)
  assert(os.execute("chmod 700 " .. dir))
  return dir
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
  local code, err = run({ path, "--yes" }, { LABSH_STATE_DIR = state }, { { undoing, "INT" }, { undoing, "INT" } })
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

-- (cleanup)
test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
