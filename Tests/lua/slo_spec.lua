-- SLOs from blackbox probes: the multiwindow, multi-burn-rate alerts that
-- `gen prometheus-rules` adds per tier, unit-tested by `promtool test rules`
-- (each fires at its burn and not below); lab.slo.report() and `labsh -m slo`
-- against 30 days of synthetic probe_success backfilled into a Prometheus
-- this spec starts, compared with plain arithmetic on the same samples.

local probe = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/probe_support.lua")
local labsh = os.getenv("LABSH_BIN") or arg[-1]

-- Three tiers, one probed service each; tier 2 at 99% (budget 1%).
local INVENTORY = probe.homelab([[
    { name = "alpha", tier = 1, slo = 99.5, runs_on = "hv1", vlan = 10, probe = { kind = "tcp", target = "127.0.0.1:1" } },
    { name = "beta",  tier = 2, slo = 99,   runs_on = "hv1", vlan = 10, probe = { kind = "tcp", target = "127.0.0.1:2" } },
    { name = "gamma", tier = 3, slo = 95,   runs_on = "hv1", vlan = 10, probe = { kind = "tcp", target = "127.0.0.1:3" } },
    { name = "delta", tier = 3, slo = 95,   runs_on = "hv1", vlan = 10 },
]])

----------------------------------------------------------------------------
-- Burn-rate alerts under promtool test rules

local ALERTS = {  -- alertname -> labels and summary for tier 2 at 99%
  SloBurnRateFast = { severity = "P1", response = "immediate", window = "14.4x over 1h and 5m" },
  SloBurnRateSlow = { severity = "P1", response = "immediate", window = "6.0x over 6h and 30m" },
  SloBurnRateTicket = { severity = "P3", response = "4h", window = "1.0x over 3d and 6h" },
}
local ORDER = { "SloBurnRateFast", "SloBurnRateSlow", "SloBurnRateTicket" }

