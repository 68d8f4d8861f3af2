-- The spec runner of labsh's own tests and of shared libraries' specs
-- (`labsh -m test`), in standard Lua: it runs under `lua5.4` and `labsh`.
--
-- A spec file either calls test(name, fn) or returns { [name] = fn }. A test
-- passes when fn returns without raising. Output: one line per failure,
-- then exactly one summary line "N passed, M failed".

local spec = {}

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

--- Runs a shell command line; returns what it printed (stdout, then
--- stderr where the command sends it: add 2>&1 to keep both) and its exit code.
function run_shell(command)
  local p = assert(io.popen(command .. "; echo \"rc=$?\""))
  local out = p:read("a")
  p:close()
  local text, rc = out:match("^(.-)rc=(%d+)\n$")
  return text, tonumber(rc)
end

--- Runs the labsh under test with `args` (shell words), stderr dropped;
--- returns its stdout and exit code.
function run_labsh(args)
  return run_shell(("%s %s 2>/dev/null"):format(os.getenv("LABSH_BIN") or arg[-1], args))
end

--- Fails unless two tables hold equal contents (compared deeply).
function assert_same(actual, expected, what)
  if not deep_equal(actual, expected) then
    fail(what, ("expected %s\n     got %s"):format(list_text(expected), list_text(actual)))
  end
end

--- Runs `name` as `labsh -m NAME ARGS...` would, in a child labsh (specs
--- under labsh): the library under test (spec.library) first on its script path (and
--- opts.path, a list of directories, after it), its own new state directory
--- (opts.state_dir to choose one; the trust records are copied into it),
--- opts.inventory (a file), opts.dry_run, opts.stdin, opts.env (variables to
--- add). Returns {status =, stdout =, stderr =, state_dir =}.
function run_script(name, args, opts)
  opts = opts or {}
  local state_dir = opts.state_dir or temp_dir()
  local trusted = read_file(require("labsh.library").record())
  if trusted then require("labsh.filesystem").write_private(state_dir .. "/trusted-libraries", trusted) end
  local path = { spec.library }
  for _, dir in ipairs(opts.path or {}) do path[#path + 1] = dir end
  local env = { LABSH_PATH = table.concat(path, ":"), LABSH_STATE_DIR = state_dir }
  for key, value in pairs(opts.env or {}) do env[key] = value end
  local argv = { os.getenv("LABSH_BIN") or require("labsh.os").executable() }
  if opts.inventory then argv[#argv + 1] = "--inventory=" .. opts.inventory end
  if opts.dry_run then argv[#argv + 1] = "--dry-run" end
  argv[#argv + 1] = "-m"
  argv[#argv + 1] = name
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local result = lab.process.run { argv = argv, env = env, stdin = opts.stdin, timeout = opts.timeout or 60,
                                   read_only = true }
  return { status = result.status, stdout = result.stdout, stderr = result.stderr, state_dir = state_dir }
end

--- A new empty private directory for one test (labsh.filesystem).
function temp_dir()
  return require("labsh.filesystem").temp_directory()
end

--- Runs `name` under --dry-run (run_script's opts) and fails unless it
--- exited 0 and changed nothing in the directories of opts.watch (their
--- files, sizes and contents before and after). Returns run_script's result.
function assert_dry_run_changes_nothing(name, args, opts)
  opts = opts or {}
  local function snapshot()
    local seen = {}
    for _, dir in ipairs(opts.watch or {}) do
      local p = assert(io.popen(("find '%s' -type f -exec sha256sum {} + 2>/dev/null | sort"):format(dir:gsub("'", "'\\''"))))
      seen[#seen + 1] = p:read("a")
      p:close()
    end
    return table.concat(seen, "\n")
  end
  local before = snapshot()
  local dry = {}
  for key, value in pairs(opts) do dry[key] = value end
  dry.dry_run = true
  local result = run_script(name, args, dry)
  if result.status ~= 0 then fail(name, ("--dry-run exited %s: %s"):format(tostring(result.status), result.stderr)) end
  if snapshot() ~= before then fail(name, "--dry-run changed files in " .. table.concat(opts.watch, ", ")) end
  return result
end

----------------------------------------------------------------------------
-- Collecting and running

local tests = {}  -- { file = , name = , fn = } in the order they were found

local current_file
function test(name, fn)
  tests[#tests + 1] = { file = current_file, name = name, fn = fn, library = spec.library }
end

-- Tests a spec returns as a table come in name order, to run the same way
-- every time.
local function add_returned(file, returned)
  local names = {}
  for name in pairs(returned) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    tests[#tests + 1] = { file = file, name = name, fn = returned[name], library = spec.library }
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

--- Runs the spec files; prints a line per failure and the summary line.
--- `libraries` maps a spec file to the library it tests (run_script runs
--- that library's scripts). Returns the counts passed, failed.
function spec.run(files, libraries)
  for _, file in ipairs(files) do
    spec.library = (libraries or {})[file]
    load_spec(file)
  end
  for _, t in ipairs(tests) do
    spec.library = t.library
    local ok, message = pcall(t.fn)
    if ok then
      passed = passed + 1
    else
      report_failure(t.file, t.name, message)
    end
  end
  io.stdout:write(("%d passed, %d failed\n"):format(passed, failed))
  return passed, failed
end

return spec
