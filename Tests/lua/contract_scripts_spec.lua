-- One contract for every script (issue 15, labsh.cli): every shipped
-- script and playbook, listed from scripts/ and scripts/playbooks/ so a new
-- one is covered without editing this file, is run with --help (exit 0,
-- usage on stdout), with an unknown option (exit 2, 3 for a Nagios check:
-- one line naming it, then the usage, on stderr; never a traceback), with a
-- missing required argument where it has one, and with --format json (one
-- JSON document on stdout, or a refusal with exit 2). Then each
-- reproduction of the issue, as its own test.
--
-- Everything runs with --dry-run where a script could change anything, in
-- a state directory of its own, on the built-in homelab.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
if not labsh:find("^/") then labsh = assert(os.getenv("PWD")) .. "/" .. labsh end  -- runs in other directories too
local tmp = filesystem.temp_directory("labsh-contract-spec")

-- labsh with `args` (a list): status, stdout, stderr.
local function run(args, env, cwd)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  env = env or {}
  env.LABSH_STATE_DIR = env.LABSH_STATE_DIR or (tmp .. "/state")
  env.XDG_CONFIG_HOME = env.XDG_CONFIG_HOME or (tmp .. "/no-config")
  env.XDG_DATA_HOME = env.XDG_DATA_HOME or (tmp .. "/no-data")
  if env.LABSH_INVENTORY == nil then env.LABSH_INVENTORY = false end
  if env.LABSH_PATH == nil then env.LABSH_PATH = false end
  return lab.process.run { argv = argv, env = env, cwd = cwd, timeout = 120, read_only = true }
end

local function no_traceback(r, what)
  assert(not r.stderr:find("stack traceback", 1, true), what .. ": a traceback:\n" .. r.stderr)
  assert(not r.stdout:find("stack traceback", 1, true), what .. ": a traceback on stdout:\n" .. r.stdout)
end

