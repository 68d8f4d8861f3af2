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
