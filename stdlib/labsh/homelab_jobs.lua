-- The built-in homelab's jobs: the plan's schedules, as the `jobs` section
-- of an inventory (stdlib/meta/inventory.d.lua, lab.JobSpec). labsh reads
-- them for the built-in homelab only (lab.inventory.jobs); they stay out of
-- homelab.lua, which is validated as an inventory model.
--
-- §5.1, §5.2 and §12: the plan's schedules as jobs (`labsh -m jobs list`;
-- one crontab line `* * * * * labsh -m jobs run-due` runs them, or
-- `labsh -m jobs export --systemd DIR` / `--kubernetes DIR`). They name
-- scripts only, never a host, role, VLAN or zone, so any homelab can keep
-- them. A section whose data source is not configured yet (no --backups
-- source, no --cert endpoint, no monitoring.prometheus, no restic
-- repository) says "not configured" and exits 0: the run is "ok" and
-- honest; add the source in your copy and the same job starts checking.
-- assumption: every time of day below (the plan names only the cycle).
return {
  -- §5.2 "P4: review daily": the daily operations report.
  { name = "daily-report", schedule = "0 7 * * *", run = "report", timeout = "15m",
    description = "The daily operations report (§5.2, §12)" },
  -- §5.1: the most frequent backup in the table is hourly; check as often.
  { name = "backup-check", schedule = "30 * * * *", run = { "report", "--section", "backups" },
    timeout = "10m", description = "Backups against the schedule, RPO and 3-2-1 (§5.1)" },
  -- §5.2 and §6: the services' probes and SLOs as Prometheus sees them.
  -- Attainment, error budget and burn rates per service from the probes
  -- blackbox_exporter runs (labsh -m gen blackbox); publishes
  -- labsh_check_status{check="service-degraded"}.
  { name = "service-probes", schedule = "*/5 * * * *", run = "slo",
    timeout = "2m", catch_up = "none", description = "SLO attainment and burn rates from the probes (§5.2, §6)" },
  -- §5.2: certificate expiry (P2 under 7 days, P3 under 30).
  { name = "certificate-expiry", schedule = "0 6 * * *", run = { "report", "--section", "certificates" },
    timeout = "10m", description = "TLS certificate expiry (§5.2: P2 < 7 d, P3 < 30 d)" },
  -- §12 "Weekly" and "Monthly" review cycles.
  { name = "weekly-review", schedule = "0 9 * * 1", run = "weekly-review", timeout = "30m",
    description = "The weekly review (§12)" },
  { name = "monthly-review", schedule = "0 9 1 * *", run = "monthly-review", timeout = "30m",
    description = "The monthly review (§12)" },
  -- §12 "Quarterly: DR test execution": restore the newest backup and verify
  -- it. Name the repository in your copy: { "backup-drill", "s3:...", ... }.
  { name = "restore-drill", schedule = "0 10 1 1,4,7,10 *", run = { "backup-drill", "--if-configured" },
    timeout = "4h", description = "The quarterly restore drill (§12, §5.1)" },
}
