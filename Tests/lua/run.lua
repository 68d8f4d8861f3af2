-- A small spec runner in standard Lua, so it runs under `lua5.4` and under
-- `labsh` alike.
--
--   lua5.4 Tests/lua/run.lua Tests/lua/*_spec.lua
--
-- A spec file either calls test(name, fn) or returns { [name] = fn }. A test
-- passes when fn returns without raising. Modules load from stdlib/ under the
-- repository root: $LABSH_ROOT, else the current directory.
--
-- Output: one line per failure, then exactly one summary line
-- "N passed, M failed". The exit status is 1 when anything failed.

local root = os.getenv("LABSH_ROOT") or "."
package.path = ("%s/stdlib/?.lua;%s/stdlib/?/init.lua;"):format(root, root)
  .. package.path

----------------------------------------------------------------------------
-- Helpers the specs use (globals, so spec files need no require)

local function show(value)
  if type(value) == "string" then return ("%q"):format(value) end
  return tostring(value)
end

-- Raise at the spec's line, not here.
local function fail(what, detail)
  error((what and what .. ": " or "") .. detail, 3)
end

--- Fails unless actual == expected; strings are shown quoted, so a stray
--- space or newline is visible.
function assert_eq(actual, expected, what)
  if actual ~= expected then
    fail(what, ("expected %s\n     got %s"):format(show(expected), show(actual)))
  end
end

local function deep_equal(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for key, value in next, a do
    if not deep_equal(value, b[key]) then return false end
  end
  for key in next, b do
    if a[key] == nil then return false end
  end
  return true
end

local function list_text(list)
  local parts = {}
  for i, value in ipairs(list) do parts[i] = show(value) end
  return "{ " .. table.concat(parts, ", ") .. " }"
end

--- The whole content of a file, or nil when it cannot be read.
read_file = require("labsh.files").read

--- Writes `text` to `path` (the spec's own scratch files).
function write_file(path, text)
  local f = assert(io.open(path, "wb"))
  assert(f:write(text))
  assert(f:close())
end

--- A new temporary file holding `text`; returns its path.
function write_temp(text)
  local path = os.tmpname()
  write_file(path, text)
  return path
end

--- Runs fn(path) with the inventory in `text` as the current one (specs
--- under labsh); the previous inventory comes back, also when fn fails.
function with_inventory(text, fn)
  local path = write_temp(text)
  local previous = lab.inventory.path()
  local ok, err = pcall(function()
    lab.inventory.load(path)
    fn(path)
  end)
  lab.inventory.load(previous)
  os.remove(path)
  if not ok then error(err, 0) end
end

--- Runs the labsh under test with `args` (shell words), stderr dropped;
--- returns its stdout and exit code.
function run_labsh(args)
  local labsh = os.getenv("LABSH_BIN") or arg[-1]
  local p = assert(io.popen(("%s %s 2>/dev/null; echo \"rc=$?\""):format(labsh, args)))
  local out = p:read("a")
  p:close()
  local text, rc = out:match("^(.-)rc=(%d+)\n$")
  return text, tonumber(rc)
end

--- Fails unless two tables hold equal contents (compared deeply).
function assert_same(actual, expected, what)
  if not deep_equal(actual, expected) then
    fail(what, ("expected %s\n     got %s"):format(list_text(expected), list_text(actual)))
  end
end

----------------------------------------------------------------------------
-- Collecting and running

local tests = {}  -- { file = , name = , fn = } in the order they were found

local current_file
function test(name, fn)
  tests[#tests + 1] = { file = current_file, name = name, fn = fn }
end

-- Tests a spec returns as a table come in name order, to run the same way
-- every time.
local function add_returned(file, returned)
  local names = {}
  for name in pairs(returned) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    tests[#tests + 1] = { file = file, name = name, fn = returned[name] }
  end
end

local passed, failed = 0, 0

local function report_failure(file, name, message)
  failed = failed + 1
  io.stdout:write(("FAIL %s: %s\n  %s\n"):format(file, name, tostring(message)))
end

-- A spec file that cannot load or run counts as one failure.
local function load_spec(file)
  current_file = file
  local chunk, load_error = loadfile(file)
  if not chunk then return report_failure(file, "(loading)", load_error) end
  local ok, returned = pcall(chunk)
  if not ok then return report_failure(file, "(loading)", returned) end
  if type(returned) == "table" then add_returned(file, returned) end
end

local files = { ... }
if #files == 0 then
  io.stderr:write("usage: lua5.4 Tests/lua/run.lua SPEC.lua...\n")
  os.exit(2)
end

for _, file in ipairs(files) do load_spec(file) end

for _, t in ipairs(tests) do
  local ok, message = pcall(t.fn)
  if ok then
    passed = passed + 1
  else
    report_failure(t.file, t.name, message)
  end
end

io.stdout:write(("%d passed, %d failed\n"):format(passed, failed))
if failed > 0 then os.exit(1) end