-- One promtool test: tier 2's service with `values` (1-minute samples of
-- probe_success), evaluated after 3 days 10 minutes; `firing` the alerts
-- expected.
local function burn_case(values, firing)
  local want = {}
  for _, name in ipairs(firing) do want[name] = true end
  local lines = {
    "  - interval: 1m",
    "    input_series:",
    "      - series: 'probe_success{service=\"beta\",tier=\"2\",job=\"blackbox-tcp\"}'",
    "        values: '" .. values .. "'",
    "    alert_rule_test:",
  }
  for _, name in ipairs(ORDER) do
    local a = ALERTS[name]
    lines[#lines + 1] = "      - eval_time: 3d10m"
    lines[#lines + 1] = "        alertname: " .. name
    if want[name] then
      lines[#lines + 1] = "        exp_alerts:"
      lines[#lines + 1] = ("          - exp_labels: {service: beta, tier: \"2\", severity: %s, response: %q, slo_window: %s, slo: \"99\"}")
        :format(a.severity, a.response, name:match("SloBurnRate(%a+)"):lower())
      lines[#lines + 1] = ("            exp_annotations: {summary: \"Tier 2 service spends its 99%% error budget at %s\"}"):format(a.window)
    else
      lines[#lines + 1] = "        exp_alerts: []"
    end
  end
  return table.concat(lines, "\n")
end

-- probe_success held at 1 - burn x the 1% budget for 3 days 10 minutes.
local function constant_burn(burn)
  return ("%.6f+0x4330"):format(1 - burn * 0.01)
end

test("gen prometheus-rules: burn-rate alerts per tier; each fires at its burn and not below (promtool test rules)", function()
  local dir = probe.temp_dir()
  local inv = write_temp(INVENTORY)
  local rules = probe.must_run { labsh, "--inventory", inv, "-m", "gen", "prometheus-rules" }.stdout
  write_file(dir .. "/rules.yml", rules)
  probe.must_run { "promtool", "check", "rules", dir .. "/rules.yml" }
  for tier = 1, 3 do assert(rules:find('name: "labsh-slo-tier' .. tier .. '"', 1, true), "tier " .. tier) end
  local cases = {
    burn_case(constant_burn(15.1), { "SloBurnRateFast", "SloBurnRateSlow", "SloBurnRateTicket" }),
    burn_case(constant_burn(13.7), { "SloBurnRateSlow", "SloBurnRateTicket" }),
    burn_case(constant_burn(6.3), { "SloBurnRateSlow", "SloBurnRateTicket" }),
    burn_case(constant_burn(5.7), { "SloBurnRateTicket" }),
    burn_case(constant_burn(1.05), { "SloBurnRateTicket" }),
    burn_case(constant_burn(0.95), {}),
    -- 20x for three days, then 10 clean minutes: the 5-minute window has
    -- recovered, so the fast alert stops; the 30-minute one still burns.
    burn_case("0.8+0x4319 1+0x10", { "SloBurnRateSlow", "SloBurnRateTicket" }),
  }
  write_file(dir .. "/test.yml", "rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n"
    .. table.concat(cases, "\n") .. "\n")
  local r = lab.process.run { argv = { "sh", "-c", "cd '" .. dir .. "' && promtool test rules test.yml" } }
  assert_eq(r.status, 0, r.stdout .. r.stderr)
end)

----------------------------------------------------------------------------
-- Attainment against history: 30 days backfilled, compared with arithmetic

local MINUTE, DAY = 60, 86400
local SAMPLES = 30 * DAY // MINUTE

-- Whether service `name`'s probe k minutes before the end succeeded: a
-- deterministic pattern per service (a steady failure rate, an outage, a
-- recent burst), so every window sees a different share.
local PATTERNS = {
  alpha = function(k) return not (k % 211 == 0 or (k >= 10 * 1440 and k < 10 * 1440 + 90)) end,
  beta = function(k) return not ((k * 7919) % 1000 < 8 or k < 20) end,
  gamma = function(k) return not ((k * 104729) % 100 < 3 or (k >= 200 and k < 560)) end,
}
local TIERS = { alpha = "1", beta = "2", gamma = "3" }
local OBJECTIVES = { alpha = 99.5, beta = 99, gamma = 95 }

-- Sample k (0 = newest) sits 30 s off the minute, so no window of whole
-- minutes ending at `at` has a sample on its edge.
local function sample_time(at, k) return at - k * MINUTE - 30 end

local function openmetrics(at)
  local lines = { "# HELP probe_success Whether the probe succeeded", "# TYPE probe_success gauge" }
  for _, name in ipairs { "alpha", "beta", "gamma" } do
    for k = SAMPLES - 1, 0, -1 do
      lines[#lines + 1] = ('probe_success{job="blackbox-tcp",service="%s",tier="%s"} %d %d')
        :format(name, TIERS[name], PATTERNS[name](k) and 1 or 0, sample_time(at, k))
    end
  end
  lines[#lines + 1] = "# EOF"
  return table.concat(lines, "\n") .. "\n"
end

-- The share of successful probes of `name` in the last `seconds` before `at`.
local function success_share(name, seconds)
  local ok, total = 0, 0
  for k = 0, SAMPLES - 1 do
    if k * MINUTE + 30 < seconds then
      total = total + 1
      if PATTERNS[name](k) then ok = ok + 1 end
    end
  end
  return ok / total
end

local function near(actual, expected, what)
  assert(actual and math.abs(actual - expected) < 1e-9 * math.max(1, math.abs(expected)),
    ("%s: expected %.12g, got %s"):format(what, expected, tostring(actual)))
end

-- How many instant queries Prometheus has answered (its own /metrics).
local function queries_answered(prom)
  local text = lab.http.get(prom.url .. "/metrics").body
  local total = 0
  for n in text:gmatch('prometheus_http_requests_total{code="%d+",handler="/api/v1/query"} (%d+)') do
    total = total + tonumber(n)
  end
  return total
end

-- A Prometheus of this spec's own, with 30 days of probe_success.
local function with_history(fn)
  local dir = probe.temp_dir()
  local at = (os.time() // MINUTE) * MINUTE - 5 * MINUTE
  write_file(dir .. "/history.om", openmetrics(at))
  probe.must_run { "promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h",
    dir .. "/history.om", dir .. "/data" }
  local prom = probe.prometheus(dir, "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
    { "--storage.tsdb.retention.time=60d" })
  probe.with_servers({ prom }, function() fn(prom, at) end)
end

test("lab.slo.report over 30 days of backfilled probe_success matches plain arithmetic on the samples", function()
  with_history(function(prom, at)
    with_inventory(INVENTORY, function()
      local before = queries_answered(prom)
      local report = lab.slo.report { prometheus = prom.url, time = at }
      -- one query per window (30d, 5m, 1h, 6h, 3d) for all services
      assert_eq(queries_answered(prom) - before, 5, "queries for 3 services")
      assert_eq(report.window, "30d")
      assert_eq(#report.services, 3, "delta has no probe")
      for _, row in ipairs(report.services) do
        local name, objective = row.service, OBJECTIVES[row.service]
        local share = success_share(name, 30 * DAY)
        local budget = 1 - objective / 100
        near(row.attainment, share * 100, name .. " attainment")
        near(row.budget_seconds, budget * 30 * DAY, name .. " budget")
        near(row.budget_left, (budget - (1 - share)) / budget, name .. " budget left")
        near(row.budget_left_seconds, (budget - (1 - share)) * 30 * DAY, name .. " budget left seconds")
        assert_eq(row.met, share * 100 >= objective, name .. " met")
        for _, w in ipairs { { "5m", 300 }, { "1h", 3600 }, { "6h", 6 * 3600 }, { "3d", 3 * DAY } } do
          near(row.burn[w[1]], (1 - success_share(name, w[2])) / budget, name .. " burn " .. w[1])
        end
      end
      for _, tier in ipairs(report.tiers) do
        local name = ({ "alpha", "beta", "gamma" })[tier.tier]
        near(tier.attainment, success_share(name, 30 * DAY) * 100, "tier " .. tier.tier)
        assert_eq(tier.services, 1)
      end
    end)
  end)
end)

test("labsh -m slo: the report as JSON and text; service-degraded published to the textfile collector", function()
  with_history(function(prom, at)
    local dir = probe.temp_dir()
    local inv = write_temp(INVENTORY:gsub("\n}\n$", ("\n  monitoring = { textfile_dir = %q },\n}\n"):format(dir)))
    local r = probe.must_run { labsh, "--inventory", inv, "--format", "json", "-m", "slo", "--prometheus", prom.url }
    local report = lab.json.decode(r.stdout)
    assert_eq(#report.services, 3)
    -- beta (tier 2) failed its last 20 probes: 1h burn (20/60)/0.01 = 33x, CRITICAL
    assert_eq(report.status, "CRITICAL")
    local published = read_file(dir .. "/labsh-check-service-degraded.prom")
    assert(published and published:find('labsh_check_status{check="service-degraded"} 2', 1, true), tostring(published))
    r = probe.must_run { labsh, "--inventory", inv, "-m", "slo", "--prometheus", prom.url }
    assert(r.stdout:find("service-degraded: CRITICAL", 1, true), r.stdout)
    assert(r.stdout:find("\nbeta ", 1, true), r.stdout)
  end)
end)

test("lab.slo(x) is still the error budget of a target; lab.slo.report without a Prometheus says so", function()
  assert_eq(lab.slo(99.5).seconds, 12960)
  with_inventory(INVENTORY, function()
    local ok, err = pcall(lab.slo.report)
    assert(not ok and tostring(err):find("no Prometheus", 1, true), tostring(err))
  end)
end)

test("labsh -m slo without a Prometheus: not configured, exit 0; an unreachable one: exit 1, JSON either way", function()
  local inv = write_temp(INVENTORY)
  local r = lab.process.run { argv = { labsh, "--inventory", inv, "--format", "json", "-m", "slo" } }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(lab.json.decode(r.stdout).status, "not configured")
  r = lab.process.run { argv = { labsh, "--inventory", inv, "--format", "json", "-m", "slo",
    "--prometheus", "http://127.0.0.1:" .. probe.free_port() } }
  assert_eq(r.status, 1, r.stdout)
  assert_eq(lab.json.decode(r.stdout).status, "error")
end)
