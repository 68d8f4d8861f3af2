-- lab.job: scheduled jobs with locks, history and catch-up.
--
-- A job is declared in a job file (jobs/NAME.lua in a directory of the
-- script path: $LABSH_PATH, $XDG_DATA_HOME/labsh, /usr/local/share/labsh,
-- /usr/share/labsh) or in the inventory's `jobs` section:
--
--   lab.job {
--     name = "backup-check",
--     schedule = "*/15 * * * *",       -- cron or systemd OnCalendar (lab.schedule)
--     run = "check-backups",           -- a script (-m NAME, a path, or {name, args...})
--                                      -- or a function (job files only)
--     timeout = "5m",                  -- then the run's process group is stopped
--     overlap = "skip",                -- "skip" | "queue" | "kill" a run still going
--     retries = 2, retry_delay = "30s",
--     catch_up = "last",               -- missed runs: "none" | "last" | "all"
--   }
--
-- Every run is a child labsh process (a function job runs in
-- `labsh -m jobs exec NAME`), so a timeout, a crash or kill -9 of the child
-- never takes the bookkeeping with it. The parent takes the job's lock
-- (flock on $STATE/jobs/NAME.lock: the kernel releases it when the last
-- process holding it ends, so it is never stale) and records the run in
-- $STATE/jobs.db (SQLite, WAL).
--
-- The lock lives as long as the work, whichever labsh dies first:
--   * the child inherits the lock's descriptor (as fd 3), so the lock is
--     held until the parent and the child have both ended;
--   * the child dies with its parent: it gets SIGTERM when the parent ends,
--     even by kill -9 (PR_SET_PDEATHSIG, armed by LABSH_PARENT_DEATH_SIGNAL),
--     and stops its own programs before it exits.
-- So after kill -9 of the parent no second run starts while the first one's
-- child is still alive, and the first run really ended: the next holder of
-- the lock finds its row still "running" and marks it "killed" (or
-- "crashed" when the machine restarted since it began).

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local os_ = require "labsh.os"
local digests = require "labsh.digest"
local schedules = require "labsh.schedule"
local sqlite = require "labsh.sqlite"
local tail = require "labsh.tail"
local times = require "labsh.times"

local job = {}

local OVERLAP = { skip = true, queue = true, kill = true }
local CATCH_UP = { none = true, last = true, all = true }
local TAIL_LINES = 40
local MAX_OUTPUT = 64 * 1024  -- bytes of a run's output kept in the history

local function fail(message, fields) host.fail("job", message, fields) end

-- ---- State directory and database -----------------------------------------

--- The state directory: $LABSH_STATE_DIR, else $XDG_STATE_HOME/labsh, else
--- ~/.local/state/labsh (made 0700 on first use).
function job.state_dir()
  local dir = require("labsh.state").dir()
  filesystem.make_directories(dir)
  return dir
end

local schema_ready = {}

local function db()
  local path = job.state_dir() .. "/jobs.db"
  if not schema_ready[path] then
    require("labsh.state").check_database(path)  -- SQLite opens by name: no symbolic link, ours, 0600
    sqlite.exec(path, [[CREATE TABLE IF NOT EXISTS runs (
      id INTEGER PRIMARY KEY, job TEXT NOT NULL, start REAL NOT NULL, finish REAL,
      status TEXT NOT NULL, exit_code INTEGER, attempts INTEGER, output TEXT,
      host TEXT, pid INTEGER, trigger TEXT)]])
    sqlite.exec(path, "CREATE INDEX IF NOT EXISTS runs_job ON runs (job, start)")
    schema_ready[path] = true
  end
  return path
end

local function sql(statement, params) return sqlite.exec(db(), statement, params) end

-- When this machine started (Unix seconds), from /proc/uptime.
local function boot_time()
  local f = io.open("/proc/uptime")
  local uptime = f and tonumber((f:read("l") or ""):match("^[%d.]+"))
  if f then f:close() end
  return uptime and lab.sys.now() - uptime or nil
end

-- Rows of job `name` still "running" on this host. Called only while
-- holding the job's lock, so no process of theirs is left (a run's child
-- holds the lock too): they were killed with their recorder (kill -9), or
-- the machine went down.
local function mark_ended(name)
  local here = lab.sys.hostname()
  local rows = sql("SELECT id, pid, start FROM runs WHERE status = 'running' AND host = ? AND job = ?", { here, name })
  local booted = boot_time()
  for _, row in ipairs(rows) do
    local rebooted = booted and row.start < booted
    local status = rebooted and "crashed" or "killed"
    local note = rebooted and "(the machine restarted during the run: no result was recorded)"
      or ("(labsh pid %s, which ran and recorded this run, was killed; the run was stopped with it)")
        :format(tostring(row.pid))
    sql("UPDATE runs SET status = ?, output = COALESCE(output || char(10), '') || ? WHERE id = ?",
      { status, note, row.id })
  end
