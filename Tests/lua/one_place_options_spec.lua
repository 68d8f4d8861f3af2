-- One rule, one place (issue 17 item 8): every Swift binding reads its
-- options table with LuaHost's LuaOptions. A misspelt option used to be
-- skipped silently by several of them (lab.schedule.next, lab.backup.prune's
-- options, lab.ansible.import, labsh.filesystem.state_file, labsh.sim); now each
-- one refuses it, naming the caller's argument.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

-- The message of the error that fn(...) raises.
local function error_of(...)
  local outcome = table.pack(pcall(...))
  assert(not outcome[1], "expected an error")
  return tostring(outcome[2])
end

-- "bad argument #n to 'f' (why)": the function's name is as Lua finds it
-- (lab.backup.prune, labsh.sim.spof), so `part` leaves it out.
local function assert_has(text, part)
  local n, why = part:match("^bad argument #(%d+) %((.*)$")
  if n then
    assert(text:find("bad argument #" .. n .. " to '", 1, true), ("%q blames no argument #%s"):format(text, n))
    part = "' (" .. why
  end
  assert(text:find(part, 1, true), ("%q lacks %q"):format(text, part))
end

test("lab.schedule.next refuses an option it does not know", function()
  assert_has(error_of(lab.schedule.next, "@daily", { cuont = 3 }),
    "bad argument #2 (unknown option 'cuont' (options are from, count, tz))")
  assert_has(error_of(lab.schedule.next, "@daily", { count = "3" }), "count must be an integer")
  assert_eq(#lab.schedule.next("@daily", { count = 3 }), 3)
end)

test("lab.backup.prune: the policy's keys and the options are both checked", function()
  local snapshots = { { time = 1700000000, host = "a" } }
  assert_has(error_of(lab.backup.prune, snapshots, { daily = 1 }, { semantcs = "pbs" }),
    "bad argument #3 (unknown option 'semantcs' (options are semantics, group_by, now))")
  assert_has(error_of(lab.backup.prune, snapshots, { fortnightly = 1 }),
    "bad argument #2 (unknown key 'fortnightly' (keys are last, hourly, daily,")
  assert_has(error_of(lab.backup.prune, snapshots, { daily = "7" }), "bad argument #2 (daily must be an integer)")
  assert_eq(#lab.backup.prune(snapshots, { daily = 1 }, { semantics = "pbs" }).keep, 1)
end)

test("lab.ansible.import and load refuse unknown options and readers", function()
  assert_has(error_of(lab.ansible.import, "/nonexistent", { raeder = "builtin" }),
    "bad argument #2 (unknown option 'raeder' (options are reader))")
  assert_has(error_of(lab.ansible.load, "/nonexistent", { reader = "yaml" }),
    "bad argument #2 (reader 'yaml' is not one of ansible, builtin)")
end)

test("labsh.filesystem.state_file: a misspelt 'secret' no longer leaves a secret readable by others", function()
  local dir = filesystem.temp_directory("labsh-options-spec")
  assert_has(error_of(filesystem.state_file, dir .. "/db", { secrte = true }),
    "bad argument #2 (unknown option 'secrte' (options are secret, create))")
  filesystem.state_file(dir .. "/db", { secret = true })
  filesystem.remove_tree(dir)
end)

test("labsh.sim checks its options itself, not only lab.sim's Lua wrapper", function()
  local sim = require "labsh.sim"
  local model = lab.inventory.model()
  assert_has(error_of(sim.n_minus_1, model, { repiar = 1 }),
    "bad argument #2 (unknown option 'repiar' (options are ram_reserve, cpu_ratio, repair))")
  assert_has(error_of(sim.spof, model, { cpu_ratio = "2" }), "bad argument #2 (cpu_ratio must be a number)")
end)

test("lab.gen's exports take no options, and say so", function()
  assert_has(error_of(lab.gen.prometheus_rules, { 1 }), "options are named (), not a list")
end)

test("a severity is one of the catalogue's", function()
  assert_has(error_of(require("labsh.alert").rules, lab.inventory.model(), "P5"),
    "bad argument #2 (severity 'P5' is not one of P1, P2, P3, P4)")
end)

test("lab.json: a misspelt sort_keys is refused, not an unsorted object", function()
  assert_has(error_of(lab.json.encode, { b = 1, a = 2 }, { sort_key = true }),
    "bad argument #2 (unknown option 'sort_key' (options are pretty, sort_keys))")
  assert_eq(lab.json.encode({ b = 1, a = 2 }, { sort_keys = true }), '{"a":2,"b":1}')
  assert_has(error_of(lab.json.decode, "null", { nul = false }), "bad argument #2 (unknown option 'nul' (options are null))")
  assert_eq(lab.json.decode("null", { null = false }), false)
end)
