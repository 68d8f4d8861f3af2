---@meta
-- Declarations of `lab.job`, for editors (LuaLS) and help() at the prompt.

---A scheduled job as declared: what `lab.job{}` takes.
---@class lab.JobSpec
---@field name string letters, digits, - _ . (a letter or digit first, at most 100): it names unit files and crontab lines
---@field schedule string? cron or systemd OnCalendar (see lab.schedule.next); none: manual only. One line of printable ASCII
---@field tz string? the zone the schedule runs in (default local), e.g. Europe/Berlin
---@field run function|string|string[] a function (run in a child labsh), a script name for -m, a path, or {script, args...}
---@field timeout number|string? seconds or "5m": then the run's process group is stopped (status "timeout")
---@field overlap "skip"|"queue"|"kill"? a run still going: skip this one (default), wait for it, or stop it
---@field retries integer? attempts after a failed one (default 0)
---@field retry_delay number|string? between attempts (default 10 s)
---@field catch_up "none"|"last"|"all"? missed fire times: run none, once (default) or each
---@field metrics "push"|"textfile"|false? where a run's metrics go (default: the Pushgateway if configured, else the textfile directory if configured, else nowhere)
---@field description string? one line of UTF-8 text without control characters, at most 256 bytes (escaped in exported units)
---@field max_output integer? bytes of a run's output kept in the history (default 65536): the tail, with a note "[... 1.2 MiB cut ...]" when more was written

---One recorded run.
---@class lab.JobRun
---@field id integer
---@field job string
---@field start number Unix seconds
---@field finish number?
---@field status "running"|"ok"|"failed"|"timeout"|"killed"|"crashed"|"skipped" killed: the labsh recording the run was killed and the run's child with it; crashed: the machine restarted during the run
---@field exit_code integer?
---@field attempts integer
---@field output string? the end of its output: at most 40 lines and max_output bytes, after a note of what was cut
---@field host string
---@field trigger "manual"|"scheduled"|"catch-up"

---Scheduled jobs: locks, retries, history in SQLite, catch-up, export to
---cron and systemd. `lab.job{...}` declares a job (in a job file,
---jobs/NAME.lua on the script path, or the inventory's `jobs` section) and
---returns it. Run them with `labsh -m jobs`.
---@overload fun(spec: lab.JobSpec): lab.JobSpec
lab.job = {}

---The state directory ($LABSH_STATE_DIR, else $XDG_STATE_HOME/labsh, else
---~/.local/state/labsh): jobs.db, locks, run-due.last, audit.log.
---@return string
function lab.job.state_dir() end

---The directories searched for jobs/*.lua, in script-path order.
---@return string[]
function lab.job.directories() end

---Every job: the inventory's, then the job files'. A job file (or an
---inventory entry) that cannot be loaded is left out and kept in
---lab.job.broken(): it stops no other job.
---@return lab.JobSpec[]
function lab.job.list() end

---The job files and inventory entries that could not be loaded: name (the
---file's name without .lua), origin (the file) and error (one line).
---`labsh -m jobs` names them on stderr, `list` shows them as rows, and the
---report's Jobs section is "error" while one is there.
---@return {name: string, origin: string, error: string}[]
function lab.job.broken() end

---The environment an exported run needs to find what this labsh found:
---LABSH_PATH, XDG_DATA_HOME, LABSH_INVENTORY (from --inventory too) and
---LABSH_STATE_DIR (also for XDG_STATE_HOME), each only when set, as
---absolute paths; {{name, value}, ...}. Crontab lines and units carry it
---(none under -E: the command carries -E instead).
---@return {[1]: string, [2]: string}[]
function lab.job.environment() end

---The job called `name`; an error of kind "job" lists the known ones.
---@param name string
---@return lab.JobSpec
function lab.job.get(name) end

---The next `count` fire times (Unix seconds) of job `name` after `from`.
---@param name string
---@param count integer?
---@param from number|string?
---@return integer[]
function lab.job.next(name, count, from) end

---The labsh command line that runs one attempt of job `j`.
---@param j lab.JobSpec
---@return string[]
function lab.job.argv(j) end

---Runs job `name` now in a child labsh: takes its lock (flock; with
---overlap "skip" a run still going makes this one "skipped"), retries,
---records the run in the history and the audit log, publishes metrics.
---The child holds the lock too (as its fd 3) and dies with this labsh
---(SIGTERM, also after kill -9), so the lock lasts as long as the work.
---Under --dry-run nothing runs: "dry run: would run job NAME: ..." on stderr.
---opts.trigger: "manual" (default), "scheduled", "catch-up"; opts.echo:
---false keeps the child's output quiet (it is kept in the record).
---@param name string
---@param opts {trigger: string?, echo: boolean?}?
---@return lab.JobRun record
function lab.job.run(name, opts) end

---What is due between Unix times `last` and `now`, per catch_up:
---a list of {job, time, trigger}.
---@param last number
---@param now number
---@return {job: string, time: integer, trigger: string}[]
function lab.job.due(last, now) end

---Runs what fell due since the last call (kept in the state directory)
---and moves the mark to `now` (default the clock). The inventory and job
---files load before the run-due lock is taken; the lock covers only the
---decision (read the mark, work out what is due, move it).
---@param now number?
---@return lab.JobRun[]
function lab.job.run_due(now) end

---Recorded runs of job `name` (all jobs when nil), newest first; runs left
---"running" by a labsh that is gone, whose job lock is free again, are
---marked "killed" (or "crashed" after a restart of the machine) first.
---@param name string?
---@param limit integer? default 20
---@return lab.JobRun[]
function lab.job.history(name, limit) end

---Reliability of a job (§9): runs, ok, success_rate, failures (episodes),
---mttr (seconds from a failure's start to the next good run's end), mtbf
---(seconds of good operation between failures), failing, last.
---@param name string
---@return {job: string, runs: integer, ok: integer, success_rate: number?, failures: integer, mttr: number?, mtbf: number?, failing: boolean, last: string?}
function lab.job.stats(name) end

---Crontab text for the jobs (OnCalendar ones through `jobs run-due`):
---one line per job, its command shell-quoted with % written \%, after
---NAME=value words of lab.job.environment().
---@return string
function lab.job.crontab() end

---The OnCalendar form of a schedule, written by Homelab from the fields
---cron parsed (OnCalendar expressions pass through); with `zone`, an
---expression that names no zone gets it. An error for a cron expression
---that restricts both day of month and day of week (cron runs on either,
---systemd needs both) unless one of them holds every day.
---@param schedule string
---@param zone string?
---@return string
function lab.job.on_calendar(schedule, zone) end

---The time zone a job's schedule is read in: its own `tz`, else the
---inventory's site.timezone, else UTC; never TZ.
---@param job lab.JobSpec
---@return string
function lab.job.zone(job) end

---Writes labsh-NAME.service and .timer per scheduled job into `dir`;
---returns the paths. Free text is escaped for systemd (% as %%, backslashes
---doubled, ExecStart arguments quoted, $ as $$); a labsh whose path holds a
---quote or a backslash is refused (systemd cannot run it). The service
---has an Environment="NAME=value" line per lab.job.environment() entry.
---@param dir string
---@return string[]
function lab.job.systemd(dir) end
