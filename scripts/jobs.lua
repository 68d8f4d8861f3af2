-- jobs: the scheduled jobs: list, run, run-due for cron, history, export.
--
-- The scheduled jobs of lab.job (job files on the script path and the
-- inventory's `jobs` section).
--
--   labsh -m jobs list                     name, schedule, next run, last result
--   labsh -m jobs next [NAME] [--count N]  the next fire times
--   labsh -m jobs run NAME                 run now (lock, retries, history, audit)
--   labsh -m jobs run-due                  what fell due since the last call
--   labsh -m jobs daemon                   run-due every minute, in the foreground
--   labsh -m jobs history [NAME]           past runs; per job: success rate, MTTR, MTBF
--   labsh -m jobs export --crontab         crontab lines on stdout
--   labsh -m jobs export --systemd DIR     labsh-NAME.service and .timer units
--   labsh -m jobs export --kubernetes DIR  a batch/v1 CronJob per job (labsh-NAME.json)
--
-- A job file that cannot be loaded (a syntax error, a bad schedule) stops
-- no other job: every command names it on stderr, `list` shows it as a
-- row, and the commands over every job (list, next, history, run-due,
-- export) exit 1 after doing the rest.
--
-- Exported crontab lines and units carry the environment that found the
-- jobs (LABSH_PATH, the inventory, the state directory), so cron and
-- systemd run the same jobs as this shell does.
--
-- A crontab line that runs them all:
--   * * * * *  labsh -m jobs run-due

local cli = require "labsh.cli"

local PARAMS = {
  name = "jobs",
  summary = "the scheduled jobs: list, next fire times, run, run-due for cron, history, export",
  formats = { "text", "json" },
  commands = {
    { "list", "the jobs: schedule, next run, last result" },
    { "next", "the next fire times (default: every job, 1 each)",
      args = { { "NAME", "a job", key = "name" } },
      params = { { "--count", "N", "how many fire times per job", type = "count", default = 1 } } },
    { "run", "run a job now (exit status: the run's: 0 ok or skipped, 1 failed, 124 timed out)",
      args = { { "NAME", "the job to run", key = "name", required = true } },
      params = { { "--once", nil, "one attempt, no retries: the caller retries (a CronJob's backoffLimit)" } } },
    { "run-due", "run what fell due since the last call (for cron, every minute)" },
    { "daemon", "run-due at every minute, in the foreground" },
    { "history", "past runs, with success rate, MTTR and MTBF per job",
      args = { { "NAME", "a job", key = "name" } },
      params = { { "--limit", "N", "how many runs", type = "count", default = 20 } } },
    { "export", "crontab lines (--crontab), a .service and .timer per job (--systemd DIR)"
        .. " or a Kubernetes CronJob per job (--kubernetes DIR)",
      params = { { "--crontab", nil, "crontab lines on stdout" },
                 { "--systemd", "DIR", "write labsh-NAME.service and .timer units into DIR" },
                 { "--kubernetes", "DIR", "write a batch/v1 CronJob per job into DIR as labsh-NAME.json" },
                 { "--image", "IMAGE", "--kubernetes: the container image with labsh and the inventory",
                   default = "labsh:latest" },
                 { "--secret", "NAME", "--kubernetes: the Secret holding the env:NAME references",
                   default = "labsh-secrets" },
                 { "--namespace", "NAME", "--kubernetes: the namespace of the CronJobs" } } },
    -- internal: the child process of a function job
    { "exec", args = { { "NAME", key = "name", required = true } }, hidden = true },
  },
  exit = "0 done (run: the run's status), 1 failed or a job file is broken (list, next, history,"
    .. " run-due and export do the rest first), 2 usage, 124 a run timed out",
}

local opts = cli.parse({ ... }, PARAMS)

local job = lab.job
local json = lab.options.format == "json"

-- A time for people: the inventory's wall clock and its offset
-- ("2026-12-06 03:00:00 +01:00"), the same whatever TZ says.
local zone  -- read when a time is first shown: --help needs no inventory
local function when(t)
  if not t then return "-" end
  zone = zone or (lab.inventory.current().site or {}).timezone or "UTC"
  return require("labsh.schedule").local_time(math.floor(t), zone)
end

-- "1h 5m", "42s": a span of seconds for people.
local function span(seconds)
  if not seconds then return "-" end
  seconds = math.floor(seconds + 0.5)
  local d, h, m, s = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60, seconds % 60
  local parts = {}
  if d > 0 then parts[#parts + 1] = d .. "d" end
  if h > 0 then parts[#parts + 1] = h .. "h" end
  if m > 0 and d == 0 then parts[#parts + 1] = m .. "m" end
  if #parts == 0 then parts[1] = s .. "s" end
  return table.concat(parts, " ")
end

-- A list as JSON: `[]` when empty, never `{}`.
local function list(rows)
  if getmetatable(rows) == nil then setmetatable(rows, lab.json.array) end
  return rows
end

local function emit(rows, columns, under)
  if json then
    print(lab.json.encode(list(rows), { sort_keys = true }))
    return
  end
  if #rows == 0 then print("(none)") return end
  -- within the terminal's width, as the prompt's tables; the column
  -- `under` (a file) goes under its row, whole, when the row is too wide
  local names, cells = {}, {}
  for i, c in ipairs(columns) do names[i] = c[1] end
  for r, row in ipairs(rows) do
    cells[r] = {}
    for _, c in ipairs(columns) do cells[r][c[1]] = tostring(c[2](row)) end
  end
  print(require("labsh.pretty").table(cells, names, { detach = under or false }))
end

-- Job files that cannot be loaded, named on stderr; `all` (a command over
-- every job) makes the exit status 1 once the rest is done.
local exit_status = 0
local function name_broken(all)
  for _, b in ipairs(job.broken()) do
    io.stderr:write(("jobs: left out, cannot be loaded: %s: %s\n"):format(b.origin, b.error))
    if all then exit_status = 1 end
  end
end

local commands = {}

function commands.list()
  local rows = {}
  for _, j in ipairs(job.list()) do
    local last = job.history(j.name, 1)[1]
    rows[#rows + 1] = {
      name = j.name, schedule = j.schedule or "(manual)", overlap = j.overlap, catch_up = j.catch_up,
      next = j.schedule and job.next(j.name, 1)[1] or nil,
      last_status = last and last.status or nil, last_start = last and last.start or nil,
      origin = j.origin,
    }
  end
  for _, b in ipairs(job.broken()) do
    rows[#rows + 1] = { name = b.name, origin = b.origin, error = b.error, last_status = "broken" }
  end
  emit(rows, {
    { "JOB", function(r) return r.name end },
    { "SCHEDULE", function(r) return r.schedule or "-" end },
    { "NEXT", function(r) return when(r.next) end },
    { "LAST", function(r)
      if r.error then return "BROKEN (see stderr)" end
      return r.last_status and (r.last_status .. " " .. when(r.last_start)) or "-"
    end },
    { "FILE", function(r) return r.origin end },
  }, "FILE")
end

function commands.next()
  local count, name = opts.count, opts.name
  local rows = {}
  for _, j in ipairs(name and { job.get(name) } or job.list()) do
    for _, t in ipairs(job.next(j.name, count)) do rows[#rows + 1] = { job = j.name, time = t } end
  end
  emit(rows, { { "JOB", function(r) return r.job end }, { "TIME", function(r) return when(r.time) end } })
end

local EXIT = { ok = 0, skipped = 0, ["dry run"] = 0, failed = 1, timeout = 124 }

local function report(record)
  if json then
    print(lab.json.encode(record, { sort_keys = true }))
  elseif record.status == "skipped" then
    print(("job %s: skipped: %s"):format(record.job, record.output))
  elseif record.status ~= "dry run" then
    io.stderr:write(("job %s: %s after %s (attempts %d, exit %s)\n"):format(record.job, record.status,
      span(record.finish - record.start), record.attempts, tostring(record.exit_code)))
  end
end

function commands.run()
  -- --once: this process's copy of the job makes one attempt (a CronJob's
  -- backoffLimit retries instead, in a new pod)
  if opts.once then job.get(opts.name).retries = 0 end
  local record = job.run(opts.name)
  report(record)
  os.exit(EXIT[record.status] or 1, true)
end

-- Internal: the child process of a function job.
function commands.exec()
  local j = job.get(opts.name)
  if type(j.run) ~= "function" then error(("job %s does not run a function"):format(j.name), 0) end
  local result, why = j.run(j)
  if result == false or (result == nil and why) then
    if why then io.stderr:write(tostring(why), "\n") end
    os.exit(1, true)
  end
  os.exit(math.type(result) == "integer" and result or 0, true)
end

commands["run-due"] = function()
  local worst = 0
  for _, record in ipairs(job.run_due()) do
    report(record)
    worst = math.max(worst, (EXIT[record.status] or 1) == 0 and 0 or 1)
  end
  name_broken(true)  -- after the good jobs ran
  os.exit(math.max(worst, exit_status), true)
end

function commands.daemon()
  io.stderr:write("labsh jobs daemon: running due jobs every minute (Ctrl-C stops)\n")
  name_broken(false)
  while true do
    for _, record in ipairs(job.run_due()) do report(record) end
    local now = lab.sys.now()
    require("labsh.os").sleep(60 - now % 60 + 0.05)
  end
end

function commands.history()
  local name, limit = opts.name, opts.limit
  if name then job.get(name) end
  local runs = job.history(name, limit)
  local stats = {}
  for _, j in ipairs(name and { job.get(name) } or job.list()) do stats[#stats + 1] = job.stats(j.name) end
  if json then
    print(lab.json.encode({ runs = list(runs), stats = list(stats) }, { sort_keys = true }))
    return
  end
  emit(runs, {
    { "JOB", function(r) return r.job end },
    { "START", function(r) return when(r.start) end },
    { "TOOK", function(r) return r.finish and span(r.finish - r.start) or "-" end },
    { "STATUS", function(r) return r.status end },
    { "EXIT", function(r) return r.exit_code or "-" end },
    { "TRIGGER", function(r) return r.trigger or "-" end },
    { "HOST", function(r) return r.host or "-" end },
  })
  print()
  emit(stats, {
    { "JOB", function(r) return r.job end },
    { "RUNS", function(r) return r.runs end },
    { "SUCCESS", function(r) return r.success_rate and ("%.1f%%"):format(r.success_rate * 100) or "-" end },
    { "FAILURES", function(r) return r.failures end },
    { "MTTR", function(r) return span(r.mttr) end },
    { "MTBF", function(r) return span(r.mtbf) end },
    { "NOW", function(r) return r.failing and "failing" or (r.last or "-") end },
  })
  -- the plan's targets (§9), cited as such only for the built-in homelab
  local plan = lab.inventory.summary().file == "(built-in homelab)" and ", §9" or ""
  print("\nMTTR: start of a failure to the end of the next good run (target < 30m" .. plan .. ");"
    .. " MTBF: good operation between failures (target > 30d).")
end

-- Kubernetes: the run history of a pod lives only in the Pushgateway.
local function export_kubernetes(dir)
  if not (lab.inventory.current().monitoring or {}).pushgateway then
    io.stderr:write("jobs: note: the inventory has no monitoring.pushgateway:"
      .. " runs in the cluster will leave no history outside their pods\n")
  end
  local written = require("labsh.kubernetes_jobs").export(dir,
    { image = opts.image, secret = opts.secret, namespace = opts.namespace })
  for _, path in ipairs(written) do print(path) end
end

function commands.export()
  local chosen = (opts.crontab and 1 or 0) + (opts.systemd and 1 or 0) + (opts.kubernetes and 1 or 0)
  if chosen > 1 then cli.usage_error(PARAMS, "export: one of --crontab, --systemd DIR, --kubernetes DIR") end
  if opts.crontab then
    io.write(job.crontab())
  elseif opts.systemd then
    for _, path in ipairs(job.systemd(opts.systemd)) do print(path) end
  elseif opts.kubernetes then
    export_kubernetes(opts.kubernetes)
  else
    cli.usage_error(PARAMS, "export what? --crontab, --systemd DIR or --kubernetes DIR")
  end
end

-- `run` ends with the run's own status: it names broken files first.
if opts.command == "run" then name_broken(false) end
commands[opts.command]()
if opts.command ~= "run" and opts.command ~= "exec" then
  name_broken(opts.command == "list" or opts.command == "export"
    or ((opts.command == "next" or opts.command == "history") and not opts.name))
end
os.exit(exit_status, true)
