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

----------------------------------------------------------------------------
-- labsh's global options after -m NAME

test("a --format labsh cannot read after -m NAME is the script's usage error: 3 for a check, not labsh's 1", function()
  local r = run { "-m", "check-backups", "--format", "xml" }
  no_traceback(r, "check-backups --format xml")
  assert_eq(r.status, 3, r.stdout .. r.stderr)
  assert_eq(r.stdout, "BACKUPS UNKNOWN: --format must be text, json or html, not 'xml'\n")
  assert(r.stderr:find("^labsh %-m check%-backups: %-%-format must be text, json or html, not 'xml'\nusage: labsh %-m check%-backups"),
         r.stderr)
end)

test("a global option without its value after -m NAME: one line naming it and the script's usage, exit 2", function()
  for _, case in ipairs { { "capacity", "--inventory", "FILE" }, { "audit", "--format", "text|json|html" } } do
    local args = { "-m", case[1] }
    if case[1] == "audit" then args[#args + 1] = "tail" end
    args[#args + 1] = case[2]
    local r = run(args)
    assert_eq(r.status, 2, table.concat(args, " ") .. ": " .. r.stderr)
    local first = r.stderr:match("^[^\n]*")
    assert_eq(first, ("labsh -m %s: %s needs %s"):format(case[1], case[2], case[3]))
    assert(not r.stderr:find("Available options", 1, true), "labsh's own usage instead of the script's:\n" .. r.stderr)
  end
end)

-- A script on a LABSH_PATH of its own that never ends.
local path = tmp .. "/path"
filesystem.make_directories(path)
write_file(path .. "/spin.lua", "-- spin: runs until stopped.\nwhile true do end\n")

test("--timeout and --memory-limit after -m NAME mean what they mean before it", function()
  local r = run({ "-m", "spin", "--timeout", "0.2" }, { LABSH_PATH = path })
  assert_eq(r.status, 124, r.stderr)
  local small = run { "-m", "capacity", "--memory-limit", "64k" }
  assert_eq(small.status, 1, small.stderr)
  assert(small.stderr:find("not enough memory", 1, true), small.stderr)
  local bad = run { "-m", "capacity", "--timeout", "soon" }
  assert_eq(bad.status, 2, bad.stderr)
  assert_eq(bad.stderr:match("^[^\n]*"), "labsh -m capacity: bad value for --timeout: 'soon'")
end)

test("a script run as a file takes --format after its name through lab.cli; a bad one is a usage error", function()
  local script = tmp .. "/formats.lua"
  write_file(script, '-- formats: says its format.\nlab.cli.parse({ ... }, { name = "formats", formats = { "text", "json" } })\n'
    .. "print(lab.options.format)\n")
  local r = run { script, "--format", "json" }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "json\n")
  local bad = run { script, "--format=yaml" }
  assert_eq(bad.status, 2, bad.stderr)
  assert_eq(bad.stderr:match("^[^\n]*"), "labsh -m formats: --format must be text, json or html, not 'yaml'")
  local inventory = run { script, "--inventory", "x.lua" }
  assert_eq(inventory.status, 2, inventory.stderr)
  assert_eq(inventory.stderr:match("^[^\n]*"), "labsh -m formats: --inventory is labsh's own: give it before the script's name")
end)

----------------------------------------------------------------------------
-- Errors blame the caller

test("lab.check with a bad spec: stderr blames the caller's line, not lab/check.lua", function()
  local r = run { "-e", 'lab.check{name = "x", value = 5, warn = "abc"}' }
  assert_eq(r.status, 3, r.stdout .. r.stderr)
  assert_eq(r.stderr, "(command line):1: threshold 'abc' is not a range (10, 10:, ~:10, 10:20, @10:20)\n")
  local script = tmp .. "/bad-status.lua"
  write_file(script, '\n\nlab.check{ name = "y", status = "MEH" }\n')
  local s = run { script }
  assert_eq(s.status, 3)
  assert_eq(s.stderr, script .. ":3: lab.check: status 'MEH' is not OK, WARNING, CRITICAL or UNKNOWN\n")
end)

test("a check's status line drops the position of code run with -e or load", function()
  for _, code in ipairs { 'error("boom")', 'load(\'error("boom")\')()' } do
    local r = run { "-e", ('lab.check.guard("Z", function() %s end)'):format(code) }
    assert_eq(r.status, 3, r.stderr)
    assert_eq(r.stdout, "Z UNKNOWN: boom\n")
  end
  local r = run { "-e", 'lab.check.guard("Z", function() error("cannot connect 127.0.0.1:80: refused", 0) end)' }
  assert_eq(r.stdout, "Z UNKNOWN: cannot connect 127.0.0.1:80: refused\n", "a message without a position stays whole")
end)

test("check-backups --format json: a usage error or a failure is still one JSON document on stdout, exit 3", function()
  local source = tmp .. "/runs.json"
  write_file(source, lab.json.encode(runs_source("databses")))
  for _, args in ipairs {
    { "--format", "json", "-m", "check-backups", "--no-such-option" },
    { "-m", "check-backups", "restic", "--format", "json" },
    { "--format", "json", "--inventory", tmp .. "/missing.lua", "-m", "check-backups" },
    { "--format", "json", "-m", "check-backups", "--source", source },
  } do
    local r = run(args)
    local what = table.concat(args, " ")
    no_traceback(r, what)
    assert_eq(r.status, 3, what .. ": " .. r.stdout .. r.stderr)
    local ok, doc = pcall(lab.json.decode, r.stdout)
    assert(ok and type(doc) == "table", what .. ": not one JSON document:\n" .. r.stdout)
    assert_eq(doc.status, "UNKNOWN", what)
    assert_eq(doc.name, "BACKUPS", what)
    assert(type(doc.reason) == "string" and doc.reason ~= "", what)
  end
end)

----------------------------------------------------------------------------
-- Queries check their filters: the ones the first pass left out

-- The message of the error fn raises, which must blame this file.
local function error_of(fn)
  local ok, err = pcall(fn)
  assert(not ok, "no error")
  err = tostring(err)
  assert(err:find("^[^\n]*issue15_gaps_spec%.lua:%d+: "), "does not blame the caller: " .. err)
  return err
end

test("lab.vlans checks its filter: a misspelt key or value is an error, not every VLAN", function()
  local err = error_of(function() lab.vlans { zon = "k8s" } end)
  assert(err:find([[bad argument #1 to 'lab.vlans' (unknown filter key "zon"; did you mean "zone"?)]], 1, true), err)
  err = error_of(function() lab.vlans { zone = "k8z" } end)
  assert(err:find([[(unknown zone "k8z"; did you mean "k8s"?)]], 1, true), err)
  err = error_of(function() lab.vlans("k8s") end)
  assert(err:find([[for one by name: lab.vlan("k8s")]], 1, true), err)
  assert_eq(#lab.vlans(), 5)
  assert_eq(#lab.vlans { trust = "high" }, 1)
  assert_eq(#lab.vlans { id = { 10, 20 } }, 2)
end)

test("lab.alert.rules checks its filter keys", function()
  local err = error_of(function() lab.alert.rules { sevrity = "P1" } end)
  assert(err:find([[bad argument #1 to 'lab.alert.rules' (unknown filter key "sevrity"; did you mean "severity"?)]], 1, true), err)
  assert(#lab.alert.rules { severity = "P1" } < #lab.alert.rules())
  assert_eq(lab.alert.rule("no-such-rule"), nil, "lab.alert.rule still answers nil for a name it has not")
end)

test("lab.backup.check checks its option keys: a misspelt source is no silent UNKNOWN everywhere", function()
  local err = error_of(function() lab.backup.check { sorce = {} } end)
  assert(err:find([[bad argument #1 to 'lab.backup.check' (unknown option "sorce"; did you mean "source"?)]], 1, true), err)
  assert_eq(#lab.backup.check { now = 0, tz = "UTC" }, #lab.backup.check())
end)

test("lab.alert.evaluate and lab.slo.report check their option keys", function()
  local err = error_of(function() lab.alert.evaluate { sevrity = "P1" } end)
  assert(err:find([[bad argument #1 to 'lab.alert.evaluate' (unknown option "sevrity"; did you mean "severity"?)]], 1, true), err)
  err = error_of(function() lab.slo.report { promethus = "http://127.0.0.1:1" } end)
  assert(err:find([[bad argument #1 to 'lab.slo.report' (unknown option "promethus"; did you mean "prometheus"?)]], 1, true), err)
end)

test("a report section that fails says why without a position in labsh's own files", function()
  local source = tmp .. "/runs.json"
  write_file(source, lab.json.encode(runs_source("databses")))
  for _, backups in ipairs { tmp .. "/missing.json", source } do
    local r = run { "--format", "json", "-m", "report", "--section", "backups", "--backups", backups }
    assert_eq(r.status, 1, r.stderr)
    local section = lab.json.decode(r.stdout).sections[1]
    assert_eq(section.status, "error")
    assert(section.summary:find("^error: backup%.check: "), section.summary)
    assert(not section.summary:find("labsh:", 1, true), section.summary)
  end
end)

test("a usage error stays one line: a newline or an escape sequence the user typed is shown escaped", function()
  local r = run { "-m", "audit", "tail", "-n", "1\nfake: line" }
  assert_eq(r.status, 2)
  assert_eq(r.stderr:match("^[^\n]*"), [[labsh -m audit: -n must be a whole number from 1, not '1\nfake: line']])
  assert(r.stderr:find("^[^\n]*\nusage: labsh %-m audit"), r.stderr)
  local e = run { "-m", "audit", "tail", "--bad\27[2Jopt" }
  assert_eq(e.stderr:match("^[^\n]*"), [[labsh -m audit: unknown option '--bad\27[2Jopt']])
  local check = run { "-m", "check-backups", "--x\ny" }
  assert_eq(check.status, 3)
  assert_eq(check.stdout, "BACKUPS UNKNOWN: unknown option '--x\\ny'\n")
end)

----------------------------------------------------------------------------
-- Tables fit the terminal in scripts too

test("jobs list and history fit COLUMNS (60, 80), the file whole under its row; one line per job at 200", function()
  local jobs = {}
  for _, j in ipairs(lab.json.decode(run({ "--format", "json", "-m", "jobs", "list" }).stdout)) do jobs[#jobs + 1] = j.name end
  assert(#jobs > 3, "the built-in homelab's jobs")
  for _, width in ipairs { 60, 80 } do
    for _, command in ipairs { "list", "history" } do
      local r = run({ "-m", "jobs", command }, { COLUMNS = tostring(width) })
      assert_eq(r.status, 0, r.stderr)
      local table_part = r.stdout:match("^(.-)\n\n") or r.stdout  -- history ends with a note in prose
      for line in table_part:gmatch("[^\n]+") do
        assert(utf8.len(line) <= width, ("jobs %s at %d: a line of %d columns:\n%s"):format(command, width, utf8.len(line), r.stdout))
      end
      for _, name in ipairs(jobs) do assert(r.stdout:find(name, 1, true), name .. " missing:\n" .. r.stdout) end
    end
    local list = run({ "-m", "jobs", "list" }, { COLUMNS = tostring(width) })
    assert(list.stdout:find("\n    FILE: inventory jobs%[%d%]\n"), list.stdout)
  end
  local wide = run({ "-m", "jobs", "list" }, { COLUMNS = "200" })
  assert(wide.stdout:find("^JOB +SCHEDULE +NEXT +LAST +FILE\n"), wide.stdout)
  assert_eq(select(2, wide.stdout:gsub("\n", "")), #jobs + 2, "one line per job at 200 columns")
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
