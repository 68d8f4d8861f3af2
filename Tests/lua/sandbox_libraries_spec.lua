-- A data file's pure libraries (Sources/CLuaShim/sandbox.c): table, math
-- and utf8 open when the file first names them, string at once (its
-- methods need it); what the file does to them stays in its own state.
local sandbox = require "labsh.sandbox"

local function fields(text, keys)
  return sandbox.fields(text, "data.lua", 2, 16 << 20, keys)
end

test("a data file has table, math, utf8 and string when it names them, first use or not", function()
  local got = fields([[
local parts = {}
table.insert(parts, ("%d"):format(math.floor(2.5)))
table.insert(parts, utf8.char(72, 105))
table.insert(parts, string.upper("x") .. ("y"):upper())
return { text = table.concat(parts, " "), max = math.maxinteger, sorted = (function()
  local t = { 3, 1, 2 } table.sort(t) return table.concat(t, ",") end)() }
]], { "text", "max", "sorted" })
  assert_eq(got.text, "2 Hi XY")
  assert_eq(got.max, math.maxinteger)
  assert_eq(got.sorted, "1,2,3")
end)

test("a library the file replaced stays replaced in the file only", function()
  local got = fields([[
table = { concat = function() return "mine" end }
math.floor = nil
return { mine = table.concat({ "a" }), floor = type(math.floor) }
]], { "mine", "floor" })
  assert_eq(got.mine, "mine")
  assert_eq(got.floor, "nil")
  assert_eq(table.concat({ "a", "b" }), "ab")
  assert_eq(math.floor(1.5), 1)
end)

test("names that are no library stay nil, and what a file cannot reach stays out", function()
  local got = fields([[
return { nothing = type(nothing_here), io = type(io), os = type(os), load = type(load), dump = type(string.dump),
         require = type(require) }
]], { "nothing", "io", "os", "load", "dump", "require" })
  for key, value in pairs(got) do assert_eq(value, "nil", key) end
end)
