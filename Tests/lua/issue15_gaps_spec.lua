-- Issue 15, the gaps an audit found after the contract was built: cross
-- references checked at load (uplinks, the names a backup source gives),
-- global options after -m NAME, and errors that blame the caller.
--
-- labsh runs in a state directory of its own, on the built-in homelab or an
-- edited copy of it.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end
local tmp = filesystem.temp_directory("labsh-issue15-gaps")

-- labsh with `args` (a list): status, stdout, stderr.
local function run(args, env)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  env = env or {}
  env.LABSH_STATE_DIR = tmp .. "/state"
  env.XDG_CONFIG_HOME = tmp .. "/no-config"
  env.XDG_DATA_HOME = tmp .. "/no-data"
  env.HOME = tmp
  env.LABSH_INVENTORY = false
  if env.LABSH_PATH == nil then env.LABSH_PATH = false end
  return lab.process.run { argv = argv, env = env, cwd = tmp, timeout = 120, read_only = true }
end

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function no_traceback(r, what)
  assert(not r.stderr:find("stack traceback", 1, true), what .. ": a traceback:\n" .. r.stderr)
end

-- The built-in homelab as a file, with `edit` applied to its text.
local function homelab_with(name, edit)
  local text = host.embedded("stdlib/labsh/homelab.lua")
  local edited, count = edit(text)
  assert(count and count > 0, name .. ": the edit matched nothing")
  local path = tmp .. "/" .. name .. ".lua"
  write_file(path, edited)
  return path
end

----------------------------------------------------------------------------
-- Cross references checked at load

test("an uplink that names no node fails inventory check, with a did-you-mean", function()
  local path = homelab_with("uplink", function(text) return text:gsub('uplinks = { "sw1" }', 'uplinks = { "sw9" }', 1) end)
  local r = run { "-m", "inventory", "check", path }
  no_traceback(r, "inventory check")
  assert_eq(r.status, 1, r.stdout .. r.stderr)
  assert(r.stderr:find("nodes[1].uplinks[1]: 'sw9' is not a node nor \"internet\" (did you mean 'sw1'?)", 1, true), r.stderr)
end)

test("uplinks to nodes and to \"internet\" still load", function()
  local r = run { "-m", "inventory", "check" }
  assert_eq(r.status, 0, r.stderr)
end)

-- A source of runs with one name right and one misspelt.
local function runs_source(second)
  local now = os.time()
  return { ["vm-lxc"] = { { time = now, ok = true } }, [second] = { { time = now, ok = true } } }
end

test("a backup source naming no backup of the inventory is an error with a did-you-mean", function()
  local ok, err = pcall(function() lab.backup.check { source = runs_source("databses") } end)
  assert(not ok, "a misspelt backup name was ignored")
  assert(tostring(err):find('the source names "databses", which is not a backup of the inventory; did you mean "databases"?',
                            1, true), tostring(err))
  assert(tostring(err):find("issue15_gaps_spec.lua:%d+:"), "blames the caller: " .. tostring(err))
end)

test("a snapshot whose backup field names no backup is an error; tags that are no backup stay ignored", function()
  local ok, err = pcall(lab.backup.check, { source = { { time = os.time(), backup = "vm-lcx" } } })
  assert(not ok)
  assert(tostring(err):find('did you mean "vm-lxc"?', 1, true), tostring(err))
  assert(pcall(lab.backup.check, { source = { { time = os.time(), tags = { "nightly", "vm-lxc" } } } }))
end)

test("check-backups --source with a misspelt backup name: UNKNOWN naming it, exit 3", function()
  local source = tmp .. "/runs.json"
  write_file(source, lab.json.encode(runs_source("databses")))
  local r = run { "-m", "check-backups", "--source", source }
  no_traceback(r, "check-backups")
  assert_eq(r.status, 3, r.stdout)
  assert(r.stdout:find('^BACKUPS UNKNOWN: backup.check: the source names "databses"'), r.stdout)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
