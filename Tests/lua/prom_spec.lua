-- lab.prom against a real Prometheus that scrapes a real node_exporter and
-- Pushgateway every second (Tests/servers/servers.py; run with `make test`).

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")

local function prom()
  return lab.prom.connect(support.server("PROMETHEUS"))
end

-- Runs fn with an inventory whose monitoring section is `monitoring`: the
-- built-in homelab plus that section. The previous inventory comes back.
local function with_monitoring(monitoring, fn)
  local lines = {}
  for name, value in pairs(monitoring) do lines[#lines + 1] = ("    %s = %q,"):format(name, value) end
  local text = require("labsh.host").embedded("stdlib/labsh/homelab.lua")
    :gsub("}%s*$", "  monitoring = {\n" .. table.concat(lines, "\n") .. "\n  },\n}\n")
  with_inventory(text, fn)
end

test("node_exporter is up", function()
  local up = prom():query('up{job="node"}')
  assert_eq(#up, 1, "one node_exporter target")
  assert_eq(up[1].value, 1)
  assert_eq(up[1].metric.instance, support.server("NODE_EXPORTER"):match("//(.+)$"))
  assert(math.abs(up[1].time - lab.sys.now()) < 5, "evaluated now")
end)

test("a metric written with lab.textfile.write is scraped", function()
  local name, value = support.unique("labsh_textfile"), math.random(1, 1000000)
  local dir = support.server("TEXTFILE_DIR")
  local path = lab.textfile.write(dir, name, { { name = name, help = "labsh textfile test", type = "gauge",
    value = value, labels = { check = "spec" } } })
  local sample = support.eventually("Prometheus shows " .. name, function() return prom():query(name)[1] end)
  os.remove(path)
  assert_eq(sample.value, value)
  assert_eq(sample.metric.job, "node", "through node_exporter")
  assert_eq(sample.metric.check, "spec")
end)

test("query_range over the last minute has samples in order", function()
  local from = lab.sys.now() - 60
  local series = prom():query_range('up{job="node"}', "-1m", "now", "1s")
  assert_eq(#series, 1)
  assert_eq(series[1].metric.job, "node")
  local samples = series[1].samples
  assert(#samples >= 1, "samples")
  for i, sample in ipairs(samples) do
    assert_eq(sample[2], 1, "up")
    assert(sample[1] >= from - 1 and sample[1] <= lab.sys.now() + 1, "inside the range")
    if i > 1 then assert_eq(sample[1] - samples[i - 1][1], 1, "one step apart") end
  end
  local stepped = prom():query_range('up{job="node"}', os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(from)), from + 60, 30)
  assert(#stepped[1].samples <= 3, "a 30 s step over a minute: at most 3 points")
end)

test("NaN and infinities come back as Lua numbers; scalars and strings as values", function()
  local p = prom()
  local nan = p:query("vector(0/0)")[1].value
  assert(nan ~= nan, "NaN")
  assert_eq(p:query("vector(1/0)")[1].value, math.huge)
  assert_eq(p:query("vector(-1/0)")[1].value, -math.huge)
  local value, time = p:query("2.5 * 2")
  assert_eq(value, 5.0)
  assert(math.abs(time - lab.sys.now()) < 5, "its time")
  assert_eq(p:query('"text"'), "text")
  local at = p:query("time()", "2026-11-27T03:00:00Z")
  assert_eq(at, 1795748400, "evaluated at the given time")
  local range = p:query('up{job="node"}[10s]')
  assert(#range == 1 and #range[1].samples >= 1, "a range selector gives series with samples")
end)

test("alerts, rules, targets and series", function()
  local p = prom()
  local alert = support.eventually("the always-firing alert", function()
    for _, a in ipairs(p:alerts()) do
      if a.labels.alertname == "LabshTestAlwaysFiring" then return a end
    end
  end)
  assert_eq(alert.state, "firing")
  assert_eq(alert.value, 1)
  local groups = p:rules()
  assert_eq(groups[1].name, "labsh-test")
  assert_eq(#groups[1].rules, 2)
  assert_eq(p:rules("record")[1].rules[1].name, "labsh:up:sum")
  local jobs = {}
  for _, target in ipairs(p:targets()) do jobs[target.labels.job] = target.health end
  assert_same(jobs, { node = "up", pushgateway = "up" })
  assert_eq(#p:targets("dropped"), 0)
  local series = p:series('up{job="node"}', "-5m")
  assert_eq(#series, 1)
  assert_eq(series[1].__name__, "up")
  assert_eq(#p:series({ 'up{job="node"}', 'up{job="pushgateway"}' }), 2, "several selectors")
end)

test("a bad expression raises a structured prometheus error", function()
  local err = support.error_of("prometheus", prom().query, prom(), "sum(up{")
  assert_eq(err.status, 400)
  assert_eq(err.error_type, "bad_data")
  assert_eq(err.url, support.server("PROMETHEUS") .. "/api/v1/query")
  assert(err.message:find('query "sum(up{"', 1, true), err.message)
  assert(err.message:find("parse error", 1, true), err.message)
  assert_eq(tostring(err), err.message, "prints as its message")
end)

test("an unreachable Prometheus is a prometheus error with the reason", function()
  local err = support.error_of("prometheus", function()
    return lab.prom.connect("http://127.0.0.1:1"):query("up")
  end)
  assert_eq(err.reason, "connect")
  assert(err.message:find("Prometheus unreachable", 1, true), err.message)
end)

test("the module functions use the inventory's Prometheus", function()
  with_monitoring({ prometheus = support.server("PROMETHEUS") }, function()
    assert_eq(lab.prom.query('up{job="node"}')[1].value, 1)
    assert(#lab.prom.targets() == 2)
  end)
  with_monitoring({ textfile_dir = "/tmp" }, function()
    local err = support.error_of("prometheus", lab.prom.query, "up")
    assert_eq(err.message, "no Prometheus configured: set monitoring.prometheus in the inventory")
  end)
end)
