-- `labsh -m jobs export --kubernetes DIR` (issue 19): a batch/v1 CronJob
-- per job, checked by kubernetes-validate --strict (the schema) and by
-- labsh's own checks of what the schema leaves open (enum values, the
-- schedule); what Kubernetes cannot express is refused with the reason.

local filesystem = require "labsh.filesystem"
local kubernetes_jobs = require "labsh.kubernetes_jobs"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-jobs-kubernetes-spec")

local function validator_present()
  return os.execute("command -v kubernetes-validate >/dev/null 2>&1") == true
end
assert(validator_present(), "kubernetes-validate is not installed (make deps)")

-- A script path with job files of its own, beside the built-in homelab's jobs.
local function path_with(name, text)
  local path = tmp .. "/" .. name
  filesystem.make_directories(path .. "/jobs")
  write_file(path .. "/jobs/" .. name .. ".lua", text)
  return path
end

local function export(path, dir, ...)
  local env = { HOME = tmp, XDG_CONFIG_HOME = tmp .. "/config", LABSH_STATE_DIR = tmp .. "/state",
                LABSH_INVENTORY = "", LABSH_PATH = path }
  return lab.process.run { argv = { labsh, "-m", "jobs", "export", "--kubernetes", dir, ... }, env = env, timeout = 120 }
end

local function validate(file)
  local r = lab.process.run { argv = { "kubernetes-validate", "--strict", file }, timeout = 120 }
  return r.status, r.stdout .. r.stderr
end

local function read_json(file) return lab.json.decode(require("labsh.files").read(file)) end

local good = path_with("good", [[
lab.job { name = "nightly_sync", schedule = "30 2 * * 1-5", tz = "UTC", overlap = "kill", retries = 2,
          timeout = "45m", catch_up = "none",
          run = { "check-backups", "restic", "s3:backups", "--password", "env:RESTIC_PASSWORD" } }
lab.job { name = "manual-only", run = "demo" }
]])

