-- `labsh test [DIR...]` (issue 20): the runner of labsh's own specs for a
-- directory of *_spec.lua files, the current directory by default. It is
-- `labsh -m test`, unless the current directory holds a file named `test`:
-- lua runs a script file given by name, and so does labsh.

local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = os.getenv("PWD") .. "/" .. labsh end  -- the tests change directory
local tmp = filesystem.temp_directory("labsh-test-command-spec")

local function run(args, cwd)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return lab.process.run { argv = argv, cwd = cwd, timeout = 60,
    env = { LABSH_STATE_DIR = tmp .. "/state", XDG_CONFIG_HOME = tmp .. "/config" } }
end

local passing = tmp .. "/passing"
filesystem.make_directories(passing)
write_file(passing .. "/sum_spec.lua", 'test("adds", function() assert_eq(1 + 1, 2) end)\n')
local failing = tmp .. "/failing"
filesystem.make_directories(failing)
write_file(failing .. "/sum_spec.lua", 'test("adds wrongly", function() assert_eq(1 + 1, 3) end)\n')

test("labsh test DIR runs DIR's specs and ends with the summary line", function()
  local r = run { "test", passing }
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("1 passed, 0 failed", 1, true), r.stdout)
  r = run { "test", failing }
  assert_eq(r.status, 1, r.stdout .. r.stderr)
  assert(r.stdout:find("0 passed, 1 failed", 1, true), r.stdout)
end)

test("labsh test without DIR runs the current directory's specs", function()
  local r = run({ "test" }, passing)
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("1 passed, 0 failed", 1, true), r.stdout)
end)

test("a file named test in the current directory is run as a script, as lua would", function()
  local own = tmp .. "/own"
  filesystem.make_directories(own)
  write_file(own .. "/test", 'print("my own test script", ...)\n')
  local r = run({ "test", "a" }, own)
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "my own test script\ta\n")
end)

test("labsh test with a directory that has no specs is an error, not a pass", function()
  local empty = tmp .. "/empty"
  filesystem.make_directories(empty)
  local r = run { "test", empty }
  assert_eq(r.status, 1, r.stdout)
  assert(r.stderr:find("no *_spec.lua in", 1, true), r.stderr)
end)
