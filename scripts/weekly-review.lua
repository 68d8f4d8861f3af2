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

local review = require "labsh.review"

local CYCLE = {
  period = "weekly",
  summary = "the weekly review (§12): dashboards, backups, security alerts, capacity trending",
  params = { { "--backups", "SOURCE", "backup runs or restic snapshots as JSON (see lab.backup.check)" } },
  sections = { "alerts", "backups", "capacity", "jobs" },
  -- §12 "Weekly": each item and the section that answers it.
  checklist = {
    { "Review monitoring dashboards", "alerts" },
    { "Check backup success/failures", "backups" },
    { "Review security alerts", "alerts" },
    { "Capacity trending", "capacity" },
    { "Job reliability (MTTR, MTBF)", "jobs" },
  },
}

return labsh.script {
  name = "weekly-review",
  description = CYCLE.summary,
  formats = { "text", "json" },
  params = review.cycle_params(CYCLE),
  exit = review.EXIT_TEXT,
  requires = {
    net = { "monitoring:prometheus" },           -- firing alerts, capacity trending
    secrets = { "monitoring:prometheus" },
    files = { read = { "option:--backups" } },   -- the backup runs given
  },
  run = function(_, opts) review.report_cycle(opts, CYCLE) end,
}
