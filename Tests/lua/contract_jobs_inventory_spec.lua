-- Issue 15, the rest of the script contract: one broken job file stops no
-- other job; exported crontab lines and systemd units carry the environment
-- that found the job (and are run here for real); `inventory list|graph|host`
-- as ansible-inventory has them; lab.ipam.next_free(vlan); `labsh -m` fits
-- 80 columns. Every run is a real child labsh.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
if labsh:sub(1, 1) ~= "/" then labsh = os.getenv("PWD") .. "/" .. labsh end  -- runs from other directories
local tmp = filesystem.temp_directory("labsh-contract-jobs")

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

-- Runs argv (a list) with `env` added, from `cwd`; the result of lab.process.run.
local function run(argv, env, cwd)
  return lab.process.run { argv = argv, env = env, cwd = cwd, timeout = 60, max_output = 1 << 20 }
end

local function labsh_run(args, env, cwd)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  return run(argv, env, cwd)
end

-- One machine on one network.
local SMALL_INVENTORY = assert(read_file((os.getenv("LABSH_ROOT") or ".") .. "/Tests/inventories/single.lua"))

local function contains(text, part, what)
  if not text:find(part, 1, true) then error(("%s: %q not in:\n%s"):format(what or "text", part, text), 2) end
end

-- ---- Jobs: a broken job file next to a good one -----------------------------

-- A script path directory holding jobs/good.lua (a function writing `mark`,
-- every minute, in UTC) and jobs/bad.lua (schedule = "every tuesday").
local function job_dir(name, mark)
  local dir = tmp .. "/" .. name
  filesystem.make_directories(dir .. "/jobs")
  write_file(dir .. "/jobs/good.lua", ([[
lab.job {
  name = "good", schedule = "* * * * *", tz = "Etc/UTC",
  run = function()
    local f = assert(io.open(%q, "w"))
    f:write(lab.inventory.path() or "built-in")
    f:close()
  end,
}
]]):format(mark))
  write_file(dir .. "/jobs/bad.lua", 'lab.job { name = "bad", schedule = "every tuesday", run = "report" }\n')
  return dir
end

local function job_env(dir, state)
  return { LABSH_PATH = dir, LABSH_STATE_DIR = state, TZ = "Etc/UTC", LABSH_INVENTORY = false }
end

test("a broken job file: list shows it as a row and exits 1; the good job is listed", function()
  local dir = job_dir("list", tmp .. "/list.mark")
  local env = job_env(dir, tmp .. "/list-state")
  local r = labsh_run({ "-m", "jobs", "list" }, env)
  assert_eq(r.status, 1, r.stderr)
  contains(r.stdout, "good", "list")
  contains(r.stdout, "bad", "list")
  contains(r.stdout, "BROKEN", "list")
  contains(r.stderr, "jobs/bad.lua", "stderr")
  contains(r.stderr, "every tuesday", "stderr")
  local j = labsh_run({ "-m", "jobs", "list", "--format", "json" }, env)
  assert_eq(j.status, 1, j.stderr)
  local rows = lab.json.decode(j.stdout)
  local by = {}
  for _, row in ipairs(rows) do by[row.name] = row end
  assert_eq(by.good.schedule, "* * * * *")
  assert_eq(by.good.error, nil)
  assert_eq(by.bad.last_status, "broken")
  contains(by.bad.error, "every tuesday", "json error")
end)

test("a broken job file: next, run, history and export work for the good job and name the broken one", function()
  local mark = tmp .. "/each.mark"
  local dir = job_dir("each", mark)
  local env = job_env(dir, tmp .. "/each-state")
  local cases = {
    { { "-m", "jobs", "next" }, 1, "good" },
    { { "-m", "jobs", "next", "good" }, 0, "good" },
    { { "-m", "jobs", "run", "good" }, 0, nil },
    { { "-m", "jobs", "history" }, 1, "good" },
    { { "-m", "jobs", "history", "good" }, 0, "good" },
    { { "-m", "jobs", "export", "--crontab" }, 1, "jobs run good" },
  }
  for _, case in ipairs(cases) do
    local r = labsh_run(case[1], env)
    local what = table.concat(case[1], " ")
    assert_eq(r.status, case[2], what .. ": " .. r.stderr)
    if case[3] then contains(r.stdout, case[3], what) end
    contains(r.stderr, "cannot be loaded: " .. dir .. "/jobs/bad.lua: job bad", what)
    assert_eq(r.stderr:find("stack traceback", 1, true), nil, what)
  end
  assert_eq(read_file(mark), "built-in", "the good job ran")
  local bad = labsh_run({ "-m", "jobs", "run", "bad" }, env)
  assert_eq(bad.status, 1)
  contains(bad.stderr, "job bad cannot be loaded", "run bad")
end)

