-- lab.job and `labsh -m jobs`: runs in child processes with their own state
-- directory and job files, so locks, history and crashes are real.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-job-spec")
local jobs_dir = tmp .. "/path/jobs"
filesystem.make_directories(jobs_dir)

write_file(jobs_dir .. "/spec.lua", ([[
local marker = %q
local function touch(name) local f = assert(io.open(marker .. "/" .. name, "w")); f:close() end
lab.job { name = "hello", schedule = "*/5 * * * *", run = function() print("hello from the job") end }
lab.job { name = "sleepy", run = function() touch("sleepy.started"); require("labsh.os").sleep(3) end }
lab.job { name = "flaky", retries = 2, retry_delay = 0, run = function()
  local f = io.open(marker .. "/flaky.count", "a"); f:write("x"); f:close()
  f = io.open(marker .. "/flaky.count"); local n = #f:read("a"); f:close()
  if n < 3 then error("not yet: attempt " .. n) end
end }
lab.job { name = "broken", run = function() error("the job broke") end }
lab.job { name = "slow", timeout = 1, run = function() require("labsh.os").sleep(30) end }
lab.job { name = "nightly", schedule = "30 2 * * *", catch_up = "all", run = "demo" }
lab.job { name = "hourly", schedule = "0 * * * *", catch_up = "last", run = { "demo" } }
lab.job { name = "weekdays", schedule = "Mon..Fri 02:00", catch_up = "none", run = "demo" }
]]):format(tmp))

local env = { LABSH_PATH = tmp .. "/path", LABSH_STATE_DIR = tmp .. "/state", TZ = "UTC" }

local function jobs(...)
  local r = lab.process.run { argv = { labsh, "-m", "jobs", ... }, env = env, timeout = 60 }
  return r.stdout, r.status, r.stderr
end

-- Evaluates `code` in a child labsh with the spec's environment.
local function eval(code)
  local r = lab.process.run { argv = { labsh, "-e", code }, env = env, timeout = 60 }
  if r.status ~= 0 then error("labsh -e failed: " .. r.stderr, 2) end
  return r.stdout
end

local function history(name)
  local r = lab.process.run { argv = { labsh, "--format", "json", "-m", "jobs", "history", name, "--limit", "50" },
                              env = env, timeout = 60 }
  return lab.json.decode(r.stdout)
end

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

local function wait_for(path)
  local deadline = lab.sys.monotonic() + 20
  while not exists(path) do
    if lab.sys.monotonic() > deadline then error("never appeared: " .. path, 2) end
    os.execute("sleep 0.05")
  end
end

test("jobs list shows every job with its schedule and file", function()
  local out, status = jobs("list")
  assert_eq(status, 0)
  for _, name in ipairs { "hello", "sleepy", "flaky", "broken", "slow", "nightly", "hourly", "weekdays" } do
    assert(out:find(name, 1, true), out)
  end
  assert(out:find("*/5 * * * *", 1, true), out)
  assert(out:find(jobs_dir .. "/spec.lua", 1, true), out)
end)

test("a run is recorded with status, exit code, output tail and host", function()
  local out, status = jobs("run", "hello")
  assert_eq(status, 0)
  assert(out:find("hello from the job", 1, true), out)
  local run = history("hello").runs[1]
  assert_eq(run.status, "ok")
  assert_eq(run.exit_code, 0)
  assert_eq(run.host, lab.sys.hostname())
  assert(run.output:find("hello from the job", 1, true), run.output)
  assert(run.finish >= run.start)
end)

test("a failing job exits 1 and is recorded as failed; retries count attempts", function()
  local _, status = jobs("run", "broken")
  assert_eq(status, 1)
  local run = history("broken").runs[1]
  assert_eq(run.status, "failed")
  assert(run.output:find("the job broke", 1, true), run.output)
  local _, flaky = jobs("run", "flaky")
  assert_eq(flaky, 0)
  run = history("flaky").runs[1]
  assert_eq(run.status, "ok")
  assert_eq(run.attempts, 3)
end)

test("a job past its timeout is stopped and exits 124", function()
  local started = lab.sys.monotonic()
  local _, status = jobs("run", "slow")
  assert_eq(status, 124)
  assert(lab.sys.monotonic() - started < 10, "the timeout did not stop it")
  assert_eq(history("slow").runs[1].status, "timeout")
end)

test("two concurrent runs of a job: one runs, the other reports skipped", function()
  os.remove(tmp .. "/sleepy.started")
  local first = tmp .. "/first.out"
  os.execute(("LABSH_PATH=%s LABSH_STATE_DIR=%s %s -m jobs run sleepy > %s 2>&1 &"):format(
    env.LABSH_PATH, env.LABSH_STATE_DIR, labsh, first))
  wait_for(tmp .. "/sleepy.started")
  local out, status = jobs("run", "sleepy")
  assert_eq(status, 0)
  assert(out:find("skipped", 1, true), out)
  -- the first finishes normally
  local deadline = lab.sys.monotonic() + 20
  local runs
  repeat
    os.execute("sleep 0.2")
    runs = history("sleepy").runs
  until (runs[2] and runs[2].status == "ok") or lab.sys.monotonic() > deadline
  assert_eq(runs[1].status, "skipped")
  assert_eq(runs[2].status, "ok")
end)

