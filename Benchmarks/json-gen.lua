-- Writes a Prometheus query_range response (resultType "matrix") of about
-- the size asked, for the JSON benchmark: many series, many samples, the
-- shape labsh reads most. Deterministic: the same bytes every run.
--   lua5.4 Benchmarks/json-gen.lua OUT.json [MEGABYTES=10]
local out, megabytes = arg[1], tonumber(arg[2] or "10")
assert(out, "usage: json-gen.lua OUT.json [MEGABYTES]")

local modes = { "idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice" }
local hosts = { "pve1", "pve2", "pve3", "pve4", "pve5", "z440", "gw", "nas" }
local samples_per_series = 240
local parts, size, series = {}, 0, 0
local function add(s) parts[#parts + 1] = s; size = size + #s end

add('{"status":"success","data":{"resultType":"matrix","result":[')
while size < megabytes * 1000 * 1000 do
  local host = hosts[series % #hosts + 1]
  local metric = ('{"__name__":"node_cpu_seconds_total","cpu":"%d","instance":"%s.lab.example:9100","job":"node","mode":"%s"}')
    :format(series // #modes % 16, host, modes[series % #modes + 1])
  add((series > 0 and "," or "") .. '{"metric":' .. metric .. ',"values":[')
  local values = {}
  for i = 1, samples_per_series do
    local t = 1700000000 + i * 15
    -- Timestamps with milliseconds, sometimes whole seconds, as Prometheus sends.
    local ts = (i % 4 == 0) and ("%d"):format(t) or ("%d.%03d"):format(t, (i * 37 + series) % 1000)
    values[i] = ('[%s,"%.6g"]'):format(ts, (series * 1000 + i * 7.31) / 3)
  end
  add(table.concat(values, ",") .. "]}")
  series = series + 1
end
add("]}}")

local f = assert(io.open(out, "wb"))
f:write(table.concat(parts))
f:close()
