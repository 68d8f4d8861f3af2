-- An inventory is data evaluated where nothing it does reaches labsh (issue
-- 13, findings 1 and 2), in the spirit of Redis's scripting tests: each
-- hostile inventory runs in a child labsh (under an outer `timeout`, so a
-- regression fails instead of hanging), and the child then checks that its
-- own libraries, metatables and globals are as they were.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-inventory-sandbox-spec")

-- A valid inventory, for attacks that then return something loadable.
local VALID = [[
return {
  site = { name = "tiny", domain = "tiny.local", timezone = "UTC" },
  nodes = { { name = "a", kind = "hypervisor", address = "10.0.0.5", ram = "8GiB", vlans = { 10 } } },
  vlans = { { id = 10, name = "m", subnet = "10.0.0.0/24", gateway = "10.0.0.1", zone = "m", trust = "high" } },
  policy = { default = "deny", rules = {} },
}
]]

-- Run in the child after the attack: loads the inventory, says how that
-- went, then names every host library, metatable or global that changed.
local PROBE = [[
local ok, err = pcall(lab.inventory.load, lab.inventory.path())
print(ok and "loaded" or "refused: " .. tostring(type(err) == "table" and err.message or err))
if not ok then lab.inventory.load() end
local nodes = #lab.nodes()
local changed = {}
local function expect(what, good) if not good then changed[#changed + 1] = what end end
expect("string.upper", ("x"):upper() == "X" and string.upper("y") == "Y")
expect("table.concat", table.concat({ "a", "b" }, "-") == "a-b")
expect("string metatable", getmetatable("").__index == string and "10" + 1 == 11
  and getmetatable("").__concat == nil)
expect("string.rep", ("ab"):rep(2) == "abab")
expect("_G metatable", getmetatable(_G) == nil)
expect("next/pairs/ipairs", next({ 7 }) == 1 and select("#", pairs({})) == 3 and ipairs({ 7 }) ~= nil)
expect("tostring/type", tostring(1) == "1" and type("") == "string")
expect("math", math.floor(1.5) == 1 and math.huge > 0)
expect("system libraries", type(io) == "table" and type(os) == "table" and type(require) == "function"
  and type(load) == "function" and type(string.dump) == "function" and type(debug) == "table")
expect("a template renders", require("labsh.template").render("a{{ 1 + 1 }}b", {}) == "a2b")
print(("nodes=%d changed=%s"):format(nodes, #changed == 0 and "none" or table.concat(changed, ",")))
]]

local count = 0

-- Writes `inventory` to a file of its own and runs `code` (default: the
-- probe) in a child labsh that uses it. Returns the child's result.
local function child(inventory, code, extra)
  count = count + 1
  local path = ("%s/inv%d.lua"):format(tmp, count)
  write_file(path, inventory)
  local argv = { "timeout", "20", labsh, "--inventory", path }
  for _, a in ipairs(extra or {}) do argv[#argv + 1] = a end
  if code ~= false then argv[#argv + 1], argv[#argv + 2] = "-e", code or PROBE end
  local r = lab.process.run { argv = argv, timeout = 30 }
  r.path = path
  return r
end

-- The inventory loads as data and the host is intact.
local function loads(inventory)
  local r = child(inventory)
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "loaded\nnodes=1 changed=none\n")
end

-- The inventory is refused with `message` (after the file name) and the
-- host is intact.
local function refused(inventory, message)
  local r = child(inventory)
  assert_eq(r.status, 0, r.stderr)
  local reason = r.stdout:match("^refused: (.-)\n")
  assert(reason, r.stdout)
  assert(reason:find(message, 1, true), ("expected %q in %q"):format(message, reason))
  assert(r.stdout:find("\nnodes=9 changed=none\n", 1, true), r.stdout)
  return reason, r.path
end

-- ---- Finding 1: the inventory shared the host's libraries -------------------

test("an inventory that replaces string.upper does not change it in labsh", function()
  local r = child('string.upper = function() return "HACKED" end\n' .. VALID,
                  'lab.nodes(); print(("x"):upper())')
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "X\n")
  loads('string.upper = function() return "HACKED" end\n' .. VALID)
end)

test("an inventory that replaces table.concat cannot inject code into labsh.template or a later script", function()
  local marker = tmp .. "/pwned"
  -- read_only gets past --dry-run (and is left out where labsh does not know it).
  local injected = ('lab.process.run { argv = { "touch", %q }, read_only = lab.options.dry_run or nil }')
    :format(marker)
  local attack = ("table.concat = function() return %q end\n"):format(injected)
  local r = child(attack .. VALID,
                  'lab.nodes(); print(require("labsh.template").render("a{{ 1 + 1 }}b", {}), table.concat({ "x", "y" }))')
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "a2b\txy\n")
  assert_eq(io.open(marker) and "the injected command ran" or "nothing ran", "nothing ran")
  -- The issue's own reproduction: a shared inventory, a dry run of a playbook.
  local homelab = ("return (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
  r = child(attack .. homelab, false, { "--dry-run", "-m", "proxmox-setup" })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(io.open(marker) and "the injected command ran" or "nothing ran", "nothing ran")
end)

-- ---- Finding 2: the inventory had no time limit ----------------------------------

test("an endless loop in an inventory ends with a clear error and exit 1, not a hang", function()
  local r = child("while true do end\n" .. VALID, "print(#lab.nodes())")
  assert_eq(r.status, 1, "124 would be the outer timeout: a hang")
  assert(r.stderr:find(r.path .. ": took more than 2 s of CPU time to evaluate", 1, true), r.stderr)
  r = child("while true do end\n", false, { "-m", "inventory", "check" })
  assert_eq(r.status, 1, r.stderr)
  assert(r.stderr:find("took more than 2 s of CPU time to evaluate", 1, true), r.stderr)
end)

-- labsh on `inventory` in the background ($pid), then `signals`: a shell
-- script that signals it and waits for it.
local function signalled(inventory, signals)
  count = count + 1
  local path = ("%s/inv%d.lua"):format(tmp, count)
  write_file(path, inventory)
  local script = '"$0" --inventory "$1" -e "print(#lab.nodes())" & pid=$!; ' .. signals .. '; wait $pid'
  return lab.process.run { argv = { "sh", "-c", script, labsh, path }, timeout = 30 }
end

test("the budget is CPU time: an inventory paused by a busy machine still loads", function()
  -- Paused for 2.5 s of wall time while it evaluates, as a loaded machine
  -- would; it used well under 2 s of CPU, so it is not refused.
  local r = signalled("for _ = 1, 3e7 do end\n" .. VALID, "sleep 0.1; kill -STOP $pid; sleep 2.5; kill -CONT $pid")
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "1\n")
end)

test("a loop that catches the time error with pcall still ends", function()
  local reason = refused("while true do pcall(function() while true do end end) end\n" .. VALID,
                         "took more than 2 s of CPU time to evaluate")
  assert(not reason:find("stopped", 1, true), reason)
end)

test("a library function that runs for hours ends labsh after the budget", function()
  for _, stuck in ipairs {
    'local s = ("a"):rep(3000); s:find(".-.-.-.-.-b")',  -- a pattern that backtracks
    'string.rep("", 1e18)',                               -- no Lua instruction to count
    "table.move({}, 1, math.maxinteger - 1, 2)",
  } do
    local r = child(stuck .. "\n" .. VALID)
    assert_eq(r.status, 1, "124 would be the outer timeout: a hang")
    assert(r.stderr:find("took more than 2 s of CPU time to evaluate (stuck in a library function; forced exit)", 1, true),
           r.stderr)
  end
end)

test("--timeout stops an inventory that is still evaluating", function()
  local r = child("while true do end\n" .. VALID, "print(#lab.nodes())", { "--timeout", "1" })
  assert_eq(r.status, 124, r.stderr)
  assert(not r.stderr:find("took more than 2 s", 1, true), "the stop, not the budget: " .. r.stderr)
end)

test("Ctrl-C stops an inventory that is still evaluating: exit 130", function()
  local r = signalled("while true do end\n" .. VALID, "sleep 0.5; kill -INT $pid")
  assert_eq(r.status, 130, r.stderr)
  assert(not r.stderr:find("took more than", 1, true), r.stderr)
end)

-- ---- The escape suite -----------------------------------------------------------

test("setmetatable(_G, ...) stays inside the inventory", function()
  loads("setmetatable(_G, nil)\n" .. VALID)
  loads("setmetatable(_G, { __index = function() error('boom') end, __newindex = function() end })\n"
    .. "rawset(_G, 'tostring', nil)\n" .. VALID)
end)

test("the string metatable and the libraries it reaches stay inside the inventory", function()
  loads([[
local mt = getmetatable("")
mt.__index = { upper = function() return "HACKED" end }
mt.__add = function() return "HACKED" end
rawset(mt, "__concat", function() return "HACKED" end)
]] .. VALID)
  loads([[
getmetatable("").__index.upper = function() return "HACKED" end
rawset(string, "rep", function() return "HACKED" end)
rawset(table, "concat", function() return "HACKED" end)
math.floor = nil
]] .. VALID)
end)

test("next, pairs, ipairs, tostring and type overrides stay inside the inventory", function()
  loads([[
next = function() return nil end
pairs = function() return function() end end
ipairs = nil
tostring = function() return "HACKED" end
type = function() return "HACKED" end
]] .. VALID)
end)

test("no way to the system, to bytecode or to the debug library", function()
  loads([[
assert(io == nil and os == nil and debug == nil and package == nil and require == nil)
assert(lab == nil and labsh == nil, "labsh's own globals")
assert(load == nil and loadfile == nil and dofile == nil, "no loading of code")
assert(string.dump == nil and ("").dump == nil, "no bytecode")
assert(print == nil and warn == nil, "no output")
assert(collectgarbage == nil and coroutine == nil)
]] .. VALID)
end)

test("a binary chunk as the inventory file is refused", function()
  local r = child(string.dump(load(VALID)))
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("attempt to load a binary chunk", 1, true), r.stdout)
  assert(r.stdout:find("\nnodes=9 changed=none\n", 1, true), r.stdout)
end)

test("memory bombs end with a clear memory error", function()
  refused('local s = string.rep("x", 1 << 30)\n' .. VALID, ": used more than 256 MiB")
  refused('local s = "x" for _ = 1, 40 do s = s .. s end\n' .. VALID, ": used more than 256 MiB")
  refused("local t = {} for i = 1, 1e9 do t[i] = i end\n" .. VALID, ": used more than 256 MiB")
  refused('local t = {} for i = 1, 1e9 do t[i] = { i } end\n' .. VALID, ": used more than 256 MiB")
  -- A few tables that refer to each other 2^40 times over: small in the
  -- file, a bomb once read as a tree.
  refused('local t = { "x" } for _ = 1, 40 do t = { t, t } end\nreturn { site = t }', ": used more than 256 MiB")
  -- Catching the memory error does not make the file any better.
  refused('pcall(string.rep, "x", 1 << 30)\n' .. VALID, ": used more than 256 MiB")
end)

test("finalizers are refused: they would run outside the budget", function()
  refused("setmetatable({}, { __gc = function() while true do end end })\n" .. VALID,
          "__gc metamethods are not available in an inventory")
end)

test("only plain data comes out: metatables, functions, cycles are refused with their key path", function()
  local with_data = VALID:gsub("^return ", "local inv = ")
  local reason, path = refused(with_data .. [[
return setmetatable(inv, { __index = function() return "HACKED" end, __pairs = function() end })]],
    ": (top level): a table with a metatable cannot be inventory data")
  assert_eq(reason:sub(1, #path + 2), path .. ": ")
  refused(with_data .. "setmetatable(inv.nodes[1], { __index = { ram = '1TiB' } })\nreturn inv",
          ": nodes[1]: a table with a metatable cannot be inventory data")
  refused("return function() end", ": (top level): function values cannot be inventory data")
  refused(with_data .. "inv.nodes[1].notes = tostring\nreturn inv",
          ": nodes[1].notes: function values cannot be inventory data")
  refused(with_data .. "inv.site.self = inv\nreturn inv",
          ": site.self: a table that contains itself (a cycle) cannot be inventory data")
  refused(with_data .. "inv.site[{}] = 1\nreturn inv", ": site: table keys cannot be inventory data")
  refused("local t = {} for _ = 1, 200 do t = { t } end return t",
          "tables are nested too deep to be inventory data")
end)

test("a refusal points at the line of the key", function()
  local reason, path = refused([[
return { site = { name = "tiny", domain = "tiny.local", timezone = "UTC" },
  nodes = {
    { name = "a", kind = "hypervisor", address = "10.0.0.5",
      notes = tostring },
  } }]], "function values cannot be inventory data")
  assert_eq(reason, path .. ":4: nodes[1].notes: function values cannot be inventory data")
end)

test("a table used twice is data, shared as in the file", function()
  local r = child([[
local tags = { "shared" }
local inv = (function() ]] .. VALID .. [[ end)()
inv.nodes[2] = { name = "b", kind = "hypervisor", address = "10.0.0.6", ram = "8GiB", vlans = { 10 }, tags = tags }
inv.nodes[1].tags = tags
return inv]], 'local nodes = lab.inventory.current().nodes print(nodes[1].tags[1], nodes[2].tags[1])')
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "shared\tshared\n")
end)

test("an error in the inventory names its file and line; a non-string error says its type; a huge one is cut", function()
  refused('\nerror("no site yet")\n' .. VALID, ":2: no site yet")
  refused("error({})\n" .. VALID, "(error object is a table value)")
  local long = refused('error(("x"):rep(1e6))\n' .. VALID, "xxx [...]")
  assert(#long < 5000, #long)
end)

-- ---- Jobs in an inventory are data too ----------------------------------------------

test("an inventory's job runs a script by name; a function job is refused with where it belongs", function()
  local with_jobs = VALID:gsub("^return ", "local inv = ")
  local r = child(with_jobs .. 'inv.jobs = { { name = "nightly", schedule = "@daily", run = { "demo", "--quiet" } } }\n'
    .. "return inv", false, { "-m", "jobs", "list" })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("nightly", 1, true), r.stdout)
  local reason = refused(with_jobs .. 'inv.jobs = { { name = "x", run = function() end } }\nreturn inv',
                         "jobs[1].run: function values cannot be inventory data")
  assert(reason:find("belongs in a job file, jobs/NAME.lua", 1, true), reason)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