test("kill -9 during a run: the next run proceeds and the history records the killed run", function()
  os.remove(tmp .. "/sleepy.started")
  local pidfile = tmp .. "/sleepy.pid"
  os.execute(("LABSH_PATH=%s LABSH_STATE_DIR=%s %s -m jobs run sleepy > /dev/null 2>&1 & echo $! > %s"):format(
    env.LABSH_PATH, env.LABSH_STATE_DIR, labsh, pidfile))
  wait_for(tmp .. "/sleepy.started")
  local pid = assert(tonumber(read_file(pidfile):match("%d+")))
  assert(require("labsh.os").kill(pid, 9), "kill -9 failed")
  -- Its child dies with it and holds the job's lock until then.
  local lock, deadline = env.LABSH_STATE_DIR .. "/jobs/sleepy.lock", lab.sys.monotonic() + 20
  local fd = require("labsh.filesystem").lock(lock)
  while not fd and lab.sys.monotonic() < deadline do
    os.execute("sleep 0.05")
    fd = require("labsh.filesystem").lock(lock)
  end
  assert(fd, "the killed run's child never let go of the lock")
  require("labsh.filesystem").unlock(fd)
  local out, status = jobs("run", "sleepy")
  assert_eq(status, 0, out)
  assert(not out:find("skipped", 1, true), out)
  local runs = history("sleepy").runs
  assert_eq(runs[1].status, "ok")
  assert_eq(runs[2].status, "killed")  -- its child died with it (see jobs_trust_spec.lua)
end)

test("history: success rate, MTTR and MTBF as §9 defines them", function()
  -- ok at 0; fails at 1000 and 1100; ok again at 1600 (ends 1700); fails at 5000; ok at 5300 (ends 5400)
  local out = eval([[
    local db = lab.job.state_dir() .. "/jobs.db"
    lab.job.history("none")  -- makes the schema
    local sql = require("labsh.sqlite")
    for _, r in ipairs { {0, 10, "ok"}, {1000, 1010, "failed"}, {1100, 1110, "timeout"}, {1600, 1700, "ok"},
                         {5000, 5010, "crashed"}, {5300, 5400, "ok"}, {6000, 6000, "skipped"} } do
      sql.exec(db, "INSERT INTO runs (job, start, finish, status, host) VALUES ('synthetic', ?, ?, ?, 'h')", r)
    end
    print(lab.json.encode(lab.job.stats("synthetic")))
  ]])
  local s = lab.json.decode(out)
  assert_eq(s.runs, 6)      -- skipped runs are not runs
  assert_eq(s.ok, 3)
  assert_eq(s.failures, 2)  -- two failure episodes
  assert_eq(s.success_rate, 0.5)
  assert_eq(s.mttr, ((1700 - 1000) + (5400 - 5000)) / 2)
  assert_eq(s.mtbf, ((1000 - 0) + (5000 - 1700)) / 2)
  assert_eq(s.failing, false)
end)

test("run-due: catch_up none, last and all decide the missed runs", function()
  -- From Mon 2026-11-23 00:00 UTC to 03:00 the same day, labsh was down.
  local out = eval([[
    local due = lab.job.due(1795392000, 1795402800)
    local by = {}
    for _, d in ipairs(due) do by[d.job] = (by[d.job] or 0) + 1 end
    print(lab.json.encode(by))
  ]])
  local by = lab.json.decode(out)
  assert_eq(by.nightly, 1)      -- 02:30 missed, catch_up all: once per missed time
  assert_eq(by.hourly, 1)       -- 01:00, 02:00, 03:00: catch_up last: once
  assert_eq(by.weekdays, nil)   -- 02:00 missed an hour ago, catch_up none
  assert_eq(by.hello, 1)        -- every 5 minutes, catch_up last by default: once
  out = eval("print(lab.json.encode(#lab.job.due(1795392000, 1795392000 + 86400 * 3)))")
  assert(tonumber(out) > 3, out)
end)

