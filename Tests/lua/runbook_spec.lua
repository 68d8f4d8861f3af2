-- lab.runbook against the real Alertmanager (Tests/servers/servers.py; run
-- with `make test`): dry runs change nothing, silences last as long as the
-- runbook, failed steps roll back, the change window holds, the audit log
-- records each run and never a secret.

local support = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/monitoring_support.lua")
local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-runbook-spec")
local am_url = support.server("ALERTMANAGER")
local canary = support.unique("canary-secret")

-- An inventory: the built-in homelab, the test Alertmanager (with a bearer
-- token by reference: the canary) and a maintenance window.
local function inventory(window)
  local path = ("%s/inventory-%s.lua"):format(tmp, window)
  local windows = {
    open = '{ { name = "always", schedule = "0 0 * * *", duration = "24h" } }',
    closed = '{ { name = "new-year", schedule = "0 0 1 1 *", duration = "1m" } }',
  }
  write_file(path, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. ("inv.monitoring = { alertmanager = { url = %q, bearer = \"env:LABSH_SPEC_CANARY\" } }\n"):format(am_url)
    .. ("inv.maintenance = %s\nreturn inv\n"):format(windows[window]))
  return path
end

local log = tmp .. "/steps.log"
local script = tmp .. "/swap-disk.lua"
write_file(script, ([[
local log = %q
local function note(s) local f = assert(io.open(log, "a")); f:write(s, "\n"); f:close() end
lab.runbook {
  name = "swap-disk", description = "Replace a failed disk", duration = "30m",
  params = { { name = "node", help = "the node", required = true }, { name = "fail", help = "step that fails" } },
  targets = function(p) return { p.node } end,
  steps = {
    { title = "drain " , run = function(ctx)
        local active = 0
        for _, s in ipairs(lab.alertmanager.silences()) do
          if s.status.state == "active" and s.comment:find("labsh runbook swap-disk", 1, true) then active = active + 1 end
        end
        note("drain " .. ctx.params.node .. " silences=" .. active)
      end,
      rollback = function() note("undrain") end },
    { title = "swap", run = function(ctx)
        if ctx.params.fail == "swap" then error("the disk is stuck") end
        note("swap")
      end, rollback = function() note("unswap") end },
    { title = "rebuild", run = function() note("rebuild") end,
      verify = function(ctx) return ctx.params.fail ~= "rebuild" end,
      rollback = function() note("unrebuild") end },
  },
}
]]):format(log))

local function run(window, ...)
  os.remove(log)
  local r = lab.process.run { argv = { labsh, "--inventory", inventory(window), script, ... },
                              env = { LABSH_STATE_DIR = tmp .. "/state", LABSH_SPEC_CANARY = canary }, timeout = 60 }
  local f = io.open(log)
  local steps = f and f:read("a") or ""
  if f then f:close() end
  return r, steps
end

-- Silences of the swap-disk runbook, by state.
local function silences()
  local counts = { active = 0, expired = 0, pending = 0 }
  for _, s in ipairs(lab.alertmanager.connect(am_url):silences()) do
    if s.comment:find("labsh runbook swap-disk", 1, true) then
      counts[s.status.state] = (counts[s.status.state] or 0) + 1
    end
  end
  return counts
end

local outputs = {}  -- everything any run printed, for the canary test

test("--dry-run prints the plan, exits 0, runs no step and creates no silence", function()
  local before = silences()
  local r, steps = run("open", "--node", "pve4", "--dry-run")
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert_eq(r.status, 0, r.stderr)
  assert(r.stderr:find("plan (dry run", 1, true), r.stderr)
  assert(r.stderr:find("1. drain", 1, true) and r.stderr:find("3. rebuild", 1, true), r.stderr)
  assert(r.stderr:find("would create a silence", 1, true) or r.stderr:find("dry run: would", 1, true), r.stderr)
  assert_eq(steps, "")
  assert_same(silences(), before)
end)

test("a run silences its targets while it runs and expires the silence after", function()
  local before = silences()
  local r, steps = run("open", "--node", "pve4", "--yes")
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert_eq(r.status, 0, r.stderr)
  assert_eq(steps, "drain pve4 silences=" .. (before.active + 1) .. "\nswap\nrebuild\n")
  local after = silences()
  assert_eq(after.active, before.active)
  assert_eq(after.expired, before.expired + 1)
end)

