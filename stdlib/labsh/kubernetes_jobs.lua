-- labsh.kubernetes_jobs: the scheduled jobs as Kubernetes CronJobs
-- (`labsh -m jobs export --kubernetes DIR`), for a homelab's own cluster.
--
-- One batch/v1 CronJob per scheduled job, written as JSON (which kubectl
-- and every YAML reader accept) to DIR/labsh-NAME.json:
--   schedule, timeZone          the job's cron expression and zone
--   concurrencyPolicy           overlap "skip" -> Forbid, "kill" -> Replace
--   startingDeadlineSeconds     catch_up "none" -> 60 s; "last" -> until the
--                               next fire time (a missed run still runs once)
--   activeDeadlineSeconds       the job's timeout
--   backoffLimit                the job's retries (Kubernetes retries, so the
--                               pod runs `jobs run NAME --once`)
--   env from secretKeyRef       every env:NAME reference of the job's
--                               arguments and the inventory's connections
--   history limits              3 succeeded, 5 failed Jobs kept
-- What Kubernetes cannot say is refused with the reason: an OnCalendar
-- schedule, overlap "queue", catch_up "all". The schedule is judged by the
-- Swift schedule module (lab.schedule), never by a second parser here.
-- The run history goes to the Pushgateway (monitoring.pushgateway): a pod
-- has no jobs.db that outlives it.

local job = lab.job
local native_schedule = require "labsh.schedule"

local kubernetes_jobs = {}

local DEADLINE_ON_TIME = 60          -- catch_up "none": start within a minute or not at all
local SUCCEEDED_KEPT, FAILED_KEPT = 3, 5
local STATE_DIR = "/var/lib/labsh"   -- an emptyDir: the pod's own lock and history

local function refuse(j, why) error(("job %s: %s"):format(j.name, why), 0) end

-- A CronJob's name: a DNS label of at most 52 characters (Kubernetes adds
-- 11 for the Jobs it creates).
local function object_name(j)
  local name = "labsh-" .. j.name:lower():gsub("[_.]", "-")
  if #name > 52 or not name:match("^[a-z0-9][-a-z0-9]*[a-z0-9]$") then
    refuse(j, ("its CronJob name %q is not a DNS label of at most 52 characters"):format(name))
  end
  return name
end

-- The schedule as Kubernetes reads it: cron only; Sunday is 0 there (its
-- parser takes days of week 0-6, where Vixie cron also takes 7).
local function cron_schedule(j)
  if native_schedule.kind(j.schedule) ~= "cron" then
    refuse(j, ("schedule %q is a systemd OnCalendar expression: a CronJob takes cron only,"
      .. " write it as cron (e.g. \"0 2 * * 6\")"):format(j.schedule))
  end
  local day_of_week = select(5, j.schedule:match("^%s*(%S+)%s+(%S+)%s+(%S+)%s+(%S+)%s+(%S+)%s*$"))
  if day_of_week and day_of_week:find("%f[%w]7%f[%W]") then
    refuse(j, ("schedule %q: Kubernetes reads Sunday as 0 only, not 7"):format(j.schedule))
  end
  return j.schedule
end

local CONCURRENCY = { skip = "Forbid", kill = "Replace" }

local function concurrency_policy(j)
  local policy = CONCURRENCY[j.overlap]
  if not policy then
    refuse(j, ("overlap %q: Kubernetes has no queue (Forbid skips a run, Allow overlaps it)"):format(j.overlap))
  end
  return policy
end

local function starting_deadline(j)
  if j.catch_up == "none" then return DEADLINE_ON_TIME end
  if j.catch_up == "all" then
    refuse(j, 'catch_up "all": Kubernetes runs at most the latest missed time (use "last" or "none")')
  end
  local times = job.next(j.name, 2)
  return math.max(DEADLINE_ON_TIME, times[2] - times[1])
end