test("run-due keeps its mark in the state directory and runs each due job once", function()
  local mark = env.LABSH_STATE_DIR .. "/run-due.last"
  write_file(mark, tostring(os.time() - 3600 * 3) .. "\n")
  local _, status = jobs("run-due")
  assert(status == 0 or status == 1)
  local now = tonumber(read_file(mark):match("%d+"))
  assert(math.abs(now - os.time()) < 60, "the mark did not move")
  local runs = history("hourly").runs
  assert_eq(runs[1].trigger == "scheduled" or runs[1].trigger == "catch-up", true)
  -- called again at once: nothing new is due for hourly
  jobs("run-due")
  assert_eq(#history("hourly").runs, #runs)
end)

test("export --crontab: cron schedules as lines, OnCalendar ones through run-due", function()
  -- The built-in homelab's zone is Europe/Berlin: a system in that zone
  -- runs cron schedules directly.
  env.TZ = "Europe/Berlin"
  local out, status = jobs("export", "--crontab")
  env.TZ = "UTC"
  assert_eq(status, 0)
  assert(out:find("\n%*/5 %* %* %* %* [^\n]- %-m jobs run hello\n"), out)
  assert(out:find("\n30 2 %* %* %* [^\n]- %-m jobs run nightly\n"), out)
  assert(out:find("# weekdays:", 1, true), out)
  assert(out:find("\n%* %* %* %* %* [^\n]- %-m jobs run%-due\n"), out)
end)

test("export --crontab: a schedule in another zone than the system's goes through run-due", function()
  local out, status = jobs("export", "--crontab")  -- TZ=UTC, the inventory says Europe/Berlin
  assert_eq(status, 0)
  assert(not out:find("\n30 2 %* %* %* [^\n]- %-m jobs run nightly\n"), out)
  assert(out:find("# nightly: '30 2 * * *' is in Europe/Berlin, not the system's zone (UTC)", 1, true), out)
  assert(out:find("\n%* %* %* %* %* [^\n]- %-m jobs run%-due\n"), out)
end)

test("a job's next run is the same whatever TZ says (its zone is the inventory's)", function()
  local seen
  for _, tz in ipairs { "UTC", "Asia/Dubai", "America/New_York" } do
    env.TZ = tz
    local out = eval([[print(table.concat(require("lab.job").next("nightly", 3, 1796419800), " "))]])
    seen = seen or out
    assert_eq(out, seen, "next under TZ=" .. tz)
  end
  env.TZ = "UTC"
  -- 02:30 in Berlin (CET, UTC+1) is 01:30 UTC: 2026-12-05T01:30:00Z
  assert_eq(seen:match("^%d+"), "1796434200")
end)

test("export --systemd: units that systemd-analyze verify accepts, timers that fire as cron does", function()
  local dir = tmp .. "/units"
  local out, status = jobs("export", "--systemd", dir)
  assert_eq(status, 0, out)
  assert(out:find("labsh-hello.timer", 1, true), out)
  local units = {}
  for path in out:gmatch("[^\n]+") do units[#units + 1] = path end
  local argv = { "systemd-analyze", "verify" }
  for _, u in ipairs(units) do argv[#argv + 1] = u end
  local r = lab.process.run { argv = argv }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stderr, "")
  local timer = read_file(dir .. "/labsh-nightly.timer")
  assert(timer:find("OnCalendar=*-*-* 2:30:00", 1, true), timer)
  -- The OnCalendar form fires when the cron expression does.
  for _, expr in ipairs { "*/5 * * * *", "30 2 * * 1-5", "0 */6 * * *", "15 3 1 * *", "0 4 * * sun", "0 0 1 jan *" } do
    local calendar = lab.job.on_calendar(expr)
    local from = "2026-03-28T00:00:00Z"
    assert_same(lab.schedule.next(calendar, { from = from, count = 20, tz = "UTC" }),
                lab.schedule.next(expr, { from = from, count = 20, tz = "UTC" }), expr .. " vs " .. calendar)
  end
end)

test("every job run is one audit line with script, sha256 and arguments", function()
  local log = read_file(env.LABSH_STATE_DIR .. "/audit.log")
  local last
  for line in log:gmatch("[^\n]+") do
    local entry = lab.json.decode(line)
    if entry.action == "job.run" and entry.target == "hello" then last = entry end
  end
  assert(last, log)
  assert_eq(last.outcome, "ok")
  assert_eq(last.script, jobs_dir .. "/spec.lua")
  assert_eq(#last.sha256, 64)
  assert_eq(last.arguments[#last.arguments], "hello")
end)

test("after a run, its metrics go to the textfile collector's directory when configured", function()
  local dir = tmp .. "/textfile"
  filesystem.make_directories(dir)
  local inv = tmp .. "/inventory.lua"
  write_file(inv, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. ("inv.monitoring = { textfile_dir = %q }\nreturn inv\n"):format(dir))
  local r = lab.process.run { argv = { labsh, "--inventory", inv, "-m", "jobs", "run", "hello" }, env = env }
  assert_eq(r.status, 0, r.stderr)
  local text = read_file(dir .. "/labsh_job_hello.prom")
  assert(text:find('labsh_job_success{job_name="hello"} 1', 1, true), text)
  assert(text:find('labsh_job_last_success_timestamp_seconds{job_name="hello"}', 1, true), text)
  assert(text:find("# TYPE labsh_job_duration_seconds gauge", 1, true), text)
end)

test("a job file with a bad job is refused with its file and name", function()
  local bad = tmp .. "/bad/jobs"
  filesystem.make_directories(bad)
  write_file(bad .. "/bad.lua", 'lab.job { name = "x", schedule = "61 * * * *", run = "demo" }')
  local r = lab.process.run { argv = { labsh, "-m", "jobs", "list" },
                              env = { LABSH_PATH = tmp .. "/bad", LABSH_STATE_DIR = tmp .. "/state" } }
  assert_eq(r.status, 1)
  assert(r.stderr:find("bad.lua: job x: schedule", 1, true), r.stderr)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