end

local function lock_path(name) return job.state_dir() .. "/jobs/" .. name .. ".lock" end

-- For readers of the history: settles the "running" rows whose recorder
-- is gone, for the jobs (one, or all when nil) whose lock is free. A lock
-- still held means the run's child is still alive: its row stays "running".
-- (Probing takes the lock for a moment; it happens only after a kill.)
local function settle(name)
  local rows = sql("SELECT DISTINCT job, pid FROM runs WHERE status = 'running' AND host = ?"
    .. (name and " AND job = ?" or ""), { lab.sys.hostname(), name })
  local stale = {}
  for _, row in ipairs(rows) do
    if not (row.pid and os_.alive(row.pid)) then stale[row.job] = true end
  end
  for stale_job in pairs(stale) do
    if stale_job:match("^[%w_.%-]+$") then
      filesystem.make_directories(job.state_dir() .. "/jobs")
      local fd = filesystem.lock(lock_path(stale_job))
      if fd then
        local ok, err = pcall(mark_ended, stale_job)
        filesystem.unlock(fd)
        if not ok then error(err, 0) end
      end
    end
  end
end

-- ---- Declaring jobs -----------------------------------------------------------

local registry, by_name, loaded = {}, {}, false
local broken = {}  -- job files and inventory entries that could not be loaded

-- Fields that end up in generated files (systemd units, crontab lines)
-- are plain one-line text: what could start a new line or a directive
-- there is refused here, the rest is escaped on export.
local NAME_MAX, DESCRIPTION_MAX, SCHEDULE_MAX = 100, 256, 200

-- Raises unless `value` is one line of printable, valid UTF-8 text of at
-- most `max` bytes (`ascii`: printable ASCII only).
local function check_line(where, field, value, max, ascii)
  if type(value) ~= "string" then fail(("%s: %s must be a string"):format(where, field)) end
  local bad = value:find("%c")
  if bad then
    fail(("%s: %s has a control character (byte %d at %d): one line of text only")
      :format(where, field, value:byte(bad), bad))
  end
  bad = ascii and value:find("[^\32-\126]")
  if bad then fail(("%s: %s has a byte that is not printable ASCII (%d at %d)"):format(where, field, value:byte(bad), bad)) end
  if not utf8.len(value) then fail(("%s: %s is not valid UTF-8"):format(where, field)) end
  if #value > max then fail(("%s: %s is %d bytes long (at most %d)"):format(where, field, #value, max)) end
end

local function check_spec(spec, origin)
  if type(spec) ~= "table" then fail(("%s: a job is a table"):format(origin)) end
  local name = spec.name
  -- the name becomes part of unit file names and command lines: a safe charset
  if type(name) ~= "string" or not name:match("^[A-Za-z0-9][A-Za-z0-9_.%-]*$") or #name > NAME_MAX then
    fail(("%s: job name %q: letters, digits, - _ . only (at most %d, a letter or digit first)")
      :format(origin, tostring(name), NAME_MAX))
  end
  local where = ("%s: job %s"):format(origin, name)
  if spec.description ~= nil then check_line(where, "description", spec.description, DESCRIPTION_MAX) end
  if spec.tz ~= nil then
    if type(spec.tz) ~= "string" or not spec.tz:match("^[A-Za-z0-9_+%-/]+$") or #spec.tz > 64 then
      fail(("%s: tz %q: a zone name such as Europe/Berlin"):format(where, tostring(spec.tz)))
    end
  end
  if spec.schedule ~= nil then
    check_line(where, "schedule", spec.schedule, SCHEDULE_MAX, true)
    local ok, err = pcall(lab.schedule.next, spec.schedule, { tz = spec.tz })
    if not ok then fail(("%s: schedule %q: %s"):format(where, spec.schedule, tostring(err))) end
  end
  local run = spec.run
  if type(run) ~= "function" and type(run) ~= "string" and type(run) ~= "table" then
    fail(where .. ": run must be a function, a script name or path, or {script, args...}")
  end
  if type(run) == "table" and type(run[1]) ~= "string" then fail(where .. ": run = {script, args...}") end
  local overlap = spec.overlap or "skip"
  if not OVERLAP[overlap] then fail(("%s: overlap %q: skip, queue or kill"):format(where, tostring(overlap))) end
  local catch_up = spec.catch_up or "last"
  if not CATCH_UP[catch_up] then fail(("%s: catch_up %q: none, last or all"):format(where, tostring(catch_up))) end
  local retries = spec.retries or 0
  if math.type(retries) ~= "integer" or retries < 0 then fail(where .. ": retries must be a whole number >= 0") end
  local max_output = spec.max_output or MAX_OUTPUT
  if math.type(max_output) ~= "integer" or max_output < 0 then
    fail(where .. ": max_output must be a whole number of bytes >= 0")
  end
  return {
    name = name, schedule = spec.schedule, tz = spec.tz, run = run, description = spec.description,
    timeout = spec.timeout and times.duration(spec.timeout) or nil,
    overlap = overlap, catch_up = catch_up, retries = retries,
    retry_delay = times.duration(spec.retry_delay or 10), max_output = max_output,
    metrics = spec.metrics, origin = origin,
  }
