-- lab.alert: the plan's P1-P4 alert catalogue (§5.2), from the inventory's
-- `alerts` section as labsh validated it.
--
--   lab.alert.rules{severity = "P1"}   the rules, as plain tables
--   lab.alert.evaluate()              what fires now, with values
--
-- evaluate() asks the inventory's Prometheus (monitoring.prometheus) when
-- there is one, or the one given as opts.prometheus: one instant query per
-- rule, all rules at once through lab.http.parallel, so the whole catalogue
-- costs one round trip. Without a Prometheus it judges the catalogue from
-- the model: only the rules with a `model` threshold (storage, memory, CPU
-- usage against the capacity baseline) can be judged there; every other
-- rule is "unknown", never guessed.
--
-- A rule with a `for` must have held for that long, as Prometheus would
-- fire it: the query asks, at a step of a tenth of `for`, whether the
-- condition held at every step of the window (a PromQL subquery), and
-- reports the value at the last step. A rule with a `check` reads the
-- status its check last published, labsh_check_status{check = NAME}
-- (Monitoring Plugins codes: 2 is CRITICAL, and fires); no status at all
-- is "unknown", and says which labsh command publishes it or that none
-- does (rule.publisher "none": only an external signal, such as an IDS).

local native = require "labsh.alert"

local alert = {}

local SEVERITIES = { P1 = true, P2 = true, P3 = true, P4 = true }

local function fail(message)
  require("labsh.host").fail("alert", message)
end

local function severity_of(filter, where)
  if filter == nil then return nil end
  if type(filter) ~= "table" then fail(where .. ": expected a table of options, got " .. type(filter)) end
  local severity = filter.severity
  if severity ~= nil and not SEVERITIES[severity] then
    fail(("%s: severity must be P1, P2, P3 or P4, not %s"):format(where, tostring(severity)))
  end
  return severity
end

-- A list of rules prints at the prompt as a table (labsh.columns).
local rule_meta = require("labsh.columns").meta("lab.alert.Rule")

local RULE_FILTER_KEYS = { "severity", "name", "component" }

