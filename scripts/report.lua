-- report: the daily operations report (plan §5.2 "review daily", §9, §12).
--
--   labsh -m report                          the inventory labsh uses
--   labsh -m report --backups runs.json      with backup compliance from a source
--   labsh -m report --cert 127.0.0.1:8443    with the TLS expiry of an endpoint
--   labsh --format json -m report            the same data for machines
--   labsh -m report --section backups        only the sections named (a job
--                                            that checks one thing, e.g.)
--
-- Sections: inventory, policy, capacity, backups, alerts, certificates,
-- jobs. A section whose data source is not configured says so ("not
-- configured: ...") instead of failing, and a source that fails (Prometheus
-- down) makes its section "error" while the rest of the report still comes.
-- Exit status (cron and monitoring believe it): 0 no section critical or
-- failed; 1 a section is critical (a critical backup, a P1 alert firing) or
-- could not be made (error, unknown); 2 usage.

local review = require "labsh.review"

return labsh.script {
  name = "report",
  description = "the daily operations report (sections: " .. table.concat(review.DAILY, ", ") .. ")",
  formats = { "text", "json" },
  params = {
    { "--backups", "SOURCE", "backup runs or restic snapshots as JSON (see lab.backup.check)" },
    { "--cert", "HOST:PORT", "an endpoint whose TLS certificate expiry to report (repeatable)", multiple = true },
    { "--now", "TIME", "report as of TIME (Unix seconds or RFC 3339; default now)", type = "time" },
    { "--section", "NAME", "only this section (repeatable): " .. table.concat(review.DAILY, ", "), multiple = true },
  },
  exit = review.EXIT_TEXT,
  requires = {
    net = { "monitoring:prometheus" },           -- firing alerts, the catalogue's rules
    secrets = { "monitoring:prometheus" },
    files = { read = { "option:--backups" } },   -- the backup runs given
    commands = { "openssl" },                    -- a --cert endpoint's certificate
  },
  run = function(ctx, opts)
    opts.now = opts.now or os.time()
    opts.certs = opts.cert
    for _, name in ipairs(opts.section) do
      if not review.is_daily_section(name) then
        ctx:usage_error(("--section %s: one of %s"):format(name, table.concat(review.DAILY, ", ")))
      end
    end
    local report = review.build(opts, #opts.section > 0 and opts.section or nil)
    if lab.options.format == "json" then
      print(lab.json.encode(report, { sort_keys = true }))
    else
      review.print(report, "Daily operations report")
    end
    return review.exit_status(report)
  end,
}