test("a failed step rolls back the steps done, in reverse, and still expires the silence", function()
  local before = silences()
  local r, steps = run("open", "--node", "pve4", "--yes", "--fail", "swap")
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert_eq(r.status, 1)
  assert(r.stderr:find("the disk is stuck", 1, true), r.stderr)
  assert_eq(steps:gsub("silences=%d+", "silences=n"), "drain pve4 silences=n\nundrain\n")
  assert_eq(silences().active, before.active)
  -- a verify that fails undoes its own step too
  r, steps = run("open", "--node", "pve4", "--yes", "--fail", "rebuild")
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert_eq(r.status, 1)
  assert_eq(steps:gsub("silences=%d+", "silences=n"), "drain pve4 silences=n\nswap\nrebuild\nunrebuild\nunswap\nundrain\n")
end)

test("a normal change outside the maintenance window is refused unless --emergency", function()
  local r, steps = run("closed", "--node", "pve4", "--yes")
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert_eq(r.status, 1)
  assert(r.stderr:find("outside the maintenance window", 1, true), r.stderr)
  assert_eq(steps, "")
  r, steps = run("closed", "--node", "pve4", "--yes", "--emergency")
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert_eq(r.status, 0, r.stderr)
  assert(steps:find("rebuild", 1, true), steps)
end)

test("without a terminal and without --yes nothing is changed", function()
  local r, steps = run("open", "--node", "pve4")
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert_eq(r.status, 1)
  assert(r.stderr:find("without --yes", 1, true), r.stderr)
  assert_eq(steps, "")
end)

test("a missing parameter is an error with the usage; --help lists the steps", function()
  local r = run("open", "--yes")
  assert_eq(r.status, 2)  -- a usage error (labsh.cli's contract)
  assert(r.stderr:find("--node is required", 1, true), r.stderr)
  r = run("open", "--help")
  assert_eq(r.status, 0)
  assert(r.stdout:find("1. drain", 1, true) and r.stdout:find("--node", 1, true), r.stdout)
end)

test("each run is one audit line: script, sha256, arguments, plan, result", function()
  local text = read_file(tmp .. "/state/audit.log")
  local runs = {}
  for line in text:gmatch("[^\n]+") do
    local entry = lab.json.decode(line)
    if entry.action == "runbook" then runs[#runs + 1] = entry end
  end
  assert(#runs >= 6, text)
  local last = runs[#runs]
  assert_eq(last.script, script)
  assert_eq(last.sha256, require("labsh.digest").sha256(read_file(script)))
  assert_same(last.plan, { "drain ", "swap", "rebuild" })
  local outcomes = {}
  for _, e in ipairs(runs) do outcomes[e.outcome] = true end
  assert(outcomes["dry run"] and outcomes.ok and outcomes.failed and outcomes.refused, text)
end)

test("the canary secret appears in no output, traceback or audit line", function()
  assert(#outputs >= 6)
  -- a traceback that passes through code holding the secret
  local r = lab.process.run { argv = { labsh, "--inventory", inventory("open"), "-e",
    "lab.alertmanager.silences(); error('boom after using the secret')" },
    env = { LABSH_STATE_DIR = tmp .. "/state", LABSH_SPEC_CANARY = canary } }
  assert_eq(r.status, 1)
  outputs[#outputs + 1] = r.stdout .. r.stderr
  -- the REPL showing the monitoring section
  r = lab.process.run { argv = { labsh, "--inventory", inventory("open"), "-i" },
    stdin = "lab.inventory.current().monitoring\n", env = { LABSH_SPEC_CANARY = canary } }
  outputs[#outputs + 1] = r.stdout .. r.stderr
  assert(r.stdout:find("env:LABSH_SPEC_CANARY", 1, true), r.stdout)
  outputs[#outputs + 1] = read_file(tmp .. "/state/audit.log")
  for i, text in ipairs(outputs) do
    assert(not text:find(canary, 1, true), ("output %d holds the secret:\n%s"):format(i, text))
  end
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