test("export --kubernetes writes a CronJob per scheduled job that kubernetes-validate --strict accepts", function()
  local dir = tmp .. "/out"
  local r = export(good, dir)
  assert_eq(r.status, 0, r.stderr)
  assert(r.stderr:find("no monitoring.pushgateway", 1, true), "no note that the runs leave no history: " .. r.stderr)
  local written = {}
  for line in r.stdout:gmatch("[^\n]+") do written[#written + 1] = line end
  assert_eq(#written, 8, r.stdout)  -- the built-in homelab's seven and nightly_sync; manual-only has no schedule
  for _, file in ipairs(written) do
    local status, out = validate(file)
    assert_eq(status, 0, out)
    assert_same(kubernetes_jobs.check(read_json(file)), {}, file)
  end
end)

test("the CronJob carries the job's schedule, zone, overlap, catch-up, timeout, retries, secrets and history limits", function()
  local dir = tmp .. "/fields"
  assert_eq(export(good, dir).status, 0)
  local cronjob = read_json(dir .. "/labsh-nightly-sync.json")
  assert_eq(cronjob.apiVersion, "batch/v1")
  assert_eq(cronjob.kind, "CronJob")
  local spec = cronjob.spec
  assert_eq(spec.schedule, "30 2 * * 1-5")
  assert_eq(spec.timeZone, "UTC")
  assert_eq(spec.concurrencyPolicy, "Replace")            -- overlap = "kill"
  assert_eq(spec.startingDeadlineSeconds, 60)             -- catch_up = "none"
  assert_eq(spec.successfulJobsHistoryLimit, 3)
  assert_eq(spec.failedJobsHistoryLimit, 5)
  local job_spec = spec.jobTemplate.spec
  assert_eq(job_spec.activeDeadlineSeconds, 45 * 60)
  assert_eq(job_spec.backoffLimit, 2)
  local container = job_spec.template.spec.containers[1]
  assert_same(container.command, { "labsh", "--yes", "-m", "jobs", "run", "nightly_sync", "--once" })
  local secret
  for _, e in ipairs(container.env) do
    if e.name == "RESTIC_PASSWORD" then secret = e.valueFrom.secretKeyRef end
  end
  assert_same(secret, { name = "labsh-secrets", key = "RESTIC_PASSWORD" })
  -- the built-in homelab's jobs: site.timezone, overlap skip, catch_up last
  local daily = read_json(dir .. "/labsh-daily-report.json").spec
  assert_eq(daily.timeZone, "Europe/Berlin")
  assert_eq(daily.concurrencyPolicy, "Forbid")
  assert_eq(daily.startingDeadlineSeconds, 86400)         -- until the next daily run
end)

test("a misspelt field is caught by kubernetes-validate; an invalid policy or schedule by labsh's check", function()
  local dir = tmp .. "/broken"
  assert_eq(export(good, dir).status, 0)
  local file = dir .. "/labsh-nightly-sync.json"
  local cronjob = read_json(file)

  local misspelt = lab.json.decode(lab.json.encode(cronjob))
  misspelt.spec.concurencyPolicy, misspelt.spec.concurrencyPolicy = misspelt.spec.concurrencyPolicy, nil
  write_file(dir .. "/misspelt.json", lab.json.encode(misspelt))
  local status, out = validate(dir .. "/misspelt.json")
  assert(status ~= 0, "kubernetes-validate --strict let a misspelt field through: " .. out)

  local bad_policy = lab.json.decode(lab.json.encode(cronjob))
  bad_policy.spec.concurrencyPolicy = "Sometimes"
  write_file(dir .. "/policy.json", lab.json.encode(bad_policy))
  assert_eq(validate(dir .. "/policy.json"), 0)           -- the schema types it only as a string
  local problems = kubernetes_jobs.check(bad_policy)
  assert_eq(#problems, 1)
  assert(problems[1]:find("concurrencyPolicy", 1, true), problems[1])

  local bad_schedule = lab.json.decode(lab.json.encode(cronjob))
  bad_schedule.spec.schedule = "every tuesday"
  bad_schedule.spec.jobTemplate.spec.template.spec.restartPolicy = "Always"
  problems = kubernetes_jobs.check(bad_schedule)
  assert_eq(#problems, 2, table.concat(problems, "; "))
end)

test("what Kubernetes cannot express is refused with the reason, and nothing is written", function()
  local cases = {
    { 'lab.job { name = "weekdays", schedule = "Mon..Fri 02:00", run = "demo" }', "OnCalendar" },
    { 'lab.job { name = "queued", schedule = "0 * * * *", overlap = "queue", run = "demo" }', "no queue" },
    { 'lab.job { name = "every-miss", schedule = "0 * * * *", catch_up = "all", run = "demo" }', 'catch_up "all"' },
    { 'lab.job { name = "sundays", schedule = "0 3 * * 7", run = "demo" }', "Sunday as 0" },
  }
  for i, case in ipairs(cases) do
    local dir = tmp .. "/refused-out" .. i
    local r = export(path_with("refused" .. i, case[1] .. "\n"), dir)
    assert_eq(r.status, 1, case[1] .. ": " .. r.stdout .. r.stderr)
    assert(r.stderr:find(case[2], 1, true), case[1] .. ": " .. r.stderr)
    assert_same(filesystem.list(dir) or {}, {}, case[1] .. ": files were written")
  end
end)

test("export takes one of --crontab, --systemd DIR and --kubernetes DIR", function()
  local r = export(good, tmp .. "/both", "--crontab")
  assert_eq(r.status, 2)
end)

test("the CronJob's command pushes the run's history to the Pushgateway (no jobs.db outlives a pod)", function()
  local gateway = os.getenv("LABSH_TEST_PUSHGATEWAY")
  assert(gateway and gateway ~= "", "LABSH_TEST_PUSHGATEWAY is not set: run with Tests/run-with-servers.sh")
  local inventory = tmp .. "/pushing.lua"
  write_file(inventory, ("local inv = (function() %s end)()\ninv.monitoring = { pushgateway = %q }\nreturn inv\n")
    :format(require("labsh.host").embedded("stdlib/labsh/homelab.lua"), gateway))
  local path = path_with("pushed", 'lab.job { name = "pod-run", schedule = "0 4 * * *", run = function() end }\n')
  local env = { HOME = tmp, XDG_CONFIG_HOME = tmp .. "/config", LABSH_INVENTORY = inventory, LABSH_PATH = path,
                LABSH_STATE_DIR = tmp .. "/pod-state" }
  local dir = tmp .. "/pushed-out"
  local r = lab.process.run { argv = { labsh, "-m", "jobs", "export", "--kubernetes", dir }, env = env, timeout = 120 }
  assert_eq(r.status, 0, r.stderr)
  assert(not r.stderr:find("no monitoring.pushgateway", 1, true), r.stderr)
  -- the pod's command, with this labsh for the image's
  local command = read_json(dir .. "/labsh-pod-run.json").spec.jobTemplate.spec.template.spec.containers[1].command
  command[1] = labsh
  r = lab.process.run { argv = command, env = env, timeout = 120 }
  assert_eq(r.status, 0, r.stderr)
  local metrics = lab.process.run { argv = { "python3", "-c",
    "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1] + '/metrics').read().decode())",
    gateway }, timeout = 60 }
  assert_eq(metrics.status, 0, metrics.stderr)
  local line = metrics.stdout:match("\n(labsh_job_success{[^\n]*job_name=\"pod%-run\"[^\n]*)")
  assert(line, "no labsh_job_success for pod-run on the Pushgateway")
  assert(line:find("} 1$"), line)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
