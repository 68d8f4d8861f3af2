-- lab.alertmanager: alerts and silences in Alertmanager (its HTTP API v2).
--
-- The module's functions use the inventory's Alertmanager
-- (monitoring.alertmanager); lab.alertmanager.connect{url = ...} gives a
-- client with the same methods for any other. Matchers are written as
-- amtool users write them: 'alertname=DiskFull', 'instance=~"pve[1-5].*"',
-- 'severity!=info', 'job!~"node|push"'. Alerts and silences come back as the
-- API gives them (labels, status, startsAt...). Changes go through the gate:
-- under --dry-run they are printed, not made, and return nil.

local endpoint = require "labsh.endpoint"
local matchers = require "labsh.matchers"
local times = require "labsh.times"
local gate = require "labsh.gate"

local alertmanager = {}

local Client = {}
Client.__index = Client

local function fail(message)
  require("labsh.host").fail("alertmanager", message)
end

-- Matchers as the API's `filter` query parameter wants them: a list of text.
local function filter_texts(spec)
  local texts = {}
  for i, matcher in ipairs(matchers.list(spec)) do texts[i] = matchers.format(matcher) end
  return texts
end

local function describe(list)
  return table.concat(filter_texts(list), ", ")
end

--- Alerts Alertmanager holds. opts: filter (matchers), and active,
--- silenced, inhibited, unprocessed (booleans; the API's default is true
--- for each), receiver (a regex).
function Client:alerts(opts)
  opts = opts or {}
  local query = {
    filter = filter_texts(opts.filter), active = opts.active, silenced = opts.silenced,
    inhibited = opts.inhibited, unprocessed = opts.unprocessed, receiver = opts.receiver,
  }
  return self.endpoint:send("GET", "/api/v2/alerts", { query = query, what = "alerts" }):json()
end

-- An alert as the API takes it, from { labels =, annotations =, starts =,
-- ends =, generator_url = } (times as labsh.times reads them).
local function api_alert(alert)
  if type(alert) ~= "table" or type(alert.labels) ~= "table" or next(alert.labels) == nil then
    fail("an alert needs labels, e.g. {labels = {alertname = \"DiskFull\"}}")
  end
  return {
    labels = alert.labels, annotations = alert.annotations,
    startsAt = alert.starts and times.format(times.parse(alert.starts)),
    endsAt = alert.ends and times.format(times.parse(alert.ends)),
    generatorURL = alert.generator_url,
  }
end

--- Sends alerts to Alertmanager, as Prometheus does: a list of
--- { labels =, annotations =, starts =, ends =, generator_url = } (or one).
--- An alert without `ends` stays firing until Alertmanager's resolve
--- timeout (5 minutes by default). Returns the number sent.
function Client:post_alerts(alerts)
  if type(alerts) == "table" and alerts.labels then alerts = { alerts } end
  local list = {}
  for i, alert in ipairs(alerts or {}) do list[i] = api_alert(alert) end
  if #list == 0 then fail("post_alerts: no alerts given") end
  local names = {}
  for i, alert in ipairs(list) do names[i] = tostring(alert.labels.alertname or "(no alertname)") end
  if not gate.allows(("post %d alert(s) to %s: %s"):format(#list, self.endpoint:url("/api/v2/alerts"),
      table.concat(names, ", "))) then
    return nil
  end
  self.endpoint:send("POST", "/api/v2/alerts", { json = list, what = "post alerts" })
  return #list
end

-- The user labsh acts for, as amtool's default author.
local function default_author()
  return (os.getenv("USER") or "labsh") .. "@" .. lab.sys.hostname()
end

--- Creates a silence; returns its id. opts: matchers (required), comment
--- (required), and either ends or duration ("2h"); starts (default now),
--- created_by (default USER@host).
function Client:silence(opts)
  opts = opts or {}
  local list = matchers.list(opts.matchers)
  if #list == 0 then fail("a silence needs matchers, e.g. {matchers = {\"alertname=DiskFull\"}}") end
  if type(opts.comment) ~= "string" or opts.comment == "" then
    fail("a silence needs a comment: say why, for whoever finds it later")
  end
  if (opts.ends == nil) == (opts.duration == nil) then fail("give a silence either ends or duration") end
  local starts = times.parse(opts.starts or "now")
  local ends = opts.ends and times.parse(opts.ends) or starts + times.duration(opts.duration)
  if ends <= starts then fail("a silence must end after it starts") end
  local silence = {
    matchers = list, startsAt = times.format(starts), endsAt = times.format(ends),
    createdBy = opts.created_by or default_author(), comment = opts.comment,
  }
  -- An operator's decision to stop notifications: audited, not asked.
  return gate.perform({
    action = "alertmanager.silence", target = self.endpoint.base, ask = false,
    summary = ("create a silence for %s until %s"):format(describe(list), silence.endsAt),
    details = { matchers = describe(list), ends = silence.endsAt, comment = silence.comment },
  }, function()
    local reply = self.endpoint:send("POST", "/api/v2/silences",
      { json = silence, what = "silence " .. describe(list) }):json()
    return reply.silenceID
  end)
end

--- Expires a silence now: its alerts notify again. Returns true.
function Client:expire(id)
  if type(id) ~= "string" or not id:match("^[%w%-]+$") then
    fail(("expire: bad silence id %s"):format(tostring(id)))
  end
  return gate.perform({
    action = "alertmanager.expire", target = self.endpoint.base, ask = false,
    summary = "expire silence " .. id, details = { id = id },
  }, function()
    self.endpoint:send("DELETE", "/api/v2/silence/" .. id, { what = "expire silence " .. id })
    return true
  end)
end

--- Silences, newest first. opts: state ("active", "pending" or
--- "expired"), filter (matchers a silence must have).
function Client:silences(opts)
  opts = opts or {}
  local all = self.endpoint:send("GET", "/api/v2/silences",
    { query = { filter = filter_texts(opts.filter) }, what = "silences" }):json()
  local kept = {}
  for _, silence in ipairs(all) do
    if not opts.state or silence.status.state == opts.state then kept[#kept + 1] = silence end
  end
  table.sort(kept, function(a, b) return times.parse(a.startsAt) > times.parse(b.startsAt) end)
  return kept
end

--- lab.alertmanager.connect(spec): a client for an Alertmanager of your
--- choice, a URL or an endpoint table { url =, ca_file =, insecure =,
--- bearer =, user =, password =, timeout = }; lab.alertmanager.alerts(...)
--- and the others ask the inventory's.
endpoint.client_module(alertmanager, "lab.alertmanager", "alertmanager", Client,
  { "alerts", "post_alerts", "silence", "expire", "silences" })

return alertmanager
