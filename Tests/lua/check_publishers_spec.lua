-- Every catalogue rule that waits on labsh_check_status has a labsh check
-- that publishes it, or says it has none (lab.alert.rules' publisher, a
-- comment in `gen prometheus-rules`, the live verdict's reason); and each
-- publishable check rule fires in the real Prometheus of the test harness
-- after its labsh check ran (check-backups, slo, the drift check `gen
-- --check`). Run with `make test`.

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")
local probe = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/probe_support.lua")
local labsh = os.getenv("LABSH_BIN") or arg[-1]

test("every check rule of the built-in catalogue names its publisher or 'none', and the rules file says so", function()
  local rules_text = lab.gen.prometheus_rules()
  local published, unpublished = 0, 0
  for _, rule in ipairs(lab.alert.rules()) do
    if rule.check then
      assert(rule.publisher, rule.name .. " has no publisher field")
      local comment = ('# no publisher in labsh: fires only when an external signal publishes labsh_check_status{check="%s"}\n'
        .. '      - alert: %s\n'):format(rule.check, rule.alertname)
      if rule.publisher == "none" then
        unpublished = unpublished + 1
        assert(rules_text:find(comment, 1, true), rule.name .. ": no comment in the rules file")
      else
        published = published + 1
        assert(rule.publisher:match("^labsh %-m [%w%-]+"), rule.publisher)
        assert(not rules_text:find(comment, 1, true), rule.name .. " is published, yet marked")
      end
    else
      assert_eq(rule.publisher, nil, rule.name .. ": Prometheus decides it")
    end
  end
  assert(published >= 2 and unpublished >= 1, ("%d published, %d not"):format(published, unpublished))
end)

----------------------------------------------------------------------------
-- Firing in the harness's Prometheus

-- An inventory whose catalogue holds only the publishable check rules,
-- under names of this run; its checks write to the harness's textfile
-- collector.
local function inventory(suffix, textfile_dir)
  return probe.homelab([[
    { name = "web", tier = 2, slo = 99, runs_on = "hv1", vlan = 10, probe = { kind = "tcp", target = "127.0.0.1:1" } },
  ]]):gsub("\n}\n$", ([[

  backups = {
    { name = "db", resource = "DB", schedule = "0 * * * *", retention = "7d", target = "nas", rpo = "1h" },
  },
  alerts = {
    { name = "backup-failed-%s", severity = "P2", check = "backup-failed", summary = "Backup job failure" },
    { name = "service-degraded-%s", severity = "P3", check = "service-degraded", summary = "Service degradation" },
    { name = "config-drift-%s", severity = "P4", check = "config-drift", summary = "Configuration drift" },
  },
  monitoring = { textfile_dir = %q },
}
]]):format(suffix, suffix, suffix, textfile_dir))
end

-- A Prometheus of this spec's own whose probe_success says the tier 2
-- service failed every probe of the last two hours.
local function failing_history(dir)
  local now = os.time()
  local lines = { "# TYPE probe_success gauge" }
  for k = 120, 1, -1 do
    lines[#lines + 1] = ('probe_success{service="web",tier="2"} 0 %d'):format(now - k * 60)
  end
  lines[#lines + 1] = "# EOF"
  write_file(dir .. "/history.om", table.concat(lines, "\n") .. "\n")
  probe.must_run { "promtool", "tsdb", "create-blocks-from", "openmetrics", dir .. "/history.om", dir .. "/data" }
  return probe.prometheus(dir, "global:\n  scrape_interval: 1m\nscrape_configs: []\n")
end

test("check-backups, slo and the drift check publish their status, and their rules fire in the real Prometheus", function()
  local prometheus = support.server("PROMETHEUS")
  local textfile_dir = support.server("TEXTFILE_DIR")
  local rules_dir = support.server("RULES_DIR")
  local suffix = ("%d%d"):format(lab.sys.pid(), math.random(1, 1 << 30))
  local inv = write_temp(inventory(suffix, textfile_dir))
  local dir = probe.temp_dir()
  local rules_file = rules_dir .. "/check_publishers_" .. suffix .. ".yml"
  local history = failing_history(dir)
  local ok, err = pcall(probe.with_servers, { history }, function()
    write_file(rules_file, probe.must_run { labsh, "--inventory", inv, "-m", "gen", "prometheus-rules" }.stdout)
    lab.http.post(prometheus .. "/-/reload")

    -- check-backups: the only run failed, CRITICAL
    local source = write_temp(lab.json.encode { db = { { time = os.time() - 600, ok = false } } })
    local r = lab.process.run { argv = { labsh, "--inventory", inv, "-m", "check-backups", "--source", source } }
    assert_eq(r.status, 2, r.stdout .. r.stderr)
    -- slo: the tier 2 service burns its budget, CRITICAL
    r = probe.must_run { labsh, "--inventory", inv, "-m", "slo", "--prometheus", history.url }
    assert(r.stdout:find("service-degraded: CRITICAL", 1, true), r.stdout)
    -- the drift check: the deployed blackbox.yml was edited by hand
    local deployed = dir .. "/deployed"
    require("labsh.filesystem").make_directories(deployed)
    probe.must_run { labsh, "--inventory", inv, "-m", "gen", "blackbox", "--out", deployed }
    assert_eq(lab.process.run { argv = { labsh, "--inventory", inv, "-m", "gen", "blackbox", "--out", deployed,
      "--check" } }.status, 0, "no drift right after generating")
    write_file(deployed .. "/blackbox.yml", read_file(deployed .. "/blackbox.yml") .. "# edited by hand\n")
    r = lab.process.run { argv = { labsh, "--inventory", inv, "-m", "gen", "blackbox", "--out", deployed, "--check" } }
    assert_eq(r.status, 1, r.stdout .. r.stderr)
    assert(r.stdout:find("drift " .. deployed .. "/blackbox.yml", 1, true), r.stdout)

    local client = lab.prom.connect { url = prometheus }
    for _, alertname in ipairs { "BackupFailed" .. suffix, "ServiceDegraded" .. suffix, "ConfigDrift" .. suffix } do
      support.eventually(alertname .. " firing", function()
        local firing = client:query(('ALERTS{alertname="%s",alertstate="firing"}'):format(alertname))
        return #firing == 1
      end, 30)
    end
  end)
  os.remove(rules_file)
  pcall(lab.http.post, prometheus .. "/-/reload")
  os.remove(textfile_dir .. "/labsh-check-backup-failed.prom")
  os.remove(textfile_dir .. "/labsh-check-service-degraded.prom")
  os.remove(textfile_dir .. "/labsh-check-config-drift.prom")
  if not ok then error(err, 0) end
end)

test("a Pushgateway that cannot be reached: check-backups still says CRITICAL (exit 2) and names the failed publish", function()
  local inv = write_temp(inventory("x", "/unused"):gsub("textfile_dir = \"/unused\"",
    ("pushgateway = \"http://127.0.0.1:%d\""):format(probe.free_port())))
  local source = write_temp(lab.json.encode { db = { { time = os.time() - 600, ok = false } } })
  local r = lab.process.run { argv = { labsh, "--inventory", inv, "-m", "check-backups", "--source", source } }
  assert_eq(r.status, 2, r.stdout .. r.stderr)
  assert(r.stdout:find("^BACKUPS CRITICAL"), r.stdout)
  assert(r.stderr:find('could not publish labsh_check_status{check="backup-failed"}', 1, true), r.stderr)
end)
