-- The sandbox's watchdog (Sources/CLuaShim/sandbox.c): one thread for the
-- process, started when a file can first call a library function and
-- parked between evaluations. Each evaluation is watched as the first was;
-- the parked thread takes no signal of labsh's away from the thread that
-- runs Lua; a stop while a file is stuck in C still ends labsh.

local stops = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/stops_support.lua")("labsh-watchdog-spec")
local fresh, script, touch_code = stops.fresh, stops.script, stops.touch_code
local assert_has, assert_lacks = stops.assert_has, stops.assert_lacks

-- Lua that evaluates `text` as a data file with a CPU budget of `seconds`.
local function evaluate(text, seconds)
  return ('require("labsh.sandbox").fields(%q, "data.lua", %d, 16 << 20, {})'):format(text, seconds)
end

local STUCK = 'local s = ("a"):rep(3000); s:find(".-.-.-.-b"); return {}'  -- backtracks for hours, in C
local QUICK = "return { n = math.floor(1.5) }"  -- calls a library function: the watchdog starts

test("a second evaluation, stuck in C, is ended at its budget as the first would be", function()
  local code, err = stops.run({ script(evaluate(QUICK, 1) .. "\n" .. evaluate(STUCK, 1)) })
  assert_eq(code, 1, err)
  assert_has(err, "data.lua: took more than 1 s of CPU time to evaluate (stuck in a library function; forced exit)", "stderr")
end)

test("after an evaluation, SIGINT still stops Lua code where it runs, with its cleanup", function()
  local marker = fresh("marker")
  local code, err = stops.run({ script(evaluate(QUICK, 2) .. "\n" .. ([[
local _ <close> = setmetatable({}, { __close = function() io.stderr:write("close ran\n") end })
%s
while true do end
]]):format(touch_code(marker))) }, nil, { { marker, "INT" } })
  assert_eq(code, 130, err)
  assert_has(err, "close ran", "stderr")
  assert_lacks(err, "forced exit", "stderr")
end)

test("SIGINT while a file is stuck in C ends labsh after the stop's grace", function()
  local marker = fresh("marker")
  local code, err = stops.run({ script(evaluate(QUICK, 2) .. "\n" .. touch_code(marker) .. "\n" .. evaluate(STUCK, 30)) },
    nil, { { marker, "INT" } })
  assert_eq(code, 130, err)
  assert_has(err, "stopped while evaluating data.lua (stuck in a library function; forced exit)", "stderr")
end)

test("a file that calls no library function is watched by the hook alone, and still ends at its budget", function()
  local code, err = stops.run({ script(evaluate("local n = 0 while true do n = n + 1 end", 1)) })
  assert_eq(code, 1, err)
  assert_has(err, "data.lua: took more than 1 s of CPU time to evaluate", "stderr")
  assert_lacks(err, "forced exit", "stderr")
end)