-- env:NAME references in `value` (a string or nested tables), in order.
local function collect_references(value, into, seen)
  if type(value) == "string" then
    local name = value:match("^env:([A-Za-z_][A-Za-z0-9_]*)$")
    if name and not seen[name] then seen[name], into[#into + 1] = true, name end
  elseif type(value) == "table" then
    local keys = {}
    for k in pairs(value) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do collect_references(value[k], into, seen) end
  end
end

-- The secrets a run needs: the job's own env: arguments, then those of the
-- inventory's connections (Prometheus, Pushgateway, SSH, Proxmox, alerting).
local function secret_names(j)
  local names, seen = {}, {}
  if type(j.run) == "table" then collect_references(j.run, names, seen) end
  local inventory = lab.inventory.current()
  for _, section in ipairs { "monitoring", "ssh", "proxmox", "alerting" } do
    collect_references(inventory[section], names, seen)
  end
  return names
end

--- The CronJob of scheduled job `j`, as a table. opts: image (the
--- container image holding labsh and the inventory), secret (the Secret
--- that holds the env: references), namespace.
function kubernetes_jobs.cronjob(j, opts)
  local env = { { name = "LABSH_STATE_DIR", value = STATE_DIR } }
  for _, name in ipairs(secret_names(j)) do
    env[#env + 1] = { name = name, valueFrom = { secretKeyRef = { name = opts.secret, key = name } } }
  end
  local pod = {
    restartPolicy = "Never",  -- a failed attempt is a new pod, counted by backoffLimit
    containers = { {
      name = "labsh",
      image = opts.image,
      command = { "labsh", "--yes", "-m", "jobs", "run", j.name, "--once" },
      env = env,
      volumeMounts = { { name = "state", mountPath = STATE_DIR } },
    } },
    volumes = { { name = "state", emptyDir = {} } },
  }
  local job_spec = { backoffLimit = j.retries, template = { spec = pod } }
  if j.timeout then job_spec.activeDeadlineSeconds = math.ceil(j.timeout) end
  local metadata = { name = object_name(j), labels = { ["app.kubernetes.io/managed-by"] = "labsh" } }
  if opts.namespace then metadata.namespace = opts.namespace end
  if j.description then metadata.annotations = { ["labsh/description"] = j.description } end
  return {
    apiVersion = "batch/v1",
    kind = "CronJob",
    metadata = metadata,
    spec = {
      schedule = cron_schedule(j),
      timeZone = job.zone(j),
      concurrencyPolicy = concurrency_policy(j),
      startingDeadlineSeconds = starting_deadline(j),
      successfulJobsHistoryLimit = SUCCEEDED_KEPT,
      failedJobsHistoryLimit = FAILED_KEPT,
      jobTemplate = { spec = job_spec },
    },
  }
end

-- What the schema validator (kubernetes-validate) leaves open: enum values
-- and the schedule, which it types only as strings.
local ENUMS = {
  concurrencyPolicy = { Allow = true, Forbid = true, Replace = true },
  restartPolicy = { Never = true, OnFailure = true },
}

--- The problems of a CronJob table that a schema cannot see: a
--- concurrencyPolicy or restartPolicy outside Kubernetes' values, a
--- schedule that is not cron, a negative count. Returns a list of
--- messages (empty when none).
function kubernetes_jobs.check(cronjob)
  local problems = {}
  local function problem(text) problems[#problems + 1] = text end
  local spec = cronjob.spec or {}
  if not ENUMS.concurrencyPolicy[spec.concurrencyPolicy or "Allow"] then
    problem(("spec.concurrencyPolicy %q: Allow, Forbid or Replace"):format(tostring(spec.concurrencyPolicy)))
  end
  local ok, kind = pcall(native_schedule.kind, tostring(spec.schedule))
  if not ok or kind ~= "cron" then
    problem(("spec.schedule %q: a cron expression"):format(tostring(spec.schedule)))
  end
  for _, field in ipairs { "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit" } do
    local n = spec[field]
    if n ~= nil and (math.type(n) ~= "integer" or n < 0) then problem(("spec.%s: a whole number >= 0"):format(field)) end
  end
  local job_spec = spec.jobTemplate and spec.jobTemplate.spec or {}
  if job_spec.backoffLimit ~= nil and (math.type(job_spec.backoffLimit) ~= "integer" or job_spec.backoffLimit < 0) then
    problem("spec.jobTemplate.spec.backoffLimit: a whole number >= 0")
  end
  local pod = job_spec.template and job_spec.template.spec or {}
  if not ENUMS.restartPolicy[pod.restartPolicy or ""] then
    problem(("spec.jobTemplate.spec.template.spec.restartPolicy %q: Never or OnFailure"):format(tostring(pod.restartPolicy)))
  end
  return problems
end

--- Writes DIR/labsh-NAME.json per scheduled job (with the safe writer, as
--- the systemd export does); returns the paths. Any job Kubernetes cannot
--- run as declared stops the export before a file is written.
function kubernetes_jobs.export(dir, opts)
  local files = require "labsh.files"
  local gate = require "labsh.gate"
  local documents, owner = {}, {}
  for _, j in ipairs(job.list()) do
    if j.schedule then
      local cronjob = kubernetes_jobs.cronjob(j, opts)
      local problems = kubernetes_jobs.check(cronjob)
      if #problems > 0 then refuse(j, table.concat(problems, "; ")) end
      local name = cronjob.metadata.name
      if owner[name] then refuse(j, ("its CronJob name %s is job %s's too"):format(name, owner[name])) end
      owner[name] = j.name
      documents[#documents + 1] = { name = name, cronjob = cronjob }
    end
  end
  require("labsh.filesystem").make_directories(dir)
  local written = {}
  for _, d in ipairs(documents) do
    local path = dir:gsub("/+$", "") .. "/" .. d.name .. ".json"
    if gate.allows("write " .. path) then
      local text = lab.json.encode(d.cronjob, { sort_keys = true, pretty = true }) .. "\n"
      local ok, why = files.write_atomically(path, text)
      if not ok then error(("cannot write %s: %s"):format(path, why), 0) end
      written[#written + 1] = path
    end
  end
  return written
end

return kubernetes_jobs
