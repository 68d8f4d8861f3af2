-- A data file's pure libraries (Sources/CLuaShim/sandbox.c) open when the
-- file first needs one: the first global it reads, or a string's first
-- method or arithmetic. Then all of them are there as they always were,
-- without what a file must not have; what the file does to them stays in
-- its own state.
local sandbox = require "labsh.sandbox"

local function fields(text, keys)
  return sandbox.fields(text, "data.lua", 2, 16 << 20, keys)
end

test("a data file has table, math, utf8 and string when it names them", function()
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

test("strings' methods and arithmetic work before the file names string or any global", function()
  local got = fields([[
return { upper = ("x"):upper(), sum = "10" + 1, neg = -"2", idiv = "7" // 2, rep = ("ab"):rep(2), len = #"abc" }
]], { "upper", "sum", "neg", "idiv", "rep", "len" })
  assert_eq(got.upper, "X")
  assert_eq(got.sum, 11)
  assert_eq(got.neg, -2)
  assert_eq(got.idiv, 3)
  assert_eq(got.rep, "abab")
  assert_eq(got.len, 3)
end)

test("what a file must not have is out however it first reaches a library", function()
  local got = fields([[
local l, f, p, c = load, loadfile, print, collectgarbage  -- base's first names: gone before the file sees them
local d = ("x").dump                                      -- string opened by a method: no dump
return { l = l == nil, f = f == nil, p = p == nil, c = c == nil, d = d == nil, sdump = string.dump == nil,
         gc = pcall(setmetatable, {}, { __gc = function() end }) }
]], { "l", "f", "p", "c", "d", "sdump", "gc" })
  for _, key in ipairs { "l", "f", "p", "c", "d", "sdump" } do assert_eq(got[key], true, key) end
  assert_eq(got.gc, false, "__gc refused")
end)

test("a global the file sets before the libraries open stays its own", function()
  local got = fields([[
next = function() return "mine" end
tostring = "not a function"
local kind = type(next)  -- the first global read: the libraries open now
return { kind = kind, next = next(), tostring = tostring }
]], { "kind", "next", "tostring" })
  assert_eq(got.kind, "function")
  assert_eq(got.next, "mine")
  assert_eq(got.tostring, "not a function")
end)

test("the first global a file reads finds _G and strings' metatable as they always were", function()
  local got = fields([[
local t = { a = { 1, 2 }, b = "text", c = 2 ^ 10 }
t.mt = getmetatable(_G) == nil and getmetatable("").__index == string
return t
]], { "b", "c", "mt" })
  assert_eq(got.b, "text")
  assert_eq(got.c, 1024.0)
  assert_eq(got.mt, true)
end)
