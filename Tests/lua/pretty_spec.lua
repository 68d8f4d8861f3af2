local pretty = require "labsh.pretty"
local format = pretty.format

test("scalars print as Lua prints them", function()
  assert_eq(format(nil), "nil")
  assert_eq(format(true), "true")
  assert_eq(format(42), "42")
  assert_eq(format(1.0), "1.0")
  assert_eq(format(-0.5), "-0.5")
  assert_eq(format(2^63), "9.2233720368548e+18")
end)

test("strings are quoted with escapes, UTF-8 stays readable", function()
  assert_eq(format('say "hi"\n'), [["say \"hi\"\n"]])
  assert_eq(format("tab\there\\"), [["tab\there\\"]])
  assert_eq(format("café ✓"), '"café ✓"')
  assert_eq(format("\0\1x\0012"), [["\0\1x\0012"]])
  assert_eq(format("bad \255 utf8 \xe2\x82"), [["bad \255 utf8 \226\130"]])
  assert_eq(format("del\127"), [["del\127"]])
end)

test("arrays print without keys", function()
  assert_eq(format({ 1, 2, 3 }), "{ 1, 2, 3 }")
  assert_eq(format({}), "{}")
end)

test("keys are sorted: array, numbers, strings, then others", function()
  local t = { "a", "b", [10] = "ten", [1.5] = "x", zeta = 1, alpha = 2,
              [true] = "yes", ["a b"] = 3, ["end"] = 4 }
  assert_eq(format(t), table.concat({
    "{",
    '  "a",',
    '  "b",',
    '  [1.5] = "x",',
    '  [10] = "ten",',
    '  ["a b"] = 3,',
    "  alpha = 2,",
    '  ["end"] = 4,',
    "  zeta = 1,",
    '  [true] = "yes"',
    "}",
  }, "\n"))
end)

test("a table that does not fit in 80 columns has one field per line", function()
  local t = { name = "pve1.lab.example.net", address = "10.0.10.11",
              roles = { "hypervisor", "ceph" }, notes = "rack 2, shelf 3" }
  assert_eq(format(t), table.concat({
    "{",
    '  address = "10.0.10.11",',
    '  name = "pve1.lab.example.net",',
    '  notes = "rack 2, shelf 3",',
    '  roles = { "hypervisor", "ceph" }',
    "}",
  }, "\n"))
end)