test("a broken job file: run-due runs the good job, then names the broken one and exits 1", function()
  local mark = tmp .. "/due.mark"
  local dir = job_dir("due", mark)
  local r = labsh_run({ "-m", "jobs", "run-due" }, job_env(dir, tmp .. "/due-state"))
  assert_eq(r.status, 1, r.stderr)
  assert_eq(read_file(mark), "built-in", "the good job ran")
  contains(r.stderr, "cannot be loaded: " .. dir .. "/jobs/bad.lua: job bad", "run-due")
  -- reported after the runs: the good job's line comes first
  local good_at = r.stderr:find("job good:", 1, true)
  assert(good_at and good_at < r.stderr:find("jobs/bad.lua: job bad", 1, true), r.stderr)
end)

test("a broken job file: the report's Jobs section is error, shows the good job and names the broken one", function()
  local dir = job_dir("report", tmp .. "/report.mark")
  local r = labsh_run({ "-e", 'print(lab.json.encode(require("labsh.review").sections.jobs { now = os.time() }))' },
    job_env(dir, tmp .. "/report-state"))
  assert_eq(r.status, 0, r.stderr)
  local section = lab.json.decode(r.stdout)
  assert_eq(section.status, "error")
  local names = {}
  for _, row in ipairs(section.rows) do names[row.job] = row.last end
  assert_eq(names.good, "-")
  assert_eq(names.bad, "broken")
  contains(section.notes[1], "jobs/bad.lua", "note")
  contains(section.summary, "1 job file(s) broken", "summary")
end)

test("a job file that is fine, once the broken one is gone: list exits 0", function()
  local dir = job_dir("fixed", tmp .. "/fixed.mark")
  os.remove(dir .. "/jobs/bad.lua")
  local r = labsh_run({ "-m", "jobs", "list" }, job_env(dir, tmp .. "/fixed-state"))
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stderr, "")
end)

-- ---- Jobs: exported lines and units run for real ---------------------------------

