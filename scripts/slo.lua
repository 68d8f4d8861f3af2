-- slo: availability objectives measured from the services' probes.
--
--   labsh -m slo [--prometheus URL] [--window 30d]
--   labsh --format json -m slo ...
--
-- Per tier and per probed service: attainment over the window (the share of
-- blackbox probes that succeeded, probe_success from Prometheus: run
-- `labsh -m gen blackbox` to set the probes up), the error budget left and
-- the burn rates over 5m, 1h, 6h and 3d (1.0 spends exactly the budget over
-- the window; the paging alerts fire at 14.4 over 1h and 6 over 6h).
-- One query per window for all services (lab.slo.report).
--
-- After each run the verdict is published for Prometheus as
-- labsh_check_status{check="service-degraded"} (textfile collector or
-- Pushgateway, as the inventory's monitoring section says): CRITICAL (2)
-- when a tier 2-3 service has overspent its budget or burns 6x or faster
-- over the last hour, WARNING (1) when one burns faster than 1x over 6h,
-- UNKNOWN (3) when no probed service has data, else OK (0).
--
-- Without a Prometheus (none given, none in the inventory) it says "not
-- configured" and exits 0: nothing was measured, nothing failed; nothing is
-- published.
--
-- Exit status: 0 the report was printed (or not configured), 1 a query
-- failed, 2 usage.

local check_status = require "labsh.check_status"

local function stop(status, reason, code)
  if lab.options.format == "json" then
    print(lab.json.encode { status = status, reason = reason })
  else
    print(("SLO %s: %s"):format(status, reason))
  end
  os.exit(code)
end

--- The service-degraded verdict: the worst tier 2-3 service decides.
local function degraded_status(rows)
  local status, measured = "OK", false
  for _, row in ipairs(rows) do
    if row.attainment then
      measured = true
      if row.tier >= 2 then
        if row.budget_left < 0 or (row.burn["1h"] or 0) >= 6 then return "CRITICAL" end
        if (row.burn["6h"] or 0) > 1 then status = "WARNING" end
      end
    end
  end
  return measured and status or "UNKNOWN"
end

local function percent(x) return x and ("%.3f%%"):format(x) or "no data" end
local function budget(row)
  if not row.budget_left then return "-" end
  return ("%.1f%% (%+.0f min)"):format(row.budget_left * 100, row.budget_left_seconds / 60)
end
local function burn(x) return x and ("%.2f"):format(x) or "-" end

local function print_report(report, status)
  print(("SLO window %s; service-degraded: %s"):format(report.window, status))
  print(("%-6s %-8s %-12s %-22s %s"):format("TIER", "SLO", "ATTAINED", "BUDGET LEFT", "SERVICES"))
  for _, t in ipairs(report.tiers) do
    print(("%-6d %-8s %-12s %-22s %d of %d measured"):format(t.tier, t.slo .. "%", percent(t.attainment), budget(t),
      t.measured, t.services))
  end
  print()
  print(("%-20s %-5s %-8s %-12s %-22s %-6s %-6s %-6s %s"):format("SERVICE", "TIER", "SLO", "ATTAINED", "BUDGET LEFT",
    "5m", "1h", "6h", "3d"))
  for _, s in ipairs(report.services) do
    print(("%-20s %-5d %-8s %-12s %-22s %-6s %-6s %-6s %s"):format(s.service, s.tier, s.slo .. "%",
      percent(s.attainment), budget(s), burn(s.burn["5m"]), burn(s.burn["1h"]), burn(s.burn["6h"]), burn(s.burn["3d"])))
  end
end

return labsh.script {
  name = "slo",
  description = "SLO attainment, error budget left and burn rates per service and tier, from probe_success",
  formats = { "text", "json" },
  params = {
    { "--prometheus", "URL", "the Prometheus to ask (default: the inventory's monitoring.prometheus)" },
    { "--window", "DURATION", "the SLO window, like 30d or 7d (default 30d)" },
  },
  exit = "0 report printed or not configured, 1 a query failed, 2 usage",
  requires = {
    -- the Prometheus asked, and where the verdict is published
    net = { "option:--prometheus", "monitoring:prometheus", "monitoring:pushgateway" },
    secrets = { "monitoring:prometheus", "monitoring:pushgateway" },
    files = { write = { "monitoring:textfile_dir" } },
    mutation = true,  -- publishing the verdict
  },
  run = function(ctx, opts)
    if opts.window and not opts.window:match("^%d+[smhdw]$") then
      ctx:usage_error("--window must be a duration like 30d, not " .. opts.window)
    end
    local monitoring = lab.inventory.current().monitoring
    if not opts.prometheus and not (monitoring and monitoring.prometheus) then
      stop("not configured", "no Prometheus: give --prometheus URL or set monitoring.prometheus in the inventory", 0)
    end

    local ok, report = pcall(lab.slo.report, { prometheus = opts.prometheus, window = opts.window })
    if not ok then
      io.stderr:write("slo: ", tostring(report), "\n")
      stop("error", tostring(report), 1)
    end

    local status = degraded_status(report.services)
    check_status.publish("service-degraded", status)

    if lab.options.format == "json" then
      report.status = status
      print(lab.json.encode(report))
      return
    end
    print_report(report, status)
  end,
}
