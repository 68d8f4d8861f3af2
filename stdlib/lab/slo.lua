-- lab.slo: availability objectives measured. The services' probes run in
-- blackbox_exporter (`labsh -m gen blackbox`), which Prometheus scrapes as
-- probe_success{service =, tier =}; this module reads them back.
--
--   lab.slo(2)            the error budget a target allows (tier, service
--                         or percentage; labsh.query's lab.slo, unchanged)
--   lab.slo.report()      attainment, budget left and burn rates per
--                         service and per tier, from Prometheus
--
-- report() sends ONE query per window for all services together (the
-- attainment window and each burn-rate window), never one per service:
-- avg by (service) (avg_over_time(probe_success[W])), the fraction of
-- probes that succeeded.

local query = require "labsh.query_records"
local gen = require "labsh.gen"

local slo = {}

local DAY = 86400

-- The burn-rate windows of the multiwindow alerts (gen prometheus-rules).
local BURN_WINDOWS = { { "5m", 300 }, { "1h", 3600 }, { "6h", 6 * 3600 }, { "3d", 3 * DAY } }

local function fail(message)
  require("labsh.host").fail("slo", message)
end

-- The Prometheus to ask: opts.prometheus, else the inventory's (lab.prom.chosen).
local function prometheus_of(opts)
  return lab.prom.chosen(opts.prometheus, "lab.slo.report{prometheus}")
    or fail("no Prometheus: give lab.slo.report{prometheus = URL} or set monitoring.prometheus in the inventory")
end

local function seconds_of(window)
  if math.type(window) == "integer" then return window end
  local n, unit = tostring(window):match("^(%d+)([smhdw])$")
  local size = { s = 1, m = 60, h = 3600, d = DAY, w = 7 * DAY }
  if not n then fail(("window %s: expected seconds or a duration like 30d"):format(tostring(window))) end
  return math.tointeger(n * size[unit])
end

-- "1d2h" style text for a window in seconds, as PromQL reads it.
local function promql_duration(seconds)
  local out = ""
  for _, unit in ipairs { { "d", DAY }, { "h", 3600 }, { "m", 60 }, { "s", 1 } } do
    if seconds >= unit[2] then
      out = out .. (seconds // unit[2]) .. unit[1]
      seconds = seconds % unit[2]
    end
  end
  return out == "" and "0s" or out
end

-- One query: the success fraction of every service over `seconds`.
local function success_by_service(prom, seconds, time)
  local by = {}
  local expr = ("avg by (service) (avg_over_time(probe_success[%s]))"):format(promql_duration(seconds))
  for _, sample in ipairs(prom:query(expr, time)) do
    if sample.metric.service then by[sample.metric.service] = sample.value end
  end
  return by
end

-- Budget arithmetic for a success fraction against an objective.
local function judge(row, attainment, objective, window)
  local budget = 1 - objective / 100
  row.attainment = attainment and attainment * 100
  row.budget_seconds = budget * window
  if attainment then
    local spent = 1 - attainment
    row.budget_left = budget > 0 and (budget - spent) / budget or (spent == 0 and 1 or -math.huge)
    row.budget_left_seconds = (budget - spent) * window
    row.met = attainment * 100 >= objective
  end
  return row
end


local REPORT_OPTIONS = { "prometheus", "window", "time" }

--- Attainment per service and tier over opts.window (default "30d"): a
--- table { window =, at =, services = { row... }, tiers = { row... } }.
--- A service row: service, tier, slo (%), attainment (% of probes that
--- succeeded; nil without data), budget_seconds (what the window allows),
--- budget_left (fraction, negative when overspent), budget_left_seconds,
--- met, burn = { ["5m"] =, ["1h"] =, ["6h"] =, ["3d"] = } (budget spend
--- rate: 1 spends exactly the budget over the window). A tier row: tier,
--- slo (its strictest service's), attainment (its services' mean) and the
--- same budget fields. Services without a probe are left out.
--- opts: prometheus = a lab.prom client, URL or endpoint table, window =
--- "30d" or seconds, time = when (Unix seconds, "now").
function slo.report(opts)
  opts = opts or {}
  if type(opts) ~= "table" then fail("lab.slo.report: expected a table of options") end
  require("labsh.blame").options(1, "lab.slo.report", opts, REPORT_OPTIONS)
  local window = seconds_of(opts.window or "30d")
  local prom = prometheus_of(opts)
  local attainment = success_by_service(prom, window, opts.time)
  local burns = {}
  for _, w in ipairs(BURN_WINDOWS) do burns[w[1]] = success_by_service(prom, w[2], opts.time) end

  local report = { window = promql_duration(window), at = opts.time, services = {}, tiers = {} }
  local tiers, tier_order = {}, {}
  local probed = {}
  for _, p in ipairs(gen.probes(lab.inventory.model())) do probed[p.service] = true end
  for _, service in ipairs(lab.inventory.current().services or {}) do
    if probed[service.name] then
      local row = judge({ service = service.name, tier = service.tier, slo = service.slo },
        attainment[service.name], service.slo, window)
      row.burn = {}
      for _, w in ipairs(BURN_WINDOWS) do
        local success = burns[w[1]][service.name]
        row.burn[w[1]] = success and (1 - success) / (1 - service.slo / 100)
      end
      report.services[#report.services + 1] = row
      local t = tiers[service.tier]
      if not t then
        t = { tier = service.tier, slo = service.slo, sum = 0, measured = 0, services = 0 }
        tiers[service.tier], tier_order[#tier_order + 1] = t, service.tier
      end
      t.slo, t.services = math.max(t.slo, service.slo), t.services + 1
      if row.attainment then t.sum, t.measured = t.sum + row.attainment / 100, t.measured + 1 end
    end
  end
  table.sort(tier_order)
  for _, tier in ipairs(tier_order) do
    local t = tiers[tier]
    local mean = t.measured > 0 and t.sum / t.measured or nil
    report.tiers[#report.tiers + 1] =
      judge({ tier = tier, slo = t.slo, services = t.services, measured = t.measured }, mean, t.slo, window)
  end
  return report
end

-- lab.slo(x) stays the error budget of a target (labsh.query).
return setmetatable(slo, {
  __call = function(_, what) return query.slo(what) end,
})