test("one line means at most 80 columns, counting the comma after it", function()
  local fits = { ("a"):rep(74) }           -- { "aaa...a" } is 80 columns
  assert_eq(#format(fits), 80)
  local too_wide = { ("a"):rep(75) }
  assert_eq(format(too_wide), '{\n  "' .. ("a"):rep(75) .. '"\n}')
  -- Nested under "  x = ", the same room minus the indent, key and comma.
  local nested = format({ x = { ("b"):rep(67) }, y = 1 })
  assert_eq(nested:match("\n([^\n]*)"), '  x = { "' .. ("b"):rep(67) .. '" },')
  nested = format({ x = { ("b"):rep(68) }, y = 1 })
  assert_eq(nested:match("\n([^\n]*)"), "  x = {")
end)

test("nested tables indent and keep short children on one line", function()
  local long = ("x"):rep(70)
  local t = { a = { long }, b = { c = { 1, 2 } } }
  assert_eq(format(t), table.concat({
    "{",
    "  a = {",
    '    "' .. long .. '"',
    "  },",
    "  b = { c = { 1, 2 } }",
    "}",
  }, "\n"))
  assert_eq(format(t, { indent = "    " }):match("\n[^\n]*"), "\n    a = {")
end)

test("cycles are marked, shared tables print in full", function()
  local shared = { 1 }
  local t = { a = shared, b = shared }
  t.me = t
  assert_eq(format(t), "{ a = { 1 }, b = { 1 }, me = <cycle> }")
end)

test("tables deeper than depth print as {...}", function()
  local t = { a = { b = { c = { d = { e = 1 } } } } }
  assert_eq(format(t), "{ a = { b = { c = { d = {...} } } } }")
  assert_eq(format(t, { depth = 2 }), "{ a = { b = {...} } }")
  assert_eq(format({ a = {} }, { depth = 1 }), "{ a = {} }")
end)

test("__tostring is used; functions print as tostring", function()
  local obj = setmetatable({}, { __tostring = function() return "Node(pve1)" end })
  assert_eq(format({ obj }), "{ Node(pve1) }")
  assert_eq(format(print), tostring(print))
  local broken = setmetatable({}, { __tostring = function() error("no") end })
  assert_eq(format(broken), "<table: __tostring failed>")
end)

test("printing does not trigger __index or __pairs", function()
  local touched = false
  local lazy = setmetatable({ loaded = 1 }, {
    __index = function() touched = true end,
    __pairs = function() touched = true; return next, {} end,
  })
  assert_eq(format(lazy), "{ loaded = 1 }")
  assert_eq(touched, false)
end)

test("long output is cut at max_lines", function()
  local t = {}
  for i = 1, 30 do t[i] = ("item %02d"):format(i) end
  assert_eq(format(t, { max_lines = 3 }),
    '{\n  "item 01",\n  "item 02",\n... (29 more lines)')
  assert_eq(select(2, format(t):gsub("\n", "")), 31)
end)

test("colors mark keys, strings and numbers", function()
  assert_eq(format({ a = "x", 1 }, { color = true }),
    '{ \27[33m1\27[0m, \27[36ma\27[0m = \27[32m"x"\27[0m }')
end)

test("a list of records prints as an aligned table", function()
  local nodes = {
    { name = "pve1", cpus = 16, ram_gb = 128, role = "hypervisor" },
    { name = "nas", cpus = 4, ram_gb = 32.5, role = "storage" },
    { name = "pi", cpus = 4, role = "dns" },
  }
  assert_eq(format(nodes), table.concat({
    "name  cpus  ram_gb  role",
    "----  ----  ------  ----------",
    "pve1    16     128  hypervisor",
    "nas      4    32.5  storage",
    "pi       4          dns",
  }, "\n"))
end)

test("id leads the columns, then name", function()
  local rows = { { zone = "a", name = "x", id = 2 }, { zone = "b", name = "y", id = 10 } }
  assert_eq(format(rows), "id  name  zone\n--  ----  ----\n 2  x     a\n10  y     b")
end)

-- Issue 15: a cell too wide for the terminal wraps within its column (it
-- used to be cut with an ellipsis, losing the end of a report's line);
-- prose that would be squeezed goes under its row.
test("wide record tables wrap the widest column to the width", function()
  local rows = {
    { name = "a", note = "one two three four five six seven eight nine" },
    { name = "b", note = ("n"):rep(40) },
  }
  assert_eq(format(rows, { width = 36 }), table.concat({
    "name  note",
    "----  ------------------------------",
    "a     one two three four five six",
    "      seven eight nine",
    "b     nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
    "      nnnnnnnnnn",
  }, "\n"))
end)

test("prose too narrow to read beside its row goes under it", function()
  local rows = { { name = "a", size = 12345, why = "one two three four five six" } }
  assert_eq(format(rows, { width = 24 }), table.concat({
    "name   size",
    "----  -----",
    "a     12345",
    "    why: one two three",
    "    four five six",
  }, "\n"))
end)

test("record tables escape control bytes in cells", function()
  assert_eq(format({ { name = "a\nb" } }), "name\n----\na\\nb")
end)

test("lists that are not records print as Lua", function()
  assert_eq(format({ { a = 1 }, 2 }), "{ { a = 1 }, 2 }")
  assert_eq(format({ { a = { 1 } } }), "{ { a = { 1 } } }")
  assert_eq(format({ { 1, 2 } }), "{ { 1, 2 } }")
  -- Too many differing keys: not one table's rows.
  assert_eq(format({ { a = 1, b = 2, c = 3 }, { x = 1, y = 2, z = 3 } }),
    "{ { a = 1, b = 2, c = 3 }, { x = 1, y = 2, z = 3 } }")
  -- Extra non-array key: not a plain list.
  assert_eq(format({ { a = 1 }, n = 1 }), "{ { a = 1 }, n = 1 }")
end)

test("results join single-line values with tabs, else newlines", function()
  assert_eq(pretty.results(3, 1, nil, "x"), '1\tnil\t"x"')
  assert_eq(pretty.results(2, nil, nil), "nil\tnil")
  assert_eq(pretty.results(0), "")
  local tall = { a = ("y"):rep(80) }
  assert_eq(pretty.results(2, 1, tall), '1\n{\n  a = "' .. ("y"):rep(80) .. '"\n}')
end)

test("records may declare their columns and byte formats", function()
  local meta = { __columns = { "name", "ram" }, __formats = { ram = "bytes" } }
  local list = {
    setmetatable({ name = "pve1", ram = 20 * (1 << 30), notes = "hidden in the table" }, meta),
    setmetatable({ name = "pve2", ram = 512000000000, notes = "x" }, meta),
    setmetatable({ name = "sw1", notes = "no ram: a blank cell" }, meta),
    setmetatable({ name = "odd", ram = 1536 * (1 << 20) + 1, notes = "y" }, meta),
  }
  assert_eq(pretty.format(list), table.concat({
    "name      ram",
    "----  -------",
    "pve1   20 GiB",
    "pve2   512 GB",
    "sw1",
    "odd   1.5 GiB",
  }, "\n"))
end)
