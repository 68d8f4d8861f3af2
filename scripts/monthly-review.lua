-- monthly-review: the monthly review of plan §12 as one page.
--
-- The monthly review cycle of plan §12: patch management,
-- the capacity planning update (headroom now and in 12 months at the
-- inventory's growth rates), where the homelab stands on its roadmap
-- (§8), budget, documentation.
--
--   labsh -m monthly-review
--   labsh --format json -m monthly-review
--
-- Each item says "not configured" when its source is missing. Exit status:
-- 0 no section critical or failed; 1 a section is critical or could not be
-- made; 2 usage.

local review = require "labsh.review"

local CYCLE = {
  period = "monthly",
  summary = "the monthly review (§12): patches, capacity planning, roadmap, budget, documentation",
  sections = { "patches", "capacity", "growth", "roadmap", "budget" },
  -- §12 "Monthly": each item and the section that answers it.
  checklist = {
    { "Patch management review", "patches" },
    { "Capacity planning update", "growth" },
    { "Budget review", "budget" },
    { "Documentation updates" },  -- a person's task: runbooks and docs in git
  },
}

return labsh.script {
  name = "monthly-review",
  description = CYCLE.summary,
  formats = { "text", "json" },
  params = review.cycle_params(CYCLE),
  exit = review.EXIT_TEXT,
  requires = {
    net = { "monitoring:prometheus" },           -- pending patches
    secrets = { "monitoring:prometheus" },
  },
  run = function(_, opts) review.report_cycle(opts, CYCLE) end,
}
