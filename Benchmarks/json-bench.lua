-- Times lab.json against lua-cjson in this one process: decode of FILE and
-- encode of the decoded value, median of RUNS runs each, in ms. Prints
-- "decode_labsh decode_cjson encode_labsh encode_cjson".
--   labsh Benchmarks/json-bench.lua FILE [RUNS=9]
local file, runs = arg[1], tonumber(arg[2] or "9")
local cjson = require "cjson"
local f = assert(io.open(file, "rb"))
local text = f:read("a")
f:close()

local clock = lab.sys.monotonic
local function median(fn)
  local times = {}
  for i = 1, runs do
    collectgarbage()
    collectgarbage()
    local t = clock()
    fn()
    times[i] = (clock() - t) * 1000
  end
  table.sort(times)
  return times[(runs + 1) // 2]
end

local value = lab.json.decode(text)
-- Same data read by both, or the figures mean nothing.
assert(#value.data.result == #cjson.decode(text).data.result)

local results = {
  median(function() lab.json.decode(text) end),
  median(function() cjson.decode(text) end),
  median(function() lab.json.encode(value) end),
  median(function() cjson.encode(value) end),
}
print(("%.3f %.3f %.3f %.3f"):format(table.unpack(results)))
