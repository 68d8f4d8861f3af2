-- Random damage to the built-in inventory: every mutant must load as a
-- model or be refused with an "inventory" error object. Never a crash,
-- never another kind of error. Runs under labsh; seeded, so repeatable.

local model = require "labsh.model"

local function copy(value)
  if type(value) ~= "table" then return value end
  local out = {}
  for k, v in pairs(value) do out[k] = copy(v) end
  return out
end

-- Every table inside `root` (once each: a mutant may hold a cycle).
local function tables_in(root)
  local found, seen = {}, {}
  local function walk(t)
    if seen[t] then return end
    seen[t] = true
    found[#found + 1] = t
    for _, v in pairs(t) do
      if type(v) == "table" then walk(v) end
    end
  end
  walk(root)
  return found
end

local function keys_of(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local odd_values = {
  "", "x", "16XB", "-1GB", "999999999999999999999GB", "192.168.300.1", "10.0.0.0/33", "::1::",
  0, -1, 1.5, 1e300, 0 / 0, math.maxinteger, true, false, {}, { 1, 2 }, { a = 1 }, "\0\255",
}

local mutations = {
  function(t, k) t[k] = nil end,                                            -- drop a field
  function(t, k) t[k] = odd_values[math.random(#odd_values)] end,           -- wrong value
  function(t, k) t[k .. "x"] = t[k] end,                                    -- unknown key
  function(t, k) if type(t[k]) == "table" then t[k][#t[k] + 1] = copy(t[k][1]) end end,  -- duplicate
  function(t, k) t[k] = t end,                                              -- a cycle
  function(t, k) t[k] = { t[k], extra = 1 } end,                            -- list and map at once
}

test("300 mutants load or are refused cleanly", function()
  math.randomseed(20261127)
  local base = require "labsh.homelab"
  local loaded, refused = 0, 0
  for n = 1, 300 do
    local mutant = copy(base)
    for _ = 1, math.random(1, 3) do
      local tables = tables_in(mutant)
      local t = tables[math.random(#tables)]
      local keys = keys_of(t)
      if #keys > 0 then
        local k = keys[math.random(#keys)]
        if type(k) == "number" then k = tostring(k) end
        pcall(mutations[math.random(#mutations)], t, k)
      end
    end
    local ok, result = pcall(model.validate, mutant, "mutant " .. n)
    if ok then
      assert_eq(type(result), "table", "mutant " .. n .. " model")
      loaded = loaded + 1
    else
      assert_eq(type(result), "table", "mutant " .. n .. " error is an object: " .. tostring(result))
      assert_eq(result.kind, "inventory", "mutant " .. n .. " error kind: " .. tostring(result))
      assert(result.message:find("mutant " .. n, 1, true), result.message)
      refused = refused + 1
    end
  end
  assert(refused > 100, "most mutants are refused: " .. refused)
  assert(loaded > 0, "some mutations are harmless: " .. loaded)
end)