-- A directory whose name needs quoting in both formats: a space, %, ', $ and ".
local function awkward_dir(name)
  local dir = tmp .. "/" .. name .. [[/a b%c'd$e"f]]
  filesystem.make_directories(dir)
  return dir
end

-- What cron hands /bin/sh for a crontab line: the command after the five
-- time fields, \% as %; an unescaped % would end the command (none may be there).
local function cron_command(line)
  local command = line:match("^%S+%s+%S+%s+%S+%s+%S+%s+%S+%s+(.*)$")
  assert(command, "not a crontab line: " .. line)
  assert(not command:gsub("\\%%", ""):find("%", 1, true), "an unescaped % in: " .. line)
  return (command:gsub("\\%%", "%%"))
end

test("export --crontab: the line runs the job from another directory with an empty environment", function()
  local base = awkward_dir("cron")
  local mark = base .. "/cron.mark"
  local dir = job_dir("cron-jobs", mark)
  os.remove(dir .. "/jobs/bad.lua")
  -- the job's directory, the inventory and the state directory, given relative to `base`
  assert(os.rename(dir, base .. "/jobs dir"))
  write_file(base .. "/inv.lua", SMALL_INVENTORY)
  local r = labsh_run({ "--inventory", "inv.lua", "-m", "jobs", "export", "--crontab" },
    { LABSH_PATH = "jobs dir", LABSH_STATE_DIR = "state", TZ = "Etc/UTC", LABSH_INVENTORY = false }, base)
  assert_eq(r.status, 0, r.stderr)
  local line
  for l in r.stdout:gmatch("[^\n]+") do if l:find("jobs run good", 1, true) then line = l end end
  assert(line, r.stdout .. r.stderr)
  assert_eq(line:sub(1, 10), "* * * * * ")
  -- cron: another directory, no labsh variables, /bin/sh
  local ran = run({ "env", "-i", "PATH=/usr/bin:/bin", "HOME=" .. tmp, "TZ=Etc/UTC", "sh", "-c", cron_command(line) },
    nil, "/")
  assert_eq(read_file(mark), base .. "/inv.lua", "the job ran with the inventory: " .. ran.stderr)
  assert_eq(ran.status, 0, ran.stderr)
  assert(exists(base .. "/state/jobs.db"), "the run was recorded in the exported state directory")
end)

-- A unit's value with systemd's rules: %% is %; in ExecStart also $$ is $;
-- "..." quotes a word, with C escapes inside.
local function unit_words(value, exec)
  local words, i = {}, 1
  value = value:gsub("%%%%", "\0")
  if exec then value = value:gsub("%$%$", "$") end
  while i <= #value do
    local c = value:sub(i, i)
    if c == " " then
      i = i + 1
    elseif c == '"' then
      local word, j = {}, i + 1
      while value:sub(j, j) ~= '"' do
        local ch = value:sub(j, j)
        assert(ch ~= "", "an unclosed quote in " .. value)
        if ch == "\\" then j = j + 1; ch = value:sub(j, j) end
        word[#word + 1] = ch
        j = j + 1
      end
      words[#words + 1] = table.concat(word)
      i = j + 1
    else
      local j = value:find(" ", i, true) or #value + 1
      words[#words + 1] = value:sub(i, j - 1)
      i = j
    end
  end
  for k, w in ipairs(words) do words[k] = w:gsub("%z", "%%") end
  return words
end

test("export --systemd: the unit's ExecStart, with its Environment= lines only, runs the job", function()
  local base = awkward_dir("unit")
  local mark = base .. "/unit.mark"
  local dir = job_dir("unit-jobs", mark)
  os.remove(dir .. "/jobs/bad.lua")
  write_file(base .. "/inv.lua", SMALL_INVENTORY)
  local units = tmp .. "/units"
  local r = labsh_run({ "-m", "jobs", "export", "--systemd", units },
    { LABSH_PATH = dir, LABSH_STATE_DIR = base .. "/state", LABSH_INVENTORY = base .. "/inv.lua", TZ = "Etc/UTC" })
  assert_eq(r.status, 0, r.stderr)
  local service = read_file(units .. "/labsh-good.service")
  local argv, env = nil, { "env", "-i", "PATH=/usr/bin:/bin", "HOME=" .. tmp }
  for line in service:gmatch("[^\n]+") do
    local value = line:match("^Environment=(.*)$")
    if value then
      for _, assignment in ipairs(unit_words(value)) do env[#env + 1] = assignment end
    end
    value = line:match("^ExecStart=(.*)$")
    if value then argv = unit_words(value, true) end
  end
  assert(argv, service)
  for _, w in ipairs(argv) do env[#env + 1] = w end
  local ran = run(env, nil, "/")
  assert_eq(ran.status, 0, ran.stderr)
  assert_eq(read_file(mark), base .. "/inv.lua", "the job ran with the unit's inventory")
  -- systemd itself reads the unit without complaint
  local verify = run({ "systemd-analyze", "verify", units .. "/labsh-good.service" })
  assert_eq(verify.status, 0, verify.stderr)
end)

test("export under -E: no environment, and the command carries -E", function()
  local dir = job_dir("ignore", tmp .. "/ignore.mark")
  local r = labsh_run({ "-E", "-m", "jobs", "export", "--crontab" }, { LABSH_PATH = dir })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout:find("LABSH_", 1, true), nil, r.stdout)
end)

-- ---- inventory list | graph | host, as ansible-inventory has them -----------------

local function with_args(inventory_args, ...)
  local argv = {}
  for _, a in ipairs(inventory_args) do argv[#argv + 1] = a end
  for _, a in ipairs { ... } do argv[#argv + 1] = a end
  return argv
end

-- What ansible-inventory says of `labsh -m gen ansible` on the same inventory:
-- {list = decoded --list, graph = --graph text, host = function(name) --host}.
local function ansible_view(inventory_args)
  local gen = labsh_run(with_args(inventory_args, "-m", "gen", "ansible"))
  assert_eq(gen.status, 0, gen.stderr)
  local file = tmp .. "/ansible-" .. #inventory_args .. ".yml"
  write_file(file, gen.stdout)
  local function ansible(...)
    local r = run({ "ansible-inventory", "-i", file, ... }, { ANSIBLE_NOCOLOR = "1" })
    assert_eq(r.status, 0, r.stderr)
    return r.stdout
  end
  local list = lab.json.decode(ansible("--list"))
  list._meta.profile = nil  -- a note of newer Ansible on its own output
  for _, vars in pairs(list._meta.hostvars) do vars.labsh_overlay = nil end
  return { list = list, graph = ansible("--graph"), graph_of = function(group) return ansible("--graph", group) end,
           host = function(name)
             local vars = lab.json.decode(ansible("--host", name))
             vars.labsh_overlay = nil
             return vars
           end }
end

local function inventory_cases()
  local custom = tmp .. "/den.lua"
  write_file(custom, SMALL_INVENTORY)
  return { { name = "the built-in homelab", args = {}, host = "pve1", group = "zone_k8s" },
           { name = "a small inventory", args = { "--inventory", custom }, host = "box", group = "zone_home" } }
end

test("inventory list: the JSON of ansible-inventory --list (groups, children, _meta.hostvars)", function()
  for _, case in ipairs(inventory_cases()) do
    local expected = ansible_view(case.args).list
    for _, format in ipairs { {}, { "--format", "json" } } do
      local r = labsh_run(with_args(case.args, "-m", "inventory", "list", table.unpack(format)))
      assert_eq(r.status, 0, r.stderr)
      local got = lab.json.decode(r.stdout)
      assert_same(got, expected, case.name)
      assert(got._meta.hostvars[case.host], case.name)
    end
  end
end)

test("inventory graph [GROUP]: the text of ansible-inventory --graph", function()
  for _, case in ipairs(inventory_cases()) do
    local view = ansible_view(case.args)
    local r = labsh_run(with_args(case.args, "-m", "inventory", "graph"))
    assert_eq(r.status, 0, r.stderr)
    assert_eq(r.stdout, view.graph, case.name)
    r = labsh_run(with_args(case.args, "-m", "inventory", "graph", case.group))
    assert_eq(r.stdout, view.graph_of(case.group), case.name .. ": " .. case.group)
    local j = labsh_run(with_args(case.args, "--format", "json", "-m", "inventory", "graph"))
    assert_eq(j.status, 0, j.stderr)
    assert_eq(lab.json.decode(j.stdout).name, "all")
  end
  local typo = labsh_run { "-m", "inventory", "graph", "zone_k8" }
  assert_eq(typo.status, 1)
  contains(typo.stderr, 'did you mean "zone_k8s"', "typo")
end)

test("inventory host NAME: the variables of ansible-inventory --host NAME", function()
  for _, case in ipairs(inventory_cases()) do
    local view = ansible_view(case.args)
    local r = labsh_run(with_args(case.args, "--format", "json", "-m", "inventory", "host", case.host))
    assert_eq(r.status, 0, r.stderr)
    assert_same(lab.json.decode(r.stdout), view.host(case.host), case.name)
    local text = labsh_run(with_args(case.args, "-m", "inventory", "host", case.host))
    contains(text.stdout, "ansible_host: ", case.name)
  end
  local typo = labsh_run { "-m", "inventory", "host", "pve9" }
  assert_eq(typo.status, 1)
  contains(typo.stderr, 'no host "pve9"', "typo")
  local missing = labsh_run { "-m", "inventory", "host" }
  assert_eq(missing.status, 2)
  assert_eq(missing.stderr:find("stack traceback", 1, true), nil)
end)

-- ---- lab.ipam.next_free(vlan) --------------------------------------------------

-- The small inventory with a guest at .3 and a service endpoint at .4 of VLAN 8.
local CROWDED = SMALL_INVENTORY:gsub("  policy = ", [[
  guests = {
    { name = "vm1", kind = "vm", node = "box", vcpu = 1, ram = "1GiB", disk = "8GiB", vlan = 8, address = "172.16.8.3" },
  },
  services = {
    { name = "web", tier = 3, runs_on = "vm1", vlan = 8, endpoint = "https://172.16.8.4:8443/" },
  },
  policy = ]])

-- Evaluates `expression` in a labsh on `inventory`; its printed value, or the error.
local function ipam_eval(inventory, expression)
  local file = tmp .. "/ipam-inventory.lua"
  write_file(file, inventory)
  local r = labsh_run({ "--inventory", file, "-e", "print(" .. expression .. ")" })
  return r.stdout:gsub("\n$", ""), r.stderr, r.status
end

test("lab.ipam.next_free(vlan): skips the gateway, nodes, guests and service addresses; id, name, subnet or record", function()
  for _, which in ipairs { "8", '"home"', '"172.16.8.0/24"', "lab.vlan(8)" } do
    assert_eq((ipam_eval(CROWDED, "lab.ipam.next_free(" .. which .. ")")), "172.16.8.5", which)
  end
  assert_eq((ipam_eval(SMALL_INVENTORY, "lab.ipam.next_free(8)")), "172.16.8.3", "gateway .1 and box .2 skipped")
  -- the built-in homelab: the first free address of the management VLAN is past gateway and nodes
  local free = labsh_run { "-e", [[
    local free = lab.ipam.next_free("management")
    for _, a in ipairs(lab.ipam.used()) do assert(a ~= free, "in use: " .. a) end
    assert(lab.ipam.contains(lab.vlan("management").subnet, free))
    print(free)]] }
  assert_eq(free.status, 0, free.stderr)
end)

test("lab.ipam.next_free(cidr, used, gateway): the prefix form is unchanged", function()
  assert_eq((ipam_eval(CROWDED, 'lab.ipam.next_free("172.16.8.0/24", {})')), "172.16.8.1")
  assert_eq((ipam_eval(CROWDED, 'lab.ipam.next_free("172.16.8.0/24", { "172.16.8.2" }, "172.16.8.1")')), "172.16.8.3")
  assert_eq((ipam_eval(CROWDED, 'lab.ipam.next_free("10.0.0.0/30", { "10.0.0.2" }, "10.0.0.1")')), "nil")
  -- a prefix no VLAN has, alone: the whole prefix is free
  assert_eq((ipam_eval(CROWDED, 'lab.ipam.next_free("10.9.0.0/29")')), "10.9.0.1")
end)

test("lab.ipam.next_free: an unknown VLAN names the argument, the caller's line and a did-you-mean", function()
  local _, err, status = ipam_eval(CROWDED, 'lab.ipam.next_free("hme")')
  assert_eq(status, 1)
  contains(err, [[(command line):1: bad argument #1 to 'lab.ipam.next_free' (no VLAN "hme"]], "name")
  contains(err, 'did you mean "home"?', "name")
  _, err = ipam_eval(CROWDED, "lab.ipam.next_free(9)")
  contains(err, "no VLAN 9: an id, a name or a subnet of the inventory; VLANs: 8", "id")
  _, err = ipam_eval(CROWDED, 'lab.ipam.next_free("172.16.8.5/24", {})')
  contains(err, "bad argument #1 to 'lab.ipam.next_free'", "prefix form")
end)

-- ---- labsh -m: the list of scripts fits the terminal ---------------------------------

test("labsh -m fits COLUMNS (80, 60) when stdout is no terminal; long descriptions and paths wrap", function()
  local dir = tmp .. "/scripts-of-my-own-with-a-long-directory-name-that-goes-on-and-on"
  filesystem.make_directories(dir)
  write_file(dir .. "/mine.lua", "-- mine: a script of my own with a rather long description that goes on and on"
    .. " past any reasonable width, for people.\nprint(1)\n")
  for _, width in ipairs { 80, 60 } do
    local r = labsh_run({ "-m" }, { COLUMNS = tostring(width), LABSH_PATH = dir })
    assert_eq(r.status, 0, r.stderr)
    for line in r.stdout:gmatch("[^\n]+") do
      assert(utf8.len(line) <= width, ("%d characters at COLUMNS=%d: %s"):format(utf8.len(line), width, line))
    end
    contains(r.stdout, "  mine ", "the script of my own")
    contains(r.stdout:gsub("\n%s+", ""), "mine.lua", "its path, wrapped")
    contains(r.stdout, "  report ", "an embedded script")
  end
  local unknown = labsh_run({ "-m" }, { COLUMNS = false })
  for line in unknown.stdout:gmatch("[^\n]+") do assert(utf8.len(line) <= 80, "80 when unknown: " .. line) end
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