--- The catalogue's rules, in inventory order, or those matching `filter`:
--- `{severity = "P2"}`, `{component = "storage"}` (a label), `{name = "node-down"}`.
function alert.rules(filter)
  if type(filter) == "table" then  -- a misspelt key would select every rule
    for key in pairs(filter) do
      if key ~= "severity" and key ~= "name" and key ~= "component" then
        local blame = require "labsh.blame"
        blame.argument(1, "lab.alert.rules", ("unknown filter key %s%s"):format(blame.shown(key),
          blame.hint(key, RULE_FILTER_KEYS, "keys")))
      end
    end
  end
  local rules = native.rules(lab.inventory.model(), severity_of(filter, "lab.alert.rules"))
  for _, rule in ipairs(rules) do setmetatable(rule, rule_meta) end
  if filter and (filter.name or filter.component) then
    local kept = {}
    for _, rule in ipairs(rules) do
      if (filter.name == nil or rule.name == filter.name)
          and (filter.component == nil or rule.labels.component == filter.component) then
        kept[#kept + 1] = rule
      end
    end
    rules = kept
  end
  return rules
end

--- The rule named `name`, or nil.
function alert.rule(name)
  return alert.rules({ name = name })[1]
end

----------------------------------------------------------------------------
-- Live: one query per rule, all at once

local CHECK_METRIC = 'labsh_check_status{check="%s"}'

--- The PromQL that labsh sends for `rule`: its condition, held for its
--- `for` when it has one; a check rule's published status.
function alert.live_query(rule)
  if rule.check then return CHECK_METRIC:format(rule.check) end
  local hold = rule["for"]
  if not hold or hold <= 0 then return rule.query end
  local step = math.max(1, hold // 10)
  local window = ("[%ds:%ds]"):format(hold, step)
  return ("last_over_time((%s)%s) and (count_over_time((%s)%s) >= %d)")
      :format(rule.query, window, rule.query, window, hold // step)
end

local function firing_alert(rule, sample, source)
  return {
    name = rule.name, alertname = rule.alertname, severity = rule.severity,
    summary = rule.summary, runbook = rule.runbook, response = rule.response,
    labels = sample.metric or {}, value = sample.value, source = source,
  }
end

local SPECIAL_VALUES = { NaN = 0 / 0, ["+Inf"] = math.huge, ["-Inf"] = -math.huge }

-- A rule's verdict from Prometheus's reply (or the error in its place).
local function judge(rule, result, firing)
  local verdict = { name = rule.name, severity = rule.severity, alerts = 0 }
  if type(result) == "table" and result.kind then  -- lab.http.parallel's error object
    verdict.state, verdict.reason = "unknown", result.message or tostring(result)
    return verdict
  end
  local ok, reply = pcall(result.json, result)
  if not ok or type(reply) ~= "table" or reply.status ~= "success" then
    verdict.state = "unknown"
    verdict.reason = ok and type(reply) == "table" and (reply.error or reply.status)
        or ("HTTP " .. result.status)
    return verdict
  end
  local samples = reply.data.resultType == "vector" and reply.data.result or {}
  if rule.check then
    if #samples == 0 then
      verdict.state, verdict.reason = "unknown", "no status published for check '" .. rule.check .. "'"
        .. (rule.publisher == "none" and " (no publisher in labsh: only an external signal sets it)"
            or (" (published by " .. tostring(rule.publisher) .. ")"))
      return verdict
    end
  end
  for _, sample in ipairs(samples) do
    local value = SPECIAL_VALUES[sample.value[2]] or tonumber(sample.value[2])
    if not rule.check or value >= 2 then
      firing[#firing + 1] = firing_alert(rule, { metric = sample.metric, value = value }, "prometheus")
      verdict.alerts = verdict.alerts + 1
    end
  end
  verdict.state = verdict.alerts > 0 and "firing" or "ok"
  return verdict
end

local function evaluate_live(rules, target, time)
  local requests = {}
  for i, rule in ipairs(rules) do
    local options = target:http_options()
    options.url = target:url("/api/v1/query")
    options.query = { query = alert.live_query(rule), time = time }
    requests[i] = options
  end
  -- All at once (up to 64 connections): the catalogue costs one round trip.
  local results = lab.http.parallel(requests, { max = math.max(1, math.min(#requests, 64)) })
  local firing, verdicts = {}, {}
  for i, rule in ipairs(rules) do
    verdicts[i] = judge(rule, results[i], firing)
  end
  return firing, verdicts
end

----------------------------------------------------------------------------
-- From the model

local function evaluate_model(severity)
  local firing, verdicts = {}, {}
  for i, v in ipairs(native.evaluate_model(lab.inventory.model(), severity)) do
    verdicts[i] = { name = v.name, severity = v.severity, state = v.state, reason = v.reason,
                    alerts = v.state == "firing" and 1 or 0 }
    if v.state == "firing" then
      local rule = alert.rule(v.name)
      firing[#firing + 1] = firing_alert(rule, { metric = { usage = rule.model.usage }, value = v.value }, "model")
    end
  end
  return firing, verdicts
end

----------------------------------------------------------------------------

-- The Prometheus to ask, as an endpoint: opts.prometheus, else the
-- inventory's, else none (lab.prom.chosen).
local function prometheus_of(opts)
  local client = lab.prom.chosen(opts.prometheus, "lab.alert.evaluate{prometheus}")
  return client and client.endpoint
end

local EVALUATE_OPTIONS = { "severity", "prometheus", "time" }

--- What fires now: a list of alerts { name, alertname, severity, summary,
--- runbook, labels, value, source = "prometheus"|"model" }, most severe
--- first, and a verdict per rule { name, severity, state =
--- "firing"|"ok"|"unknown", reason, alerts }. opts: severity = "P1"...,
--- prometheus = a lab.prom client, URL or endpoint table (false: judge from
--- the model even when one is configured), time = Unix seconds.
function alert.evaluate(opts)
  opts = opts or {}
  require("labsh.blame").options(1, "lab.alert.evaluate", opts, EVALUATE_OPTIONS)
  local severity = severity_of(opts, "lab.alert.evaluate")
  local target = prometheus_of(opts)
  local firing, verdicts
  if target then
    firing, verdicts = evaluate_live(native.rules(lab.inventory.model(), severity), target, opts.time)
  else
    firing, verdicts = evaluate_model(severity)
  end
  table.sort(firing, function(a, b)
    if a.severity ~= b.severity then return a.severity < b.severity end
    return a.name < b.name
  end)
  return firing, verdicts
end

return alert
