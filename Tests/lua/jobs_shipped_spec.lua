-- The plan's schedules shipped as jobs of the built-in homelab (issue 19):
-- `labsh -m jobs list` shows them with their next run, each runs on the
-- built-in homelab and ends "ok" while a section it checks has no data
-- source (it says "not configured"), and none names the plan's hosts,
-- roles, VLANs or zones.

local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-jobs-shipped-spec")

-- The built-in homelab, whatever the caller's environment holds: no
-- inventory file, a HOME and state directory of the spec's own.
local env = { HOME = tmp .. "/home", XDG_CONFIG_HOME = tmp .. "/home/.config", LABSH_STATE_DIR = tmp .. "/state",
              LABSH_INVENTORY = "", TZ = "UTC" }
filesystem.make_directories(env.HOME)

local function run(...)
  return lab.process.run { argv = { labsh, ... }, env = env, timeout = 300 }
end

local SHIPPED = { "backup-check", "certificate-expiry", "daily-report", "monthly-review", "restore-drill",
                  "service-probes", "weekly-review" }

test("jobs list on the built-in homelab shows the plan's schedules with their next run", function()
  local r = run("--format", "json", "-m", "jobs", "list")
  assert_eq(r.status, 0, r.stderr)
  local rows = lab.json.decode(r.stdout)
  local names = {}
  for _, row in ipairs(rows) do
    names[#names + 1] = row.name
    assert(math.type(row.next) == "integer" and row.next > os.time(), row.name .. ": no next run time")
    assert(row.schedule and row.schedule ~= "(manual)", row.name .. ": not scheduled")
  end
  assert_same(names, SHIPPED, "the shipped jobs")
  local text = run("-m", "jobs", "list")
  for _, name in ipairs(SHIPPED) do assert(text.stdout:find(name, 1, true), text.stdout) end
end)

test("each shipped job runs on the built-in homelab and ends ok; a section without a source says so", function()
  local says_not_configured = { ["backup-check"] = true, ["certificate-expiry"] = true,
                                ["service-probes"] = true, ["restore-drill"] = true }
  for _, name in ipairs(SHIPPED) do
    local r = run("-m", "jobs", "run", name)
    assert_eq(r.status, 0, name .. ": " .. r.stdout .. r.stderr)
    local history = lab.json.decode(run("--format", "json", "-m", "jobs", "history", name).stdout)
    local last = history.runs[1]
    assert_eq(last.status, "ok", name)
    assert_eq(last.exit_code, 0, name)
    if says_not_configured[name] then
      assert(last.output:find("not configured", 1, true), name .. " does not say what it lacks: " .. last.output)
    end
  end
end)

test("no shipped job names the plan's hosts, roles, VLANs or zones", function()
  local homelab, shipped = require "labsh.homelab", require "labsh.homelab_jobs"
  local words = lab.json.encode(shipped)
  local plan_names = {}
  for _, node in ipairs(homelab.nodes) do plan_names[#plan_names + 1], plan_names[#plan_names + 2] = node.name, node.role end
  for _, guest in ipairs(homelab.guests) do plan_names[#plan_names + 1], plan_names[#plan_names + 2] = guest.name, guest.role end
  for _, vlan in ipairs(homelab.vlans) do
    plan_names[#plan_names + 1], plan_names[#plan_names + 2] = vlan.name, vlan.zone
  end
  for _, name in ipairs(plan_names) do
    assert(not words:find('"' .. name:gsub("%p", "%%%0") .. '"'), "a shipped job names " .. name)
    assert(not words:find("[^%w]" .. name:gsub("%p", "%%%0") .. "[^%w-]"), "a shipped job names " .. name)
  end
  for _, vlan in ipairs(homelab.vlans) do
    for _, j in ipairs(shipped) do
      for _, word in ipairs(type(j.run) == "table" and j.run or { j.run }) do
        assert(word ~= tostring(vlan.id), j.name .. " names VLAN " .. vlan.id)
      end
    end
  end
end)

test("report --section: only the sections named; an unknown one is a usage error", function()
  local r = run("--format", "json", "-m", "report", "--section", "backups", "--section", "certificates")
  assert_eq(r.status, 0, r.stderr)
  local names = {}
  for _, s in ipairs(lab.json.decode(r.stdout).sections) do names[#names + 1] = s.name end
  assert_same(names, { "backups", "certificates" })
  local bad = run("-m", "report", "--section", "backupz")
  assert_eq(bad.status, 2)
  assert(bad.stderr:find("--section backupz", 1, true), bad.stderr)
end)

test("backup-drill --if-configured without a repository says so and exits 0; without it, a usage error", function()
  local r = run("-m", "backup-drill", "--if-configured")
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("not configured", 1, true), r.stdout)
  assert_eq(run("-m", "backup-drill").status, 2)
end)

test("jobs run NAME --once makes one attempt whatever the job's retries", function()
  local path = tmp .. "/path"
  filesystem.make_directories(path .. "/jobs")
  write_file(path .. "/jobs/flaky.lua",
    'lab.job { name = "always-fails", retries = 2, retry_delay = 0, run = function() error("no") end }\n')
  local once_env = { HOME = env.HOME, XDG_CONFIG_HOME = env.XDG_CONFIG_HOME, LABSH_STATE_DIR = tmp .. "/once-state",
                     LABSH_PATH = path, LABSH_INVENTORY = "" }
  local function attempts(...)
    local r = lab.process.run { argv = { labsh, "-m", "jobs", "run", "always-fails", ... }, env = once_env, timeout = 120 }
    assert_eq(r.status, 1, r.stderr)
    local h = lab.process.run { argv = { labsh, "--format", "json", "-m", "jobs", "history", "always-fails" },
                                env = once_env, timeout = 60 }
    return lab.json.decode(h.stdout).runs[1].attempts
  end
  assert_eq(attempts(), 3)
  assert_eq(attempts("--once"), 1)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)

test("inventory init writes the shipped jobs into the copy, which keeps them", function()
  local config = tmp .. "/init-config"
  local own = {}
  for key, value in pairs(env) do own[key] = value end
  own.XDG_CONFIG_HOME = config
  local r = lab.process.run { argv = { labsh, "-m", "inventory", "init" }, env = own, timeout = 60 }
  assert_eq(r.status, 0, r.stderr)
  r = lab.process.run { argv = { labsh, "--format", "json", "-m", "jobs", "list" }, env = own, timeout = 60 }
  assert_eq(r.status, 0, r.stderr)
  -- With a config inventory, labsh reads jobs from that file only: without
  -- them written in, this list would be empty.
  local names = {}
  for _, row in ipairs(lab.json.decode(r.stdout)) do names[#names + 1] = row.name end
  assert_same(names, SHIPPED, "the copy's jobs")
  r = lab.process.run { argv = { labsh, "--format", "json", "-m", "inventory", "check" }, env = own, timeout = 60 }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(lab.json.decode(r.stdout).file, config .. "/labsh/inventory.lua")
end)
