-- lab.capacity: §5.4 capacity planning. The arithmetic is Swift
-- (Sources/Homelab/Capacity); this file fetches live figures from
-- Prometheus when the inventory names one and dates the forecasts.

local core = require "labsh.capacity"
local assumptions = require "labsh.assumptions"
local times = require "labsh.times"

local capacity = {}


local function prometheus_configured()
  local monitoring = lab.inventory.current().monitoring
  return monitoring and monitoring.prometheus ~= nil
end

-- One number from an instant query, nil when there is no series.
-- `client` a lab.prom.connect client, or nil for the inventory's Prometheus.
local function query(client, expr, at)
  if client then return client:query(expr, at) end
  return lab.prom.query(expr, at)
end

local function scalar(client, expr)
  local result = query(client, expr)
  if type(result) == "table" then
    if #result == 0 then return nil end
    local sum = 0
    for _, s in ipairs(result) do sum = sum + s.value end
    return sum
  end
  return result
end

-- node_exporter metrics summed over every instance Prometheus scrapes.
local live_queries = {
  cpu_threads = 'sum(rate(node_cpu_seconds_total{mode!="idle"}[5m]))',
  ram = "sum(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)",
  network = 'sum(rate(node_network_receive_bytes_total{device!="lo"}[5m])'
    .. ' + rate(node_network_transmit_bytes_total{device!="lo"}[5m])) * 8',
}

--- Live usage by resource name, from Prometheus (node_exporter metrics:
--- busy CPUs, MemTotal - MemAvailable, network bits per second);
--- `client` defaults to the inventory's Prometheus.
function capacity.used(client)
  local used = {}
  for name, expr in pairs(live_queries) do used[name] = scalar(client, expr) end
  return used
end

-- "2027-03": the calendar month `months` after `now`.
local function month_after(now, months)
  if not months then return nil end
  local t = os.date("!*t", now)
  local m = t.month - 1 + math.floor(months)
  return ("%04d-%02d"):format(t.year + m // 12, m % 12 + 1)
end

local resource_meta = require("labsh.columns").meta("lab.capacity.Resource")

--- The capacity report: per resource (cpu_cores, cpu_threads, ram,
--- storage_<tier>, storage_nas for a NAS's disks, network) installed, allocated to guests, used (live
--- from Prometheus when configured, else nil and a note), free, percent and
--- position against the target band; growth from the inventory's
--- projections: the month each resource crosses 85% and 95%; and the
--- expansion item to buy first. opts: used = {name = value} (live figures
--- of your own), now = Unix seconds, source = "live" (installed and
--- allocated from the Proxmox VE cluster's guests, see lab.inventory.model_from).
--- `sources` says where installed, allocated and used came from.
function capacity.report(opts)
  opts = opts or {}
  -- installed and allocated: the inventory's, or the cluster's guests with source = "live"
  local handle, sources = lab.inventory.model_from(opts.source, "lab.capacity.report")
  local used, note, source = opts.used, nil, "inventory"
  if used then
    source = "given"
  elseif prometheus_configured() then
    local ok, result = pcall(capacity.used)
    if ok then
      used, source = result, "prometheus"
      local missing = {}
      for name in pairs(live_queries) do if used[name] == nil then missing[#missing + 1] = name end end
      table.sort(missing)
      if #missing > 0 then
        note = "Prometheus has no node_exporter figures for " .. table.concat(missing, ", ") .. ": used is nil there"
      end
    else
      note = "Prometheus unreachable, used is nil: " .. tostring(result)
    end
  else
    note = "no Prometheus configured (monitoring.prometheus): used is nil, utilisation is allocation"
  end
  if used and used.cpu_threads and not used.cpu_cores then
    -- busy logical CPUs as a share of cores: same fraction of the installed cores
    local plan = core.plan(handle)
    local cores, threads
    for _, r in ipairs(plan.resources) do
      if r.name == "cpu_cores" then cores = r.installed elseif r.name == "cpu_threads" then threads = r.installed end
    end
    if cores and threads and threads > 0 then used.cpu_cores = used.cpu_threads * cores / threads end
  end
  local plan = core.plan(handle, used)
  local now = opts.now or os.time()
  for i, r in ipairs(plan.resources) do
    r.percent = r.utilisation and math.floor(r.utilisation * 1000 + 0.5) / 10
    r.crosses_85 = month_after(now, r.months_85)
    r.crosses_95 = month_after(now, r.months_95)
    assumptions.label(r, assumptions.for_resource(r.name))  -- computed from assumed sizes?
    plan.resources[i] = setmetatable(r, resource_meta)
  end
  plan.note, plan.source, plan.now = note, source, now
  plan.sources = { installed = sources.nodes, allocated = sources.guests, used = source }
  return plan
end

--- Least-squares line through {{time, value}, ...} with the intercept at
--- `at` (Unix seconds), as PromQL's predict_linear computes it: slope per
--- second and the value at `at`. nil for fewer than two samples.
function capacity.fit(samples, at)
  return core.fit(samples, at)
end

--- Forecast from live data: fits every series of `expr` over `window`
--- ending at `opts.at` (default now), exactly as predict_linear(expr[window],
--- ahead) does, and says when each series reaches `opts.threshold`.
--- `expr` is a series selector; with `opts.step` any expression (a
--- subquery). opts: window ("1h"), ahead (seconds or "30d"; default 30d),
--- at, threshold, prom (a client; default the inventory's).
--- Returns a list of {metric, slope, value_at, predicted, samples, reaches}.
function capacity.forecast(expr, opts)
  opts = opts or {}
  local client = opts.prom
  local window = opts.window or "1h"
  local at = opts.at and times.parse(opts.at) or os.time()
  local ahead = times.duration(opts.ahead or "30d")
  local range = opts.step and ("(%s)[%s:%s]"):format(expr, window, opts.step) or ("%s[%s]"):format(expr, window)
  local series = query(client, range, at)
  local out = {}
  for _, s in ipairs(series) do
    local slope, intercept = core.fit(s.samples, at)
    if slope then
      local row = { metric = s.metric, slope = slope, value_at = intercept, predicted = intercept + slope * ahead,
                    samples = #s.samples }
      if opts.threshold and slope ~= 0 then
        local seconds = (opts.threshold - intercept) / slope
        if seconds >= 0 then row.reaches = at + seconds end
      end
      out[#out + 1] = row
    end
  end
  return out
end

return capacity
