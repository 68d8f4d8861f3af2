-- lab.alertmanager against a real Alertmanager (Tests/servers/servers.py;
-- run with `make test`): alerts, silences that suppress them, expiry.

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")

local function am()
  return lab.alertmanager.connect(support.server("ALERTMANAGER"))
end

-- The alert called `name`, as Alertmanager lists it now.
local function listed(client, name, opts)
  opts = opts or {}
  opts.filter = "alertname=" .. name
  return client:alerts(opts)[1]
end

local function post(client, name)
  return client:post_alerts {
    labels = { alertname = name, instance = "pve4", severity = "none" },
    annotations = { summary = "posted by the labsh specs" },
    ends = "+10m",
  }
end

test("a posted alert is listed as active", function()
  local client, name = am(), support.unique("LabshPosted")
  assert_eq(post(client, name), 1, "one alert sent")
  local alert = support.eventually("Alertmanager lists " .. name, function() return listed(client, name) end, 10)
  assert_eq(alert.status.state, "active")
  assert_eq(alert.labels.instance, "pve4")
  assert_eq(alert.annotations.summary, "posted by the labsh specs")
  assert(require("labsh.times").parse(alert.endsAt) > lab.sys.now() + 500, "ends in ten minutes")
end)

test("a silence suppresses the alert, expiring it brings it back", function()
  local client, name = am(), support.unique("LabshSilenced")
  post(client, name)
  support.eventually("Alertmanager lists " .. name, function() return listed(client, name) end, 10)
  local id = client:silence {
    matchers = { "alertname=" .. name, 'instance=~"pve[1-5]"' },
    duration = "1h", comment = "labsh spec: silence and expire",
  }
  assert(type(id) == "string" and #id > 0, "a silence id")
  local silenced = support.eventually("the alert is silenced", function()
    local alert = listed(client, name)
    return alert.status.state == "suppressed" and alert
  end, 10)
  assert_same(silenced.status.silencedBy, { id })
  assert_eq(listed(client, name, { silenced = false }), nil, "hidden when silenced ones are left out")

  local silence = client:silences { state = "active", filter = "alertname=" .. name }[1]
  assert_eq(silence.id, id)
  assert_eq(silence.comment, "labsh spec: silence and expire")
  assert_same(silence.matchers[2], { name = "instance", value = "pve[1-5]", isRegex = true, isEqual = true })

  assert_eq(client:expire(id), true)
  support.eventually("the alert is active again", function()
    return listed(client, name).status.state == "active"
  end, 10)
  local expired = false
  for _, s in ipairs(client:silences { state = "expired" }) do expired = expired or s.id == id end
  assert(expired, "the silence is listed as expired")
end)

test("silences need matchers, a comment and an end", function()
  local client = am()
  local err = support.error_of("alertmanager", client.silence, client, { matchers = "a=b", duration = "1h" })
  assert(err.message:find("comment", 1, true), err.message)
  support.error_of("alertmanager", client.silence, client, { comment = "x", duration = "1h" })
  support.error_of("alertmanager", client.silence, client, { matchers = "a=b", comment = "x" })
  support.error_of("alertmanager", client.silence, client,
    { matchers = "a=b", comment = "x", starts = "now", ends = "-1h" })
end)

test("changes under --dry-run are described, not made", function()
  local client, name = am(), support.unique("LabshDryRun")
  local before = #client:silences()
  local results = {}
  local said = support.with_dry_run(function()
    results.post = client:post_alerts { labels = { alertname = name } }
    results.silence = client:silence { matchers = "alertname=" .. name, duration = "1h", comment = "dry" }
    results.expire = client:expire("00000000-0000-0000-0000-000000000000")
  end)
  assert_same(results, {})
  local url = support.server("ALERTMANAGER")
  local lines = {}
  for line in said:gmatch("[^\n]+") do lines[#lines + 1] = line end
  assert_eq(#lines, 3, "one line per change")
  assert_eq(lines[1], ("dry run: would post 1 alert(s) to %s/api/v2/alerts: %s"):format(url, name))
  assert_eq(lines[2]:gsub(" until %d%d%d%d%-%d%d%-%d%dT[%d:.]+Z", ""),
    ('dry run: would create a silence for alertname="%s" on %s'):format(name, url))
  assert_eq(lines[3], ("dry run: would expire silence 00000000-0000-0000-0000-000000000000 on %s"):format(url))
  -- Silencing is an operator's decision: audited, dry runs included.
  local audit = require("labsh.files").read(require("labsh.gate").audit_path()) or ""
  assert(audit:find('"action":"alertmanager.silence"', 1, true), "silence audited")
  assert(audit:find('"outcome":"dry run"', 1, true), "as a dry run")
  assert_eq(#client:silences(), before, "no silence created")
  assert_eq(listed(client, name), nil, "no alert posted")
end)

test("Alertmanager's refusals are structured alertmanager errors", function()
  local client = am()
  local err = support.error_of("alertmanager", client.expire, client, "not-a-uuid")
  assert_eq(err.status, 422)
  assert_eq(err.url, support.server("ALERTMANAGER") .. "/api/v2/silence/not-a-uuid")
  assert_eq(err.method, "DELETE")
  assert(err.message:find("Alertmanager: ", 1, true), err.message)
  err = support.error_of("alertmanager", client.post_alerts, client,
    { labels = { alertname = "X" }, starts = "2026-01-01T00:00:00Z", ends = "2025-01-01T00:00:00Z" })
  assert_eq(err.status, 400)
end)
