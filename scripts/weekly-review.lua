-- weekly-review: the weekly review of plan §12 as one page.
--
-- The weekly review cycle of plan §12 as one page:
-- monitoring (firing alerts), backup success and failures, security alerts
-- (critical ones), capacity trending, and the jobs' reliability.
--
--   labsh -m weekly-review [--backups SOURCE]
--   labsh --format json -m weekly-review
--
-- Each item says "not configured" when its source is missing. Exit status:
-- 0 no section critical or failed; 1 a section is critical or could not be
-- made; 2 usage.

local cli = require "labsh.cli"
local review = require "labsh.review"

local PARAMS = {
  name = "weekly-review",
  formats = { "text", "json" },
  summary = "the weekly review (§12): dashboards, backups, security alerts, capacity trending",
  params = {
    { "--backups", "SOURCE", "backup runs or restic snapshots as JSON (see lab.backup.check)" },
    { "--now", "TIME", "review as of TIME (Unix seconds or RFC 3339)", type = "time" },
  },
  exit = review.EXIT_TEXT,
}

-- §12 "Weekly": each item and the section that answers it.
local CHECKLIST = {
  { "Review monitoring dashboards", "alerts" },
  { "Check backup success/failures", "backups" },
  { "Review security alerts", "alerts" },
  { "Capacity trending", "capacity" },
  { "Job reliability (MTTR, MTBF)", "jobs" },
}

local opts = cli.parse({ ... }, PARAMS)
opts.now, opts.certs = opts.now or os.time(), {}
local report = review.build(opts, { "alerts", "backups", "capacity", "jobs" })
local by = {}
for _, s in ipairs(report.sections) do by[s.name] = s end
report.checklist = {}
for _, item in ipairs(CHECKLIST) do
  report.checklist[#report.checklist + 1] = { item = item[1], status = by[item[2]].status, section = item[2] }
end

if lab.options.format == "json" then
  print(lab.json.encode(report, { sort_keys = true }))
else
  print("Checklist (§12, weekly):")
  for _, c in ipairs(report.checklist) do print(("  [%s] %s (see %s)"):format(c.status, c.item, c.section)) end
  print()
  review.print(report, "Weekly review")
end
os.exit(review.exit_status(report), true)
