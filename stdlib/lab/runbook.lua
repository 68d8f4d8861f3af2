-- lab.runbook: a change made step by step, with consent, rollback, change
-- windows, silences and an audit record (plan §5.3, §11 incident response).
--
--   lab.runbook {
--     name = "disk-swap", description = "Replace a disk on a node",
--     change = "normal",                -- "standard" (pre-approved), "normal", "emergency"
--     params = { { name = "node", help = "the node", required = true } },
--     targets = function(p) return { p.node } end,   -- silenced while it runs
--     duration = "2h",                  -- how long the silence lasts at most
--     steps = {
--       { title = "drain", run = function(ctx) ... end,
--         verify = function(ctx) return true end, rollback = function(ctx) ... end },
--     },
--   }
--
-- Run as a script: `labsh -m NAME --node pve4 [--dry-run] [--yes] [--emergency]`.
-- --dry-run prints the plan and changes nothing (steps do not run; every
-- mutating call that does happen, such as the silence, is recorded by the
-- gate and not performed) and exits 0. Otherwise each step is a change
-- through the gate: a person at a terminal confirms it, cron needs --yes.
-- When a step fails (its run raises, or its verify answers false or
-- raises), is declined, or labsh is stopped (Ctrl-C, SIGTERM, --timeout),
-- the rollbacks of the steps done run in reverse, the failed step's own
-- first when its run finished, and no step is undone twice; a stop waits
-- for them (a second signal does not). Each rollback is printed and
-- audited, and the run's last audit line says the state it left:
-- "changed", "rolled back", "nothing to roll back", "rollback failed at
-- step N" (exit 3) or, when a second signal or the time limit cut the
-- rollback short, "rollback interrupted at step N". A "normal" change outside the
-- inventory's maintenance window (read in the inventory's time zone) is
-- refused unless --emergency.

local gate = require "labsh.gate"
local host = require "labsh.host"
local os_ = require "labsh.os"
local stops = require "labsh.stops"

local runbook = {}

local CHANGES = { standard = true, normal = true, emergency = true }

-- How long a rollback may hold back a stop (Ctrl-C, SIGTERM, --timeout).
local ROLLBACK_SECONDS = 300

local function fail(message, fields) host.fail("runbook", message, fields) end

local function say(...) io.stderr:write(...) io.stderr:write("\n") end

-- ---- Definition -------------------------------------------------------------

local function check(spec)
  if type(spec) ~= "table" then fail("a runbook is a table") end
  if type(spec.name) ~= "string" or spec.name == "" then fail("a runbook needs a name") end
  local change = spec.change or "normal"
  if not CHANGES[change] then fail(("runbook %s: change %q: standard, normal or emergency"):format(spec.name, tostring(change))) end
  if type(spec.steps) ~= "table" or #spec.steps == 0 then fail(("runbook %s: no steps"):format(spec.name)) end
  for i, step in ipairs(spec.steps) do
    if type(step.title) ~= "string" then fail(("runbook %s: steps[%d] needs a title"):format(spec.name, i)) end
    if type(step.run) ~= "function" then fail(("runbook %s: step %q needs run = function"):format(spec.name, step.title)) end
  end
  return change
end