end

-- Registers a job; a second job of the same name is an error naming both.
local function register(spec, origin)
  local j = check_spec(spec, origin)
  if by_name[j.name] then
    fail(("job %s is declared twice: %s and %s"):format(j.name, by_name[j.name].origin, origin))
  end
  registry[#registry + 1], by_name[j.name] = j, j
  return j
end

-- The directories searched for jobs/*.lua, as the script path orders them.
function job.directories()
  local path, dirs = lab.sys.locations().script_path, {}
  for _, list in ipairs { path.overrides, path.system } do
    for _, dir in ipairs(list) do dirs[#dirs + 1] = dir:gsub("/+$", "") .. "/jobs" end
  end
  return dirs
end

local loading  -- the file being loaded, for lab.job{} calls inside it

local function load_file(path)
  local dir = path:match("^(.*)/jobs/[^/]+$")
  filesystem.check_search_file(dir, path:sub(#dir + 2))  -- as require: not a file others may change
  -- a shared library's job runs nothing of it until its files are trusted, as its scripts
  local library = require "labsh.library"
  local refused = library.is_library(dir) and library.refusal(dir)
  if refused then fail(refused, { path = path }) end
  local chunk, err = loadfile(path, "t")
  if not chunk then fail(err, { path = path }) end
  loading = path
  local ok, result = pcall(chunk)
  loading = nil
  if not ok then error(result, 0) end
  if type(result) == "table" then  -- a file may return its job instead of calling lab.job
    if result.name then register(result, path) else for _, spec in ipairs(result) do register(spec, path) end end
  end
end

-- The one-line text of a loading error (a job error's message, else the text).
local function message_of(err)
  if type(err) == "table" and err.message then return tostring(err.message) end
  return (tostring(err):gsub("\n.*", ""))
end

-- Loads one source of jobs (a file, an inventory entry) on its own: when it
-- fails, the jobs it had declared are taken back and it is kept in
-- `broken` as {name, origin, error}, so one bad file stops no other job.
local function load_isolated(name, origin, loader)
  local before = #registry
  local ok, err = pcall(loader)
  if ok then return end
  for i = #registry, before + 1, -1 do
    by_name[registry[i].name] = nil
    registry[i] = nil
  end
  local message = message_of(err)
  if message:sub(1, #origin + 2) == origin .. ": " then message = message:sub(#origin + 3) end
  broken[#broken + 1] = { name = name, origin = origin, error = message }
end

--- Every job: the inventory's `jobs` section, then jobs/*.lua on the script
--- path (a file shadows one of the same name further down the path).
function job.list()
  if not loaded then
    loaded = true
    local inventory = lab.inventory.current()
    for i, spec in ipairs(lab.inventory.jobs and lab.inventory.jobs() or inventory.jobs or {}) do
      local origin = ("inventory jobs[%d]"):format(i)
      local name = type(spec) == "table" and type(spec.name) == "string" and spec.name or origin
      load_isolated(name, origin, function() register(spec, origin) end)
    end
    local seen = {}
    for _, dir in ipairs(job.directories()) do
      for _, file in ipairs(filesystem.list(dir) or {}) do
        if file:match("%.lua$") and not seen[file] then
          seen[file] = true
          local path = dir .. "/" .. file
          load_isolated(file:gsub("%.lua$", ""), path, function() load_file(path) end)
        end
      end
    end
    table.sort(registry, function(a, b) return a.name < b.name end)
  end
  return registry
end

--- The job files and inventory entries that could not be loaded:
--- {name = the file's name without .lua (or the entry's job name), origin,
--- error = one line}. Their jobs are left out of job.list(); the others
--- run as usual.
function job.broken()
  job.list()
  return broken
end

--- The job called `name`; raises an error of kind "job" naming the known ones.
function job.get(name)
  job.list()
  local j = by_name[name]
  if not j then
    for _, b in ipairs(broken) do
      if b.name == name then fail(("job %s cannot be loaded: %s: %s"):format(name, b.origin, b.error)) end
    end
    local names = {}
    for _, x in ipairs(registry) do names[#names + 1] = x.name end
    fail(("no job %q (jobs: %s)"):format(tostring(name), #names > 0 and table.concat(names, ", ") or "none"))
  end
  return j
end

--- The time zone a job's schedule is read in: its own `tz`, else the
--- inventory's (site.timezone), never the process's TZ.
function job.zone(j)
  if j.tz then return j.tz end
  local site = lab.inventory.current().site
  return site and site.timezone or "UTC"
end

--- The next `count` fire times of a job (Unix seconds), after `from`.
function job.next(name, count, from)
  local j = job.get(name)
  if not j.schedule then return {} end
  return lab.schedule.next(j.schedule, { from = from, count = count or 1, tz = job.zone(j) })
end

-- ---- Running --------------------------------------------------------------

-- This labsh's path; after an upgrade replaced the file while it runs
-- (/proc says "PATH (deleted)"), the new labsh at the same path.
local function labsh_path()
  local path = os_.executable()
  return path and (path:gsub(" %(deleted%)$", ""))
end

-- The labsh command line that runs one attempt.
function job.argv(j)
  local argv = { labsh_path() or "labsh" }
  if lab.sys.locations().ignore_environment then argv[#argv + 1] = "-E" end  -- the same paths as this run
  if lab.options.inventory then
    argv[#argv + 1], argv[#argv + 2] = "--inventory", lab.options.inventory
  end
  if lab.options.yes then argv[#argv + 1] = "--yes" end
  local run = j.run
  if type(run) == "function" then
    for _, a in ipairs { "-m", "jobs", "exec", j.name } do argv[#argv + 1] = a end
    return argv
  end
  if type(run) == "string" then run = { run } end
  if run[1]:find("/", 1, true) then argv[#argv + 1] = run[1] else argv[#argv + 1], argv[#argv + 2] = "-m", run[1] end
  for i = 2, #run do argv[#argv + 1] = tostring(run[i]) end
  return argv
end

-- The script a run executes and its SHA-256, for the audit log: the job
-- file for a function; for a script name, the file -m would run (on
-- $LABSH_PATH, else inside labsh).
local function script_identity(j)
  local function digest(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local text = f:read("a")
    f:close()
    return digests.sha256(text)
  end
  if type(j.run) == "function" then return j.origin, digest(j.origin) end
  local run = type(j.run) == "table" and j.run[1] or j.run
  if run:find("/", 1, true) then return run, digest(run) end
  for _, dir in ipairs(lab.sys.locations().script_path.overrides) do
    local path = dir .. "/" .. run .. ".lua"
    local sha = digest(path)
    if sha then return path, sha end
  end
  local text = host.embedded("scripts/" .. run .. ".lua")
  if text then return "labsh:scripts/" .. run .. ".lua", digests.sha256(text) end
  return run
end

-- Metrics of a finished run: to the Pushgateway when one is configured
-- (or metrics = "push"), else to the textfile collector's directory.
local function publish_metrics(j, record)
  local monitoring = lab.inventory.current().monitoring or {}
  local how = j.metrics
  if how == false then return end
  if how == nil then
    how = monitoring.pushgateway and "push" or monitoring.textfile_dir and "textfile" or nil
  end
  if not how then return end
  local last_ok = sql("SELECT MAX(finish) AS t FROM runs WHERE job = ? AND status = 'ok'", { j.name })[1]
  local labels = { job_name = j.name }
  local metrics = {
    { name = "labsh_job_last_run_timestamp_seconds", type = "gauge", labels = labels, value = record.finish,
      help = "When the job's last run ended." },
    { name = "labsh_job_duration_seconds", type = "gauge", labels = labels, value = record.finish - record.start,
      help = "How long the job's last run took." },
    { name = "labsh_job_success", type = "gauge", labels = labels, value = record.status == "ok" and 1 or 0,
      help = "1 if the job's last run succeeded." },
    { name = "labsh_job_exit_code", type = "gauge", labels = labels, value = record.exit_code or -1,
      help = "Exit code of the job's last run (-1: none)." },
  }
  if last_ok and last_ok.t then
    metrics[#metrics + 1] = { name = "labsh_job_last_success_timestamp_seconds", type = "gauge", labels = labels,
      value = last_ok.t, help = "When the job last succeeded." }
  end
  local ok, err = pcall(function()
    if how == "push" then
      lab.push("labsh_job", metrics, { grouping = { job_name = j.name, instance = lab.sys.hostname() } })
    else
      lab.textfile.write(nil, "labsh_job_" .. j.name:gsub("[^%w_]", "_"), metrics)
    end
  end)
  if not ok then io.stderr:write(("job %s: metrics not published: %s\n"):format(j.name, tostring(err))) end
end

-- One attempt: the child labsh, its output echoed and its tail kept (at
-- most TAIL_LINES lines and j.max_output bytes). The child inherits the
-- job's lock (`lock_fd`, as its fd 3) and dies with this labsh.
local function attempt(j, echo, lock_fd)
  local kept = tail.new { lines = TAIL_LINES, bytes = j.max_output }
  local result = lab.process.run {
    argv = job.argv(j),
    env = { LABSH_PARENT_DEATH_SIGNAL = ("15:%d"):format(lab.sys.pid()) },
    keep_fd = lock_fd,
    timeout = j.timeout,
    max_output = 0,  -- the tail is kept here, line by line
    on_line = function(stream, line)
      kept:add(line)
      if echo then
        local out = stream == "stdout" and io.stdout or io.stderr
        out:write(line, "\n")
      end
    end,
  }
  local status
  if result.timed_out then status = "timeout"
  elseif result.status == 0 then status = "ok"
  else status = "failed" end
  return status, result.status or (result.signal and 128 + result.signal), kept:text()
end

--- Runs job `name` now. opts: trigger ("manual", "scheduled", "catch-up"),
--- echo (default true: the child's output is shown as it comes).
--- Returns the run's record: {job, status = "ok"|"failed"|"timeout"|
--- "skipped", exit_code, attempts, start, finish, output}.
function job.run(name, opts)
  opts = opts or {}
  local j = job.get(name)
  local trigger = opts.trigger or "manual"
  local argv = job.argv(j)
  if lab.options.dry_run then
    io.stderr:write(("dry run: would run job %s: %s\n"):format(j.name, table.concat(argv, " ")))
    return { job = j.name, status = "dry run" }
  end
  filesystem.make_directories(job.state_dir() .. "/jobs")
  local path = lock_path(j.name)
  local fd = filesystem.lock(path, j.overlap == "queue")
  if not fd and j.overlap == "kill" then
    local f = io.open(path, "r")
    local pid = f and tonumber(f:read("l") or "")
    if f then f:close() end
    if pid then
      io.stderr:write(("job %s: stopping the run still going (pid %d)\n"):format(j.name, pid))
      os_.kill(pid, 15)
    end
    fd = filesystem.lock(path, true)
  end
  local here, now = lab.sys.hostname(), lab.sys.now()
  if not fd then
    local f = io.open(path, "r")
    local pid = f and f:read("l") or "?"
    if f then f:close() end
    local record = { job = j.name, status = "skipped", start = now, finish = now, attempts = 0,
                     output = ("another run is still going (pid %s)"):format(pid) }
    sql("INSERT INTO runs (job, start, finish, status, attempts, output, host, pid, trigger) VALUES (?,?,?,?,?,?,?,?,?)",
      { j.name, now, now, "skipped", 0, record.output, here, lab.sys.pid(), trigger })
    return record
  end
  local _ <close> = setmetatable({}, { __close = function() filesystem.unlock(fd) end })
  mark_ended(j.name)  -- we hold the lock: no process of an earlier run is left
  sql("INSERT INTO runs (job, start, status, attempts, host, pid, trigger) VALUES (?,?,?,?,?,?,?)",
    { j.name, now, "running", 0, here, lab.sys.pid(), trigger })
  local id = sql("SELECT last_insert_rowid() AS id")[1].id
  local record = { job = j.name, start = now, attempts = 0 }
  -- Recorded however the run ends, also on Ctrl-C or --timeout of this labsh.
  local _ <close> = setmetatable({}, { __close = function(_, err)
    if err ~= nil then
      record.status, record.output = "failed", tostring(err)
    end
    record.finish = lab.sys.now()
    sql("UPDATE runs SET finish = ?, status = ?, exit_code = ?, attempts = ?, output = ? WHERE id = ?",
      { record.finish, record.status, record.exit_code, record.attempts, record.output, id })
    local script, sha = script_identity(j)
    require("labsh.gate").audit {
      action = "job.run", target = j.name, outcome = record.status, script = script, sha256 = sha,
      arguments = argv, details = { trigger = trigger, attempts = record.attempts, exit_code = record.exit_code,
                                    seconds = record.finish - record.start },
    }
    if err == nil then publish_metrics(j, record) end
  end })
  repeat
    record.attempts = record.attempts + 1
    record.status, record.exit_code, record.output = attempt(j, opts.echo ~= false, fd)
    if record.status ~= "ok" and record.attempts <= j.retries then
      io.stderr:write(("job %s: attempt %d %s (exit %s), retrying in %gs\n")
        :format(j.name, record.attempts, record.status, tostring(record.exit_code), j.retry_delay))
      os_.sleep(j.retry_delay)
    end
  until record.status == "ok" or record.attempts > j.retries
  return record
end

-- ---- Due runs ---------------------------------------------------------------

-- Fire times of a job in (after, upto], at most `limit`.
local function fires_between(j, after, upto, limit)
  local out = {}
  if not j.schedule then return out end
  for _, t in ipairs(lab.schedule.next(j.schedule, { from = math.floor(after), count = limit, tz = job.zone(j) })) do
    if t > upto then break end
    out[#out + 1] = t
  end
  return out
end

--- What is due at `now` since the last call (kept in $STATE/run-due.last;
--- on the first call, the last minute): a list of {job, time, trigger},
--- missed fire times handled per the job's catch_up: "none" runs only a
--- time within the last two minutes, "last" runs once for any missed time,
--- "all" once per missed time (at most 100).
function job.due(last, now)
  local due = {}
  for _, j in ipairs(job.list()) do
    local fires = fires_between(j, last, now, j.catch_up == "all" and 100 or 1000)
    if #fires > 0 then
      local newest = fires[#fires]
      if j.catch_up == "all" then
        for i, t in ipairs(fires) do
          due[#due + 1] = { job = j.name, time = t, trigger = i < #fires and "catch-up" or "scheduled" }
        end
      elseif j.catch_up == "last" then
        due[#due + 1] = { job = j.name, time = newest, trigger = newest >= now - 120 and "scheduled" or "catch-up" }
      elseif newest >= now - 120 then
        due[#due + 1] = { job = j.name, time = newest, trigger = "scheduled" }
      end
    end
  end
  return due
end

--- Runs what fell due since the last call (see job.due) and moves the mark
--- to `now`. Returns the records of the runs.
---
--- The inventory and the job files are loaded (and checked) first, before
--- the run-due lock: a bad or slow inventory fails this call alone and
--- never holds up the next one. The lock covers only the decision: read the
--- mark, work out what is due, move the mark.
function job.run_due(now)
  now = math.floor(now or os.time())
  job.list()
  local dir = job.state_dir()
  local mark = dir .. "/run-due.last"
  local due
  do
    local guard = filesystem.lock(dir .. "/run-due.lock", true)
    local _ <close> = setmetatable({}, { __close = function() filesystem.unlock(guard) end })
    local f = io.open(mark, "r")
    local last = f and tonumber(f:read("l") or "")
    if f then f:close() end
    due = job.due(last or now - 60, now)
    if not lab.options.dry_run then
      local ok, why = require("labsh.files").write_atomically(mark, ("%d\n"):format(now))
      if not ok then fail(("cannot move the run-due mark %s: %s"):format(mark, tostring(why)), { path = mark }) end
    end
  end  -- the mark is moved: a run-due a minute later starts from here
  local records = {}
  for _, d in ipairs(due) do
    records[#records + 1] = job.run(d.job, { trigger = d.trigger })
  end
  return records
end

-- ---- History ----------------------------------------------------------------

--- The runs of job `name` (every job when nil), newest first, at most
--- `limit` (default 20).
function job.history(name, limit)
  settle(name)
  return sql("SELECT id, job, start, finish, status, exit_code, attempts, output, host, trigger FROM runs"
    .. (name and " WHERE job = ?" or "") .. " ORDER BY start DESC, id DESC LIMIT ?",
    name and { name, limit or 20 } or { limit or 20 })
end

--- Reliability of job `name` over its recorded runs (§9): runs, success
--- rate (ok / runs, skipped runs left out), failures (episodes: a failed,
--- timed-out or crashed run after a good one), MTTR (mean seconds from the
--- start of a failure episode to the end of the next good run) and MTBF
--- (mean seconds of good operation between failures: from the end of a
--- recovery to the start of the next failure).
function job.stats(name)
  settle(name)
  local rows = sql("SELECT start, finish, status FROM runs WHERE job = ? AND status NOT IN ('skipped', 'running')"
    .. " ORDER BY start, id", { name })
  local s = { job = name, runs = #rows, ok = 0, failures = 0 }
  local down_since, up_since, repairs, uptimes = nil, nil, {}, {}
  for _, r in ipairs(rows) do
    if r.status == "ok" then
      s.ok = s.ok + 1
      if down_since then
        repairs[#repairs + 1] = (r.finish or r.start) - down_since
        down_since = nil
        up_since = r.finish or r.start
      elseif not up_since then
        up_since = r.start
      end
    elseif not down_since then
      s.failures = s.failures + 1
      down_since = r.start
      if up_since then uptimes[#uptimes + 1] = r.start - up_since end
      up_since = nil
    end
  end
  local function mean(list)
    if #list == 0 then return nil end
    local sum = 0
    for _, v in ipairs(list) do sum = sum + v end
    return sum / #list
  end
  s.success_rate = s.runs > 0 and s.ok / s.runs or nil
  s.mttr, s.mtbf = mean(repairs), mean(uptimes)
  s.failing = down_since ~= nil
  s.last = rows[#rows] and rows[#rows].status or nil
  return s
end

-- ---- Export -----------------------------------------------------------------

-- Each format gets its own escaping; the fields themselves were checked
-- when the job was declared (one line, a safe name).

-- A word for /bin/sh.
local function shell_quote(s)
  if s:match("^[%w@%%+=:,./_-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- A word of a crontab command: cron turns every % not written \% into a
-- newline before /bin/sh sees the line.
local function cron_word(s) return (shell_quote(s):gsub("%%", "\\%%")) end

-- Free text in a systemd unit value: % starts a specifier (%% is one), and
-- a line ending in an odd number of backslashes would go on to the next
-- line (so every backslash is doubled).
local function unit_text(s) return (s:gsub("[%%\\]", { ["%"] = "%%", ["\\"] = "\\\\" })) end

-- An argument of ExecStart=: double-quoted where needed, with C escapes
-- for a backslash and ", %% for %, $$ for $ (systemd expands $NAME there).
local function exec_word(s)
  if s:match("^[%w/._:+@=,-]+$") then return s end
  return '"' .. s:gsub('[\\"%%$]', { ["\\"] = "\\\\", ['"'] = '\\"', ["%"] = "%%", ["$"] = "$$" }) .. '"'
end

-- The program of ExecStart=: systemd expands no $NAME there and refuses a
-- path with a quote or a backslash, so such a labsh cannot be run by a unit.
local function exec_program(path)
  if path:find("[\"'\\%c]") then
    fail(("cannot write systemd units for labsh at %q: systemd refuses a quote or a backslash in a program's path"
      .. " (install labsh under a plain path)"):format(path))
  end
  if path:match("^[%w/._:+@=,-]+$") then return path end
  return '"' .. path:gsub("%%", "%%%%") .. '"'
end

-- The zone cron reads its times in: the system's (TZ as the crontab's
-- owner would have it, else /etc/timezone), or nil when it cannot be told.
local function system_zone()
  local tz = os.getenv("TZ")
  if tz and tz ~= "" then return (tz:gsub("^:", "")) end
  local text = require("labsh.files").read("/etc/timezone")
  return text and text:match("^%s*(%S+)")
end

-- ---- The environment of exported runs ------------------------------------------

local cwd  -- this labsh's working directory, asked once

-- `path` made absolute against this labsh's working directory: cron and
-- systemd start a job in another one.
local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  if not cwd then
    local result = lab.process.run { argv = { "pwd" }, read_only = true }
    cwd = result.status == 0 and result.stdout:match("^(/[^\n]*)") or nil
    if not cwd then fail(("cannot tell the working directory to make %q absolute"):format(path)) end
  end
  return (cwd:gsub("/+$", "")) .. "/" .. path:gsub("^%./", "")
end

--- The environment an exported run needs to find what this labsh found:
--- the jobs (LABSH_PATH, XDG_DATA_HOME), the inventory (--inventory or
--- LABSH_INVENTORY, as LABSH_INVENTORY) and the state directory
--- (LABSH_STATE_DIR, also for XDG_STATE_HOME), each set only when this
--- labsh has it, with absolute paths; {{name, value}, ...} in that order.
--- Under -E none: the exported command carries -E instead.
function job.environment()
  local paths = lab.sys.locations()
  if paths.ignore_environment then return {} end
  local env = {}
  local function set(name, value)
    if value:find("%c") then fail(("cannot export %s=%q: it has a control character"):format(name, value)) end
    env[#env + 1] = { name, value }
  end
  local overrides = {}
  for i, dir in ipairs(paths.script_path.overrides) do overrides[i] = absolute(dir) end
  if #overrides > 0 then set("LABSH_PATH", table.concat(overrides, ":")) end
  local data_home = os.getenv("XDG_DATA_HOME")
  if data_home and data_home ~= "" then set("XDG_DATA_HOME", absolute(data_home)) end
  local inventory = lab.inventory.path()
  if inventory then set("LABSH_INVENTORY", absolute(inventory)) end
  local state_set = (os.getenv("LABSH_STATE_DIR") or "") ~= "" or (os.getenv("XDG_STATE_HOME") or "") ~= ""
  if state_set and paths.state then set("LABSH_STATE_DIR", absolute(paths.state)) end
  return env
end

-- The labsh command of an exported run, before `-m jobs ...`: -E when this
-- labsh ignores the environment, so the run finds the same paths.
local function export_flags()
  return lab.sys.locations().ignore_environment and " -E" or ""
end

-- The crontab form: NAME=value words before the command, for /bin/sh.
local function cron_environment()
  local words = {}
  for _, pair in ipairs(job.environment()) do words[#words + 1] = pair[1] .. "=" .. cron_word(pair[2]) .. " " end
  return table.concat(words)
end

-- The unit form: one Environment="NAME=value" line each, the value with C
-- escapes for a backslash and ", %% for % (systemd expands no $ there).
local function unit_environment()
  local lines = {}
  for _, pair in ipairs(job.environment()) do
    local assignment = (pair[1] .. "=" .. pair[2]):gsub('[\\"%%]', { ["\\"] = "\\\\", ['"'] = '\\"', ["%"] = "%%" })
    lines[#lines + 1] = 'Environment="' .. assignment .. '"'
  end
  return lines
end

local UTC = { UTC = true, ["Etc/UTC"] = true, ["Etc/UCT"] = true, UCT = true, Universal = true,
              ["Etc/Universal"] = true, Zulu = true, ["Etc/Zulu"] = true, GMT = true, ["Etc/GMT"] = true }

local function same_zone(a, b) return a == b or (UTC[a or ""] and UTC[b or ""]) or false end

--- Crontab lines, one per job: a cron schedule in the system's time zone
--- runs `labsh -m jobs run NAME` directly; a schedule cron cannot say (an
--- OnCalendar one, or one in another zone than the system's: Debian's cron
--- has no CRON_TZ) is run by one `* * * * * labsh -m jobs run-due` line.
function job.crontab()
  local command = cron_environment() .. cron_word(labsh_path() or "labsh") .. export_flags()
  local lines, needs_due = { "# labsh jobs (labsh -m jobs export --crontab)" }, false
  local system = system_zone()
  for _, j in ipairs(job.list()) do
    local s = j.schedule
    local cron = s and schedules.kind(s) == "cron"
    if cron and same_zone(job.zone(j), system) then
      local fields = {}
      for field in s:gmatch("%S+") do fields[#fields + 1] = field end
      lines[#lines + 1] = ("%s %s -m jobs run %s"):format(table.concat(fields, " "), command, cron_word(j.name))
    elseif cron then
      lines[#lines + 1] = ("# %s: '%s' is in %s, not the system's zone (%s): run by run-due below")
        :format(j.name, s, job.zone(j), system or "unknown")
      needs_due = true
    elseif s then
      lines[#lines + 1] = ("# %s: '%s' is not a cron expression, run by run-due below"):format(j.name, s)
      needs_due = true
    end
  end
  if needs_due then lines[#lines + 1] = ("* * * * * %s -m jobs run-due"):format(command) end
  return table.concat(lines, "\n") .. "\n"
end

--- The OnCalendar form of a schedule (OnCalendar expressions pass through),
--- written by Homelab from the fields cron parsed. Raises an error of kind
--- "job" for a cron expression systemd cannot say: day of month and day of
--- week both restricted (cron runs on either, systemd needs both).
function job.on_calendar(schedule, zone)
  local ok, calendar = pcall(schedules.on_calendar, schedule, zone)
  if not ok then fail(tostring(calendar)) end
  return calendar
end

--- Writes labsh-NAME.service and labsh-NAME.timer for every scheduled job
--- into `dir` (for /etc/systemd/system or ~/.config/systemd/user). Returns
--- the paths written.
function job.systemd(dir)
  local bin = labsh_path() or "/usr/local/bin/labsh"
  local environment = unit_environment()
  local files = require "labsh.files"
  filesystem.make_directories(dir)
  local written = {}
  for _, j in ipairs(job.list()) do
    if j.schedule then
      local unit = "labsh-" .. j.name
      local calendar = job.on_calendar(j.schedule, job.zone(j))
      local service = {
        "[Unit]",
        ("Description=labsh job %s%s"):format(j.name, j.description and (": " .. unit_text(j.description)) or ""),
        "",
        "[Service]",
        "Type=oneshot",
      }
      table.move(environment, 1, #environment, #service + 1, service)
      service[#service + 1] = ("ExecStart=%s%s -m jobs run %s"):format(exec_program(bin), export_flags(), exec_word(j.name))
      service[#service + 1] = ""
      service = table.concat(service, "\n")
      local timer = table.concat({
        "[Unit]",
        ("Description=Schedule of labsh job %s"):format(j.name),
        "",
        "[Timer]",
        ("OnCalendar=%s"):format(unit_text(calendar)),
        ("Persistent=%s"):format(j.catch_up == "none" and "false" or "true"),
        ("Unit=%s.service"):format(unit),
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
      }, "\n")
      for name, text in pairs { [unit .. ".service"] = service, [unit .. ".timer"] = timer } do
        local path = dir:gsub("/+$", "") .. "/" .. name
        if require("labsh.gate").allows("write " .. path) then
          local ok, why = files.write_atomically(path, text)
          if not ok then fail(("cannot write %s: %s"):format(path, why), { path = path }) end
          written[#written + 1] = path
        end
      end
    end
  end
  table.sort(written)
  return written
end

--- lab.job{...}: declares a job (in a job file) and returns it.
return setmetatable(job, {
  __call = function(_, spec) return register(spec, loading or "(lab.job)") end,
})
