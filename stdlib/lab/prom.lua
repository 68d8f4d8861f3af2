-- lab.prom: asking Prometheus (its HTTP API v1) from Lua.
--
-- The module's functions ask the inventory's Prometheus
-- (monitoring.prometheus); lab.prom.connect{url = ...} gives a client with
-- the same methods for any other. Times are Unix seconds, "now", "-1h" or
-- RFC 3339; steps are seconds or "15s". Sample values are Lua numbers:
-- the API's "NaN", "+Inf" and "-Inf" become 0/0, math.huge and -math.huge.

local endpoint = require "labsh.endpoint"
local times = require "labsh.times"

local prom = {}

local Client = {}
Client.__index = Client

local SPECIAL_VALUES = { NaN = 0 / 0, ["+Inf"] = math.huge, ["-Inf"] = -math.huge }

local function number(text)
  return SPECIAL_VALUES[text] or tonumber(text)
end

-- GET path?query and the API's `data`, after checking its status.
local function get(client, path, query, what)
  local response = client.endpoint:send("GET", path, { query = query, what = what })
  local reply = response:json()
  if reply.status ~= "success" then
    require("labsh.host").fail("prometheus", ("Prometheus: %s (%s)"):format(
      tostring(reply.error or reply.status), what or path),
      { status = response.status, error_type = reply.errorType, url = client.endpoint:url(path) })
  end
  return reply.data
end

-- One series of a range result: { metric =, samples = {{t, v}, ...} }.
local function range_series(series)
  local samples = {}
  for i, pair in ipairs(series.values or {}) do
    samples[i] = { pair[1], number(pair[2]) }
  end
  return { metric = series.metric, samples = samples }
end

-- An instant result as Lua values: a vector is a list of
-- { metric =, value =, time = }; a range (`up[5m]`) a list as query_range
-- gives; a scalar a number and a string a string, each followed by its time.
local function instant_result(data)
  local kind, result = data.resultType, data.result
  if kind == "vector" then
    local list = {}
    for i, sample in ipairs(result) do
      list[i] = { metric = sample.metric, time = sample.value[1], value = number(sample.value[2]) }
    end
    return list
  elseif kind == "matrix" then
    local list = {}
    for i, series in ipairs(result) do list[i] = range_series(series) end
    return list
  elseif kind == "scalar" then
    return number(result[2]), result[1]
  end
  return result[2], result[1]  -- string
end

--- Evaluates a PromQL expression at one time (default now).
function Client:query(expr, time)
  local query = { query = expr, time = time and times.api(times.parse(time)) }
  return instant_result(get(self, "/api/v1/query", query, ("query %q"):format(expr)))
end

-- About 250 points over the range, in whole seconds: a graph's worth.
local function default_step(start, stop)
  return math.max(1, math.ceil((stop - start) / 250))
end

--- Evaluates a PromQL expression over a range: a list of
--- { metric =, samples = {{time, value}, ...} }.
function Client:query_range(expr, start, stop, step)
  local from, to = times.parse(start or "-1h"), times.parse(stop or "now")
  local query = {
    query = expr, start = times.api(from), ["end"] = times.api(to),
    step = times.api(step and times.duration(step) or default_step(from, to)),
  }
  local data = get(self, "/api/v1/query_range", query, ("query_range %q"):format(expr))
  local list = {}
  for i, series in ipairs(data.result) do list[i] = range_series(series) end
  return list
end

--- Alerts Prometheus is evaluating now (pending and firing), as the API
--- gives them (labels, annotations, state, activeAt), value a number.
function Client:alerts()
  local alerts = get(self, "/api/v1/alerts", nil, "alerts").alerts
  for _, alert in ipairs(alerts) do alert.value = number(alert.value) end
  return alerts
end

--- Rule groups with their rules and state; `kind` "alert" or "record" keeps one kind.
function Client:rules(kind)
  return get(self, "/api/v1/rules", { type = kind }, "rules").groups
end

--- Scrape targets: the active ones, or state = "dropped" or "any".
function Client:targets(state)
  local data = get(self, "/api/v1/targets", { state = state or "active" }, "targets")
  if state == "dropped" then return data.droppedTargets end
  if state == "any" then
    local all = {}
    for _, t in ipairs(data.activeTargets or {}) do all[#all + 1] = t end
    for _, t in ipairs(data.droppedTargets or {}) do all[#all + 1] = t end
    return all
  end
  return data.activeTargets
end

--- Label sets of the series matching a selector (or a list of them), by
--- default over the last hour.
function Client:series(match, start, stop)
  local query = {
    ["match[]"] = match, start = times.api(times.parse(start or "-1h")),
    ["end"] = times.api(times.parse(stop or "now")),
  }
  local shown = type(match) == "table" and table.concat(match, ", ") or tostring(match)
  return get(self, "/api/v1/series", query, ("series %q"):format(shown))
end

--- lab.prom.connect(spec): a client for a Prometheus of your choice, a URL
--- or an endpoint table { url =, ca_file =, insecure =, bearer =, user =,
--- password =, timeout = }; lab.prom.query(...) and the others ask the
--- inventory's.
endpoint.client_module(prom, "lab.prom", "prometheus", Client,
  { "query", "query_range", "alerts", "rules", "targets", "series" })

--- The Prometheus a caller's `prometheus` option names (lab.alert.evaluate,
--- lab.slo.report): a lab.prom client as it is, a URL or an endpoint table
--- (`where` names the option in errors); nil: the inventory's
--- monitoring.prometheus. Returns a client, or nil when there is none or
--- `given` is false (the caller goes without).
function prom.chosen(given, where)
  if given == false then return nil end
  if type(given) == "table" and given.endpoint then return given end
  if given ~= nil then
    return setmetatable({ endpoint = endpoint.new("prometheus", given, where) }, Client)
  end
  local monitoring = lab.inventory.current().monitoring
  if not (monitoring and monitoring.prometheus) then return nil end
  return setmetatable({ endpoint = endpoint.configured("prometheus") }, Client)
end

return prom