--- The usage text of a runbook: description, parameters, steps.
function runbook.usage(spec)
  local lines = { ("usage: labsh -m %s%s [--dry-run] [--yes] [--emergency]"):format(spec.name,
    (function()
      local out = {}
      for _, p in ipairs(spec.params or {}) do
        out[#out + 1] = (p.required and " --%s VALUE" or " [--%s VALUE]"):format(p.name)
      end
      return table.concat(out)
    end)()) }
  if spec.description then lines[#lines + 1] = spec.description end
  if spec.params and #spec.params > 0 then
    lines[#lines + 1] = "parameters:"
    for _, p in ipairs(spec.params) do
      lines[#lines + 1] = ("  --%-14s %s%s"):format(p.name, p.help or "",
        p.default ~= nil and (" (default " .. tostring(p.default) .. ")") or "")
    end
  end
  lines[#lines + 1] = ("steps (%s change):"):format(spec.change or "normal")
  if type(spec.steps) == "function" then
    lines[#lines + 1] = "  (made from the parameters: --dry-run shows them)"
  end
  for i, step in ipairs(type(spec.steps) == "table" and spec.steps or {}) do
    lines[#lines + 1] = ("  %d. %s%s"):format(i, step.title, step.rollback and "" or " (no rollback)")
  end
  lines[#lines + 1] = "options: --dry-run plan only; --yes no questions (cron); --emergency outside the window;"
  lines[#lines + 1] = "  --format text|json"
  lines[#lines + 1] = "exit status: 0 done or dry run, 1 failed, refused or declined, 2 usage, 3 rollback failed"
  return table.concat(lines, "\n")
end

-- A usage error: one line naming the problem, then the usage, on stderr;
-- exit 2 (the script contract of labsh.cli), never a traceback.
local function usage_error(spec, message)
  io.stderr:write(("labsh -m %s: %s\n%s\n"):format(spec.name, message, runbook.usage(spec)))
  os.exit(2, true)
end

--- The runbook's parameters from script arguments (`--name value`,
--- `--name=value`, `name=value`); --dry-run, --yes and --emergency there
--- set lab.options as the labsh options do. Raises for unknown or missing.
function runbook.parse(spec, args)
  local cli = require "labsh.cli"
  cli.refuse_unsupported { name = spec.name, formats = { "text", "json" } }
  local lifting = not cli.started_by_name()  -- after -m NAME labsh took them out already
  local known, params = {}, {}
  for _, p in ipairs(spec.params or {}) do known[p.name] = p; params[p.name] = p.default end
  local i = 1
  while i <= #args do
    local a = args[i]
    if lifting and a == "--dry-run" then lab.options.dry_run = true
    elseif lifting and a == "--yes" then lab.options.yes = true
    elseif lifting and a == "--emergency" then lab.options.emergency = true
    elseif a == "--help" or a == "-h" then
      print(runbook.usage(spec))
      os.exit(0)
    elseif a == "--" then  -- the end of options: a runbook takes its parameters by name only
      if args[i + 1] ~= nil then usage_error(spec, ("unexpected argument '%s'"):format(args[i + 1])) end
    else
      local name, value = a:match("^%-%-([%w_%-]+)=(.*)$")
      if not name then name, value = a:match("^([%w_%-]+)=(.*)$") end
      if not name then
        name = a:match("^%-%-([%w_%-]+)$")
        if name then i, value = i + 1, args[i + 1] end
      end
      if not name or not known[name] then usage_error(spec, ("unknown argument '%s'"):format(a)) end
      if value == nil then usage_error(spec, ("--%s needs a value"):format(name)) end
      params[name] = value
    end
    i = i + 1
  end
  for _, p in ipairs(spec.params or {}) do
    if p.required and params[p.name] == nil then
      usage_error(spec, ("--%s is required (%s)"):format(p.name, p.help or "a value"))
    end
  end
  return params
end

-- ---- Change window -------------------------------------------------------------

--- The maintenance window open at `now` (a window of the inventory's
--- `maintenance` section with a schedule and a duration), or nil and the
--- next opening (Unix seconds) of any window. Homelab computes it from the
--- validated windows, in the inventory's time zone (site.timezone), never
--- the process's TZ.
function runbook.window(now)
  return require("labsh.schedule").window(lab.inventory.model(), now)
end

-- ---- Silences ------------------------------------------------------------------

-- Opens a silence for the targets while the runbook runs; returns a closer.
local function silence(spec, targets)
  local monitoring = lab.inventory.current().monitoring
  if #targets == 0 or not (monitoring and monitoring.alertmanager) then return function() end end
  local names = {}
  for i, t in ipairs(targets) do names[i] = t:gsub("[%.%+%*%?%^%$%(%)%[%]{}|\\]", "\\%0") end
  local matcher = ('instance=~"(%s)(:[0-9]+)?"'):format(table.concat(names, "|"))
  local id = lab.alertmanager.silence {
    matchers = { matcher },
    duration = spec.duration or "1h",
    comment = ("labsh runbook %s by %s"):format(spec.name, os_.user()),
  }
  if id then say(("silenced %s (silence %s)"):format(table.concat(targets, ", "), id)) end
  return function()
    if id then
      local ok, err = pcall(lab.alertmanager.expire, id)
      if ok then say(("silence %s expired"):format(id)) else say(("could not expire silence %s: %s"):format(id, tostring(err))) end
    end
  end
end

-- ---- Running -----------------------------------------------------------------

--- Runs a runbook with script arguments `args`; returns {status =
--- "ok"|"failed"|"refused"|"dry run"|"declined", state = "changed"|
--- "rolled back"|"nothing to roll back"|"rollback failed at step N"|
--- "rollback interrupted at step N" (a stop cut the rollback short),
--- steps = {{title, status}}, error}. Does not exit; lab.runbook{} does.
function runbook.execute(spec, args)
  local script, sha = gate.script()
  local params = runbook.parse(spec, args or {})
  if type(spec.steps) == "function" then  -- steps made from the parameters
    local copy = setmetatable({ steps = spec.steps(params) }, { __index = spec })
    spec = copy
  end
  local change = check(spec)
  local targets = spec.targets
  if type(targets) == "function" then targets = targets(params) end
  targets = targets or {}
  local dry = lab.options.dry_run
  local ctx = { params = params, targets = targets, dry_run = dry, name = spec.name }
  local result = { name = spec.name, status = "ok", steps = {} }
  local plan = {}
  for i, step in ipairs(spec.steps) do plan[i] = step.title end

  local function audit()
    gate.audit {
      action = "runbook", target = spec.name, outcome = result.status, dry_run = dry or false,
      script = script, sha256 = sha, arguments = args or {}, plan = plan,
      details = { change = change, targets = targets, steps = result.steps, error = result.error,
                  state = result.state, emergency = lab.options.emergency or false },
    }
  end

  say(("runbook %s (%s change)%s"):format(spec.name, change, #targets > 0 and (" on " .. table.concat(targets, ", ")) or ""))

  -- §5.3: normal changes wait for the maintenance window.
  if change == "normal" and not lab.options.emergency then
    local window, next_open = runbook.window()
    if not window then
      local when = next_open and os.date("!%Y-%m-%d %H:%M UTC", next_open) or "none configured"
      local why = ("outside the maintenance window (next: %s); --emergency to go ahead anyway"):format(when)
      local scheduled = 0
      for _, w in ipairs(lab.inventory.maintenance()) do if w.schedule then scheduled = scheduled + 1 end end
      if scheduled == 0 then  -- a lab without windows: say so, not "outside" one
        why = "maintenance windows: not configured (the inventory has none with a schedule); --emergency to go ahead anyway"
      end
      if not dry then
        result.status, result.error = "refused", why
        audit()
        say("refused: ", why)
        return result
      end
      say("note: a real run now would be refused: ", why)
    end
  end

  if dry then
    say("plan (dry run, nothing is changed):")
    for i, step in ipairs(spec.steps) do
      local detail = step.plan and step.plan(ctx)
      say(("  %d. %s%s"):format(i, step.title, detail and (": " .. detail) or ""))
      result.steps[i] = { title = step.title, status = "planned" }
    end
  end

  local close_silence = silence(spec, targets)
  local _ <close> = setmetatable({}, { __close = function() close_silence() end })
  if dry then
    result.status = "dry run"
    audit()
    return result
  end

  -- Steps done, newest last: what a rollback undoes, in reverse. Each is
  -- taken off before its rollback runs, so no step is undone twice,
  -- whatever ends the rollback.
  local done = {}
  local rollback_began = false

  -- Undoes the steps done, newest first, each through the gate (so each is
  -- audited) and each reported; sets result.state to the state the run
  -- leaves (there, not by the caller: a stop held back during the rollback
  -- is raised as soon as it returns). While a step's rollback runs,
  -- result.state says where a stop would leave the run.
  local function rollback()
    rollback_began = true
    local undoable = 0
    while #done > 0 do
      local entry = table.remove(done)
      if entry.step.rollback then
        undoable = undoable + 1
        result.state = ("rollback interrupted at step %d"):format(entry.index)
        io.stderr:write(("rollback of step %d: %s ... "):format(entry.index, entry.step.title))
        local ok, err = pcall(gate.perform, { action = "runbook.rollback", target = spec.name, ask = false,
                                              summary = ("roll back step %d: %s"):format(entry.index, entry.step.title) },
                              function() return entry.step.rollback(ctx) end)
        local status = ok and "done" or ("failed: " .. gate.describe(err))
        say(status)
        result.steps[#result.steps + 1] = { title = "rollback: " .. entry.step.title, status = status }
        if not ok then
          result.state = ("rollback failed at step %d"):format(entry.index)
          return
        end
      end
    end
    result.state = undoable > 0 and "rolled back" or "nothing to roll back"
  end

  -- The run's final line, written once, with stops held back from the
  -- moment it counts as written; `tell`: also say the state left on stderr.
  local recorded = false
  local function record(tell)
    stops.hold(10, function()
      recorded = true
      if tell then say(("runbook %s: %s"):format(spec.name, result.state)) end
      audit()
    end)
  end

  -- A stop (Ctrl-C, SIGTERM, --timeout) or an error ends the run here,
  -- wherever it came: in a step, in the rollback of a failed run, or while
  -- the final line was due. The steps done are rolled back if no rollback
  -- began (with stops held back; a second signal or the time limit ends
  -- that), and the final line says what state the run left, also when the
  -- rollback itself was cut short ("rollback interrupted at step N").
  local _ <close> = setmetatable({}, { __close = function(_, err)
    if recorded then return end
    result.status = "interrupted"
    result.error = stops.reason() or gate.describe(err)
    say("interrupted: ", result.error)
    local _ <close> = setmetatable({}, { __close = function() record(true) end })
    if result.state == nil and not rollback_began then stops.hold(ROLLBACK_SECONDS, rollback) end
  end })

  for i, step in ipairs(spec.steps) do
    say(("[%d/%d] %s"):format(i, #spec.steps, step.title))
    local ok, value, why = pcall(gate.perform, { action = "runbook.step", target = spec.name,
                                                summary = ("step %d: %s"):format(i, step.title) },
                                 function() return true, step.run(ctx) end)
    if ok and value == nil and why == "declined" then
      result.status, result.error = "declined", ("step %d declined"):format(i)
      result.steps[i] = { title = step.title, status = "declined" }
      break
    end
    local verified, verr = ok, value
    if ok and step.verify then
      local vok, answer = pcall(step.verify, ctx)
      verified = vok and answer ~= false and answer ~= nil
      verr = vok and "verify answered " .. tostring(answer) or answer
      if not verified then done[#done + 1] = { index = i, step = step } end  -- it ran: undo it too
    end
    if not verified then
      result.status = "failed"
      result.error = ("step %d (%s): %s"):format(i, step.title, gate.describe(verr))
      result.steps[i] = { title = step.title, status = "failed" }
      say("failed: ", result.error)
      break
    end
    result.steps[i] = { title = step.title, status = "done" }
    done[#done + 1] = { index = i, step = step }
  end
  if result.status ~= "ok" then
    stops.hold(ROLLBACK_SECONDS, rollback)
    record(true)
  else
    result.state = "changed"
    record(false)
  end
  return result
end

-- Exit codes: 0 done or dry run; 1 failed, refused or declined with the
-- steps done rolled back; 3 a rollback failed (the system is half-changed:
-- look at it). A stop exits 124/130/143 after its rollback.
local EXIT = { ok = 0, ["dry run"] = 0, failed = 1, refused = 1, declined = 1 }

local function exit_code(result)
  if result.state and result.state:find("^rollback failed") then return 3 end
  return EXIT[result.status] or 1
end
--- lab.runbook{...}: runs the runbook with the script's arguments (`arg`)
--- and exits: 0 done or dry run, 1 failed, refused or declined.
return setmetatable(runbook, {
  __call = function(_, spec)
    local args = {}
    for i = 1, #(arg or {}) do args[i] = arg[i] end
    local result = runbook.execute(spec, spec.args or args)
    if lab.options.format == "json" then print(lab.json.encode(result, { sort_keys = true })) end
    os.exit(exit_code(result), true)
  end,
})
