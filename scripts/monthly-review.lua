-- monthly-review: the monthly review of plan §12 as one page.
--
-- The monthly review cycle of plan §12: patch management,
-- the capacity planning update (headroom now and in 12 months at the
-- inventory's growth rates), budget, documentation.
--
--   labsh -m monthly-review
--   labsh --format json -m monthly-review
--
-- Each item says "not configured" when its source is missing. Exit status:
-- 0 no section critical or failed; 1 a section is critical or could not be
-- made; 2 usage.

local cli = require "labsh.cli"
local review = require "labsh.review"

local PARAMS = {
  name = "monthly-review",
  formats = { "text", "json" },
  summary = "the monthly review (§12): patches, capacity planning, budget, documentation",
  params = {
    { "--now", "TIME", "review as of TIME (Unix seconds or RFC 3339)", type = "time" },
  },
  exit = review.EXIT_TEXT,
}

local CHECKLIST = {
  { "Patch management review", "patches" },
  { "Capacity planning update", "growth" },
  { "Budget review", "budget" },
  { "Documentation updates", nil },  -- a person's task: runbooks and docs in git
}

local opts = cli.parse({ ... }, PARAMS)
opts.now, opts.certs = opts.now or os.time(), {}
local report = review.build(opts, { "patches", "capacity", "growth", "budget" })
local by = {}
for _, s in ipairs(report.sections) do by[s.name] = s end
report.checklist = {}
for _, item in ipairs(CHECKLIST) do
  report.checklist[#report.checklist + 1] = {
    item = item[1], section = item[2] or lab.json.null,
    status = item[2] and by[item[2]].status or "by hand",
  }
end

if lab.options.format == "json" then
  print(lab.json.encode(report, { sort_keys = true }))
else
  print("Checklist (§12, monthly):")
  for _, c in ipairs(report.checklist) do
    print(("  [%s] %s%s"):format(c.status, c.item, c.section ~= lab.json.null and (" (see " .. c.section .. ")") or ""))
  end
  print()
  review.print(report, "Monthly review")
end
os.exit(review.exit_status(report), true)