-- The shipped scripts, by the name -m runs them under.
local function shipped()
  local names = {}
  for _, dir in ipairs { "scripts", "scripts/playbooks" } do
    local r = lab.process.run { argv = { "find", dir, "-maxdepth", "1", "-name", "*.lua", "-printf", "%f\n" },
                                read_only = true }
    assert_eq(r.status, 0, r.stderr)
    for file in r.stdout:gmatch("[^\n]+") do names[#names + 1] = file:gsub("%.lua$", "") end
  end
  table.sort(names)
  assert(#names >= 20, "found only " .. #names .. " scripts: run from the repository's top directory")
  return names
end

-- A Monitoring Plugins check says so in its --help (exit 3 UNKNOWN).
local help_cache = {}
local function help_of(name)
  help_cache[name] = help_cache[name] or run { "-m", name, "--help" }
  return help_cache[name]
end
local function is_check(name) return help_of(name).stdout:find("3 UNKNOWN", 1, true) ~= nil end

-- Scripts with a required argument, and the arguments that leave it out.
local MISSING = {
  audit = {}, inventory = {}, jobs = {}, gen = {}, ["backup-drill"] = {}, ["node-failure"] = {},
  ["backup-restore"] = {}, ["patch-window"] = {}, pve = {}, library = { "status" },
  ["check-backups"] = { "restic" },
}

-- Arguments for a run with --format json that changes nothing (with --dry-run).
local JSON_ARGS = {
  audit = { "tail" }, jobs = { "list" }, inventory = { "check" }, gen = { "prometheus-rules" },
  ["node-failure"] = { "pve4" }, ["backup-drill"] = { tmp .. "/no-repo" },
  ["backup-restore"] = { "--repo", tmp .. "/no-repo", "--target", tmp .. "/restore" },
  ["patch-window"] = { "--playbook", "patch.yml" }, ["node-drain"] = { "pve1" },
  pve = { "help", "/cluster/resources" }, library = { "status", "Tests/example-library" },
}

for _, name in ipairs(shipped()) do
  test(name .. ": --help prints the usage with a one-line description, exit 0", function()
    local r = help_of(name)
    assert_eq(r.status, 0, r.stderr)
    no_traceback(r, "--help")
    assert(r.stdout:find("^usage: labsh %-m " .. name:gsub("%-", "%%-")), r.stdout)
    local second = r.stdout:match("^[^\n]*\n([^\n]*)")
    assert(second and second:find("%S"), "no description line:\n" .. r.stdout)
    assert_eq(r.stderr, "")
  end)

  test(name .. ": an unknown option is one line and the usage on stderr, exit 2 (3 for a check)", function()
    local r = run { "--dry-run", "-m", name, "--no-such-option" }
    no_traceback(r, "unknown option")
    assert_eq(r.status, is_check(name) and 3 or 2, r.stdout .. r.stderr)
    local first, rest = r.stderr:match("^([^\n]*)\n(.*)$")
    assert(first and first:find("--no-such-option", 1, true), "the first line does not name it:\n" .. r.stderr)
    assert(rest:find("^usage: labsh %-m "), "no usage right after the line:\n" .. r.stderr)
    if is_check(name) then
      assert(r.stdout:find("^[%w_]+ UNKNOWN: "), "a check's status line on stdout:\n" .. r.stdout)
    else
      assert_eq(r.stdout, "")
    end
  end)

  if MISSING[name] then
    test(name .. ": a missing required argument is a usage error", function()
      local args = { "--dry-run", "-m", name }
      for _, a in ipairs(MISSING[name]) do args[#args + 1] = a end
      local r = run(args)
      no_traceback(r, "missing argument")
      assert_eq(r.status, is_check(name) and 3 or 2, r.stdout .. r.stderr)
      assert(r.stderr:find("^labsh %-m [^\n]*\nusage: labsh %-m "), "one line, then the usage:\n" .. r.stderr)
    end)
  end

  test(name .. ": --format json is one JSON document on stdout, or refused with exit 2 (3 for a check)", function()
    local args = { "--dry-run", "--format", "json", "-m", name }
    for _, a in ipairs(JSON_ARGS[name] or {}) do args[#args + 1] = a end
    local r = run(args)
    no_traceback(r, "--format json")
    if r.stderr:find("--format json is not supported", 1, true) then
      assert_eq(r.status, is_check(name) and 3 or 2)
      assert_eq(r.stdout, is_check(name) and r.stdout:match("^[%w_]+ UNKNOWN: [^\n]*\n$") or "")
      return
    end
    local ok, doc = pcall(lab.json.decode, r.stdout)
    assert(ok and type(doc) == "table", ("not one JSON document (exit %s):\n%s\nstderr: %s")
      :format(tostring(r.status), r.stdout, r.stderr))
  end)
end

test("jobs run without NAME: a usage error naming NAME", function()
  local r = run { "-m", "jobs", "run" }
  no_traceback(r, "jobs run")
  assert_eq(r.status, 2)
  assert(r.stderr:find("^labsh %-m jobs: missing NAME"), r.stderr)
end)

----------------------------------------------------------------------------
-- False passes

local broken = tmp .. "/broken-inventory.lua"
write_file(broken, "return { nodes = 5 }\n")

test("inventory check FILE checks FILE (a broken one exits 1)", function()
  local r = run { "-m", "inventory", "check", broken }
  assert_eq(r.status, 1, r.stdout)
  assert(r.stderr:find(broken, 1, true), r.stderr)
end)

test("inventory check --inventory FILE checks FILE (a broken one exits 1)", function()
  local r = run { "-m", "inventory", "check", "--inventory", broken }
  assert_eq(r.status, 1, r.stdout)
  assert(r.stderr:find(broken, 1, true), r.stderr)
end)

for _, name in ipairs { "report", "weekly-review", "monthly-review" } do
  test(name .. " with an inventory that cannot be read exits 1", function()
    local r = run { "--inventory", tmp .. "/missing.lua", "-m", name }
    no_traceback(r, name)
    assert_eq(r.status, 1, r.stdout .. r.stderr)
    assert(r.stdout:find("[error]", 1, true), r.stdout)
  end)

  test(name .. " --help states the exit status", function()
    local r = help_of(name)
    assert(r.stdout:find("exit status: 0 no section critical or failed", 1, true), r.stdout)
  end)
end

test("report: the Alerts section is not '[ok] nothing firing' when Prometheus has none of the catalogue loaded", function()
  local url = os.getenv("LABSH_TEST_PROMETHEUS")
  if not url then error("LABSH_TEST_PROMETHEUS is not set: run with Tests/run-with-servers.sh") end
  local inv = tmp .. "/with-prometheus.lua"
  write_file(inv, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. ("inv.monitoring = { prometheus = %q }\nreturn inv\n"):format(url))
  local r = run { "--format", "json", "--inventory", inv, "-m", "report" }
  no_traceback(r, "report")
  local alerts
  for _, s in ipairs(lab.json.decode(r.stdout).sections) do
    if s.name == "alerts" then alerts = s end
  end
  assert(alerts.status == "unknown" or alerts.status == "critical", alerts.status .. ": " .. alerts.summary)
  assert(alerts.status ~= "unknown" or alerts.summary:find("none of the %d+ catalogue rules is loaded"), alerts.summary)
  assert_eq(r.status, 1, "a section unknown or critical: exit 1")
  local text = run { "--inventory", inv, "-m", "report" }
  assert(not text.stdout:find("== Alerts [ok]", 1, true), text.stdout)
end)

test("lab.check with a threshold that is not a range is UNKNOWN, exit 3", function()
  local r = run { "-e", 'lab.check{name = "x", value = 5, warn = "abc"}' }
  assert_eq(r.status, 3, r.stdout .. r.stderr)
  assert(r.stdout:find("^x UNKNOWN: threshold 'abc' is not a range"), r.stdout)
end)

----------------------------------------------------------------------------
-- Tracebacks into labsh's own files for usage mistakes

test("report --format json prints JSON, no traceback", function()
  local r = run { "-m", "report", "--format", "json" }
  no_traceback(r, "report --format json")
  assert(pcall(lab.json.decode, r.stdout), r.stdout)
end)

test("jobs export without --crontab or --systemd: a usage error", function()
  local r = run { "-m", "jobs", "export" }
  no_traceback(r, "jobs export")
  assert_eq(r.status, 2)
  assert(r.stderr:find("^labsh %-m jobs: export what%?"), r.stderr)
end)

test("node-failure NODE works as --node NODE; an unknown node is a usage error", function()
  local a, b = run { "--format", "json", "-m", "node-failure", "pve4" },
               run { "--format", "json", "-m", "node-failure", "--node", "pve4" }
  no_traceback(a, "node-failure pve4")
  assert_eq(a.stdout, b.stdout)
  assert_eq(lab.json.decode(a.stdout).node, "pve4")
  local r = run { "-m", "node-failure", "pve9" }
  no_traceback(r, "node-failure pve9")
  assert_eq(r.status, 2)
  assert(r.stderr:find("no node 'pve9'", 1, true), r.stderr)
end)

test("check-backups restic without REPO: UNKNOWN, exit 3, no traceback", function()
  local r = run { "-m", "check-backups", "restic" }
  no_traceback(r, "check-backups restic")
  assert_eq(r.status, 3)
  assert_eq(r.stdout, "BACKUPS UNKNOWN: restic needs REPO\n")
end)

test("check-backups --source missing.json: the reason in the status line, no position", function()
  local r = run { "-m", "check-backups", "--source", tmp .. "/missing.json" }
  no_traceback(r, "check-backups --source")
  assert_eq(r.status, 3)
  local line = r.stdout:match("^[^\n]*")
  assert(line:find("^BACKUPS UNKNOWN: backup.check: cannot read .*missing.json: No such file or directory$"), line)
  assert(not line:find("%.lua:%d+:"), line)
end)

----------------------------------------------------------------------------
-- Options mean the same everywhere

test("jobs list and jobs history honour --format json, before or after -m", function()
  for _, args in ipairs {
    { "--format", "json", "-m", "jobs", "list" }, { "-m", "jobs", "list", "--format", "json" },
    { "-m", "jobs", "history", "--format", "json" },
  } do
    local r = run(args)
    assert_eq(r.status, 0, r.stderr)
    assert(pcall(lab.json.decode, r.stdout), table.concat(args, " ") .. ":\n" .. r.stdout)
  end
end)

test("lint and inventory check honour --format json before -m", function()
  for _, args in ipairs { { "--format", "json", "-m", "lint" }, { "--format", "json", "-m", "inventory", "check" } } do
    local r = run(args)
    no_traceback(r, args[4])
    local ok, doc = pcall(lab.json.decode, r.stdout)
    assert(ok and type(doc) == "table", table.concat(args, " ") .. ":\n" .. r.stdout)
  end
end)

test("inventory --help exits 0; lint --help prints the usage and does not lint", function()
  local r = run { "-m", "inventory", "--help" }
  assert_eq(r.status, 0)
  r = run { "-m", "lint", "--help" }
  assert_eq(r.status, 0)
  assert(r.stdout:find("^usage: labsh %-m lint"), r.stdout)
  assert(not r.stdout:find("the plan says", 1, true), r.stdout)
end)

test("usage errors exit 2 in every script alike (inventory, gen, report, capacity, jobs)", function()
  for _, args in ipairs {
    { "-m", "inventory", "nosuch" }, { "-m", "gen", "nosuch" }, { "-m", "report", "--bogus" },
    { "-m", "capacity", "--months", "x" }, { "-m", "jobs", "nosuch" },
  } do
    local r = run(args)
    no_traceback(r, table.concat(args, " "))
    assert_eq(r.status, 2, table.concat(args, " ") .. ": " .. r.stderr)
  end
end)

test("audit tail -n abc is a usage error, not everything", function()
  local r = run { "-m", "audit", "tail", "-n", "abc" }
  assert_eq(r.status, 2)
  assert_eq(r.stdout, "")
  assert(r.stderr:find("^labsh %-m audit: %-n must be a whole number"), r.stderr)
end)

test("playbooks take --help and --limit (names, globs, groups, !name)", function()
  local r = run { "-m", "monitoring-deploy", "--help" }
  assert_eq(r.status, 0)
  assert(r.stdout:find("--limit PATTERN", 1, true), r.stdout)
  r = run { "--dry-run", "--format", "json", "-m", "monitoring-deploy", "--limit", "pve*,!pve2" }
  assert_eq(r.status, 0, r.stderr)
  assert_same(lab.json.decode(r.stdout).hosts, { "pve1", "pve3", "pve4", "pve5" })
  r = run { "--dry-run", "--format", "json", "-m", "monitoring-deploy", "--limit", "k8s-master" }
  assert_eq(r.status, 0, r.stderr)
  local hosts = lab.json.decode(r.stdout).hosts
  assert(#hosts >= 1, "the group k8s-master")
  for _, h in ipairs(hosts) do assert(h:find("^k8s%-m"), h) end
  r = run { "--dry-run", "-m", "monitoring-deploy", "--limit", "nosuch" }
  assert_eq(r.status, 2)
  assert(r.stderr:find("^labsh %-m monitoring%-deploy: %-%-limit: 'nosuch' matches no host of the inventory"), r.stderr)
end)

test("a script of several plays prints one JSON document; --limit skips the plays it leaves empty", function()
  local r = run { "--dry-run", "--format", "json", "-m", "k8s-bootstrap" }
  assert_eq(r.status, 0, r.stderr)
  local doc = lab.json.decode(r.stdout)
  assert_eq(#doc.plays, 3)
  r = run { "--dry-run", "--format", "json", "-m", "k8s-bootstrap", "--limit", "k8s-w1" }
  assert_eq(r.status, 0, r.stderr)
  doc = lab.json.decode(r.stdout)
  assert_same(doc.plays[1].hosts, {})
  assert_same(doc.plays[3].hosts, { "k8s-w1" })
  assert(r.stderr:find("PLAY [k8s-bootstrap: first server] skipped", 1, true), r.stderr)
end)

test("a runbook's usage error is one line and the usage, exit 2", function()
  local r = run { "--dry-run", "-m", "backup-restore", "--repo", "x" }
  no_traceback(r, "backup-restore")
  assert_eq(r.status, 2)
  assert(r.stderr:find("^labsh %-m backup%-restore: %-%-target is required"), r.stderr)
end)

----------------------------------------------------------------------------
-- Discoverable

test("labsh -m lists every script with its description and origin, exit 0", function()
  local dir = tmp .. "/mine"
  filesystem.make_directories(dir)
  write_file(dir .. "/my-check.lua", "-- my-check: the disk of the NAS, as a check.\n--\n-- More here.\nprint(1)\n")
  local r = run({ "-m" }, { LABSH_PATH = dir, COLUMNS = "200" })  -- wide: each script on one line
  assert_eq(r.status, 0, r.stderr)
  for _, name in ipairs(shipped()) do
    assert(r.stdout:find("\n  " .. name:gsub("%-", "%%-") .. " +embedded +%S"), name .. " missing:\n" .. r.stdout)
  end
  assert(r.stdout:find("  report +embedded +the daily operations report"), r.stdout)
  assert(r.stdout:find("  my%-check +LABSH_PATH +the disk of the NAS, as a check%. %(" .. dir:gsub("%p", "%%%0")), r.stdout)
  local json = run({ "--format", "json", "-m" }, { LABSH_PATH = dir })
  assert_eq(json.status, 0)
  local by = {}
  for _, e in ipairs(lab.json.decode(json.stdout)) do by[e.name] = e end
  assert_eq(by["my-check"].origin, "LABSH_PATH")
  assert_eq(by.jobs.origin, "embedded")
end)

test("a playbook's --help describes it as labsh -m lists it (its first comment sentence)", function()
  local listed = {}
  for _, e in ipairs(lab.json.decode(run({ "--format", "json", "-m" }).stdout)) do listed[e.name] = e.description end
  local r = lab.process.run { argv = { "find", "scripts/playbooks", "-name", "*.lua", "-printf", "%f\n" }, read_only = true }
  for file in r.stdout:gmatch("[^\n]+") do
    local name = file:gsub("%.lua$", "")
    local second = help_of(name).stdout:match("^[^\n]*\n  ([^\n]*)")
    assert_eq(second, listed[name], name)
  end
end)

test("labsh -m shows a script in the XDG data directory as XDG", function()
  local data = tmp .. "/xdg-data"
  filesystem.make_directories(data .. "/labsh")
  write_file(data .. "/labsh/nightly.lua", "-- nightly: what runs at night.\n")
  local r = run({ "-m" }, { XDG_DATA_HOME = data })
  assert(r.stdout:find("  nightly +XDG +what runs at night%."), r.stdout)
end)

----------------------------------------------------------------------------
-- Files land by surprise

test("gen bind without --out writes nothing and exits 2; one file goes to stdout", function()
  local cwd = tmp .. "/cwd"
  filesystem.make_directories(cwd)
  local r = run({ "-m", "gen", "bind" }, nil, cwd)
  assert_eq(r.status, 2)
  assert(r.stderr:find("^labsh %-m gen: bind makes %d+ files: give %-%-out DIR"), r.stderr)
  local listed = lab.process.run { argv = { "ls", "-A", cwd }, read_only = true }
  assert_eq(listed.stdout, "", "files in the current directory")
  r = run({ "-m", "gen", "prometheus-rules" }, nil, cwd)
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("groups:", 1, true), r.stdout)
  assert_eq(lab.process.run { argv = { "ls", "-A", cwd }, read_only = true }.stdout, "")
end)

test("gen --out DIR that does not exist: the error names it, nothing written", function()
  local out = tmp .. "/new/zones"
  local r = run { "-m", "gen", "bind", "--out", out, "--serial", "7" }
  assert_eq(r.status, 1, r.stderr)
  assert(r.stderr:find("the directory " .. out .. " does not exist", 1, true), r.stderr)
  assert_eq(read_file(out .. "/db.homelab.local"), nil)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
