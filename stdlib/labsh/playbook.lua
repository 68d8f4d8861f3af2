-- labsh.playbook: lab.playbook, tasks (lab.task) run on inventory hosts
-- over SSH, as Ansible runs a play.
--
-- The hosts of a batch (all, or `serial` at a time) are worked on at once
-- (lab.remote.concurrently); a host that fails or cannot be reached drops
-- out of the play, the others go on. Handlers run once at the
-- end of the play on the hosts where a task notifying them changed
-- something. The recap counts ok, changed, failed, unreachable and skipped
-- per host; the play raises an error at the end when a host failed, so a
-- script running it exits non-zero.
--
-- Before the tasks run on a batch of hosts, each host is asked in one ssh
-- session for everything the tasks will read (labsh.playbook_gather); the
-- tasks then decide from those answers, and a task whose answer an earlier
-- task's change may have made stale reads its host again. A rerun that
-- changes nothing costs one session per host. In a real run each host then
-- goes through the tasks on its own, its changes sent in batches
-- (labsh.playbook_batch); a task's lines print (and its changes are
-- audited) once the sessions with its changes have ended on every host.
-- Check mode and a play with max_fail_percentage run each task on all
-- hosts in step.
--
-- Check mode (--dry-run) reads each host's state and reports what would
-- change, with diffs, changing nothing: only the tasks' reads ({read_only =
-- true}) reach a host, any other command is stopped by labsh.remote. A
-- host the inventory gives no ssh access to is never contacted: in check
-- mode its tasks are listed as planned. A real run goes through the
-- mutation gate: a person at a terminal confirms, cron passes --yes, and
-- the audit log records the play and every change.

local remote = require "labsh.remote"
local gather = require "labsh.playbook_gather"
local batched = require "labsh.playbook_batch"
local task = require "lab.task"
local gate = require "labsh.gate"
local host = require "labsh.host"
local cli = require "labsh.cli"

local M = {}

local unreachable_reasons = { unreachable = true, host_key = true, auth = true, timeout = true, no_access = true }

----------------------------------------------------------------------------
-- What a task sees of its host

local Context = {}
Context.__index = Context

-- Raises the failure of this task on this host.
function Context:fail(message)
  host.fail("task", message, { host = self.host })
end

-- The command's outcome on this host, sudo as the task or play says.
local function run_here(self, script, opts)
  local o = { sudo = self.sudo }
  for k, v in pairs(opts or {}) do o[k] = v end
  return remote.run(self.host, script, o)
end

-- The answer the play's state check (labsh.playbook_gather) has for this
-- command, while it is still good: a read, or a command whose guards say
-- it is not due. nil: the command goes to the host.
local function answered(self, script, opts)
  local answers = self.answers
  if not answers then return nil end
  if gather.plain_read(opts) then return answers:take(script, self.sudo) end
  local only_read_only = true  -- a command task passes {read_only = false}
  for key in pairs(opts or {}) do only_read_only = only_read_only and key == "read_only" end
  local guard = self.task and not self.check and only_read_only and gather.guard_of(self.task, script)
  local r = guard and answers:take(guard, self.sudo)
  if r and not gather.guard_lets_run(guard, r) then return r end
end

--- Runs a shell command on the host: its result, whatever the exit status.
--- A command that cannot run (unreachable, ...) ends the host's play.
function Context:sh(script, opts)
  if self.offline then self:fail("no ssh access: not contacted") end
  if self.unanswered then  -- the state check could not reach the host: nor can this
    local failure = self.unanswered
    self.unanswered = nil
    error(failure, 0)
  end
  local r = answered(self, script, opts)
  if r then return r end
  if self.pipeline and batched.fits(opts) then
    -- the queued changes, this command and the reads they make stale go
    -- together (labsh.playbook_batch)
    r = self.pipeline:flush { script = script, stdin = opts and opts.stdin, read = opts and opts.read_only }
  else
    if self.pipeline then self.pipeline:flush() end  -- the queued changes go first
    r = run_here(self, script, opts)
    -- a command that may have changed the host makes the answers about
    -- what it changed stale
    if self.answers and not (opts and opts.read_only) and not r.dry_run then self.answers:changed(self.task) end
  end
  if remote.is_error(r) then error(r, 0) end
  if r.dry_run then self:fail("not run (dry run): a command that changes the host") end
  return r
end

--- Runs a command that must succeed; `what` names it in the failure.
function Context:must(script, what, opts)
  -- in a batched run a change waits for the next session; a failure of it
  -- stops the host there
  if self.pipeline and not (opts and opts.read_only) and batched.fits(opts) then
    return self.pipeline:defer(script, what, opts)
  end
  local r = self:sh(script, opts)
  if r.status ~= 0 then
    local why = r.stderr:match("([^\n]+)\n?$") or r.stdout:match("([^\n]+)\n?$") or ("exit " .. tostring(r.status))
    self:fail(("%s: %s"):format(what, why))
  end
  return r
end

--- Like sh, but a command that cannot run gives nil (reboot's polling).
function Context:try(script, opts)
  if self.offline then return nil end
  if self.pipeline then self.pipeline:flush() end
  local r = run_here(self, script, opts)
  if remote.is_error(r) then return nil, r end
  return r
end

--- Waits `seconds` while the other hosts go on.
function Context:pause(seconds)
  coroutine.yield { spec = { argv = { "sleep", tostring(seconds) }, read_only = true }, finish = function() return true end }
end

--- Ends the master connection (the host is going away).
function Context:close() remote.close(self.host) end

----------------------------------------------------------------------------
-- Checking a play

local declared = false  -- a play of this script declared its manifest

local play_fields = {
  name = "string", hosts = "string|table", tasks = "table", handlers = "table", serial = "number",
  max_fail_percentage = "number", vars = "table", sudo = "boolean", parallel = "number",
  requires = "table", version = "string",
}

local function check_play(play)
  if type(play) ~= "table" then error("lab.playbook: expected a table {name, hosts, tasks, ...}", 3) end
  for key, value in pairs(play) do
    local want = play_fields[key]
    if not want then
      error(("lab.playbook: unknown field '%s' (fields: name, hosts, tasks, handlers, serial, "
        .. "max_fail_percentage, vars, sudo, parallel, requires, version)"):format(tostring(key)), 3)
    end
    if not want:find(type(value), 1, true) then
      error(("lab.playbook: '%s' must be a %s, got a %s"):format(key, want:gsub("|", " or "), type(value)), 3)
    end
  end
  for _, key in ipairs { "name", "hosts", "tasks" } do
    if play[key] == nil then error(("lab.playbook: '%s' is required"):format(key), 3) end
  end
  for i, t in ipairs(play.tasks) do
    if not task.is(t) then error(("lab.playbook: tasks[%d] is not a task (make it with lab.task.*)"):format(i), 3) end
  end
  -- handlers: a list of named tasks, or a map name -> task; kept in order
  local handlers = {}
  for key, t in pairs(play.handlers or {}) do
    if not task.is(t) then error(("lab.playbook: handler %s is not a task"):format(tostring(key)), 3) end
    local name = type(key) == "string" and key or t.name
    handlers[#handlers + 1] = { name = name, task = t, order = type(key) == "number" and key or math.huge }
  end
  table.sort(handlers, function(a, b)
    if a.order ~= b.order then return a.order < b.order end
    return a.name < b.name
  end)
  local known = {}
  for _, h in ipairs(handlers) do known[h.name] = true end
  for _, t in ipairs(play.tasks) do
    for _, name in ipairs(t.notify) do
      if not known[name] then error(("lab.playbook: task '%s' notifies '%s', which is not a handler"):format(t.name, name), 3) end
    end
  end
  if play.serial and (play.serial < 1 or play.serial ~= math.floor(play.serial)) then
    error("lab.playbook: serial must be a whole number >= 1", 3)
  end
  local pct = play.max_fail_percentage
  if pct and (pct < 0 or pct > 100) then error("lab.playbook: max_fail_percentage is between 0 and 100", 3) end
  return handlers
end

----------------------------------------------------------------------------
-- Output

-- Text for people (coloured on a terminal unless NO_COLOR is set), or with
-- --format json one document at the end of each play for machines.
local colours = { ok = "32", changed = "33", failed = "31", unreachable = "31", skipped = "36", planned = "36" }
local function as_json() return lab.options.format == "json" end

-- --diff: a real run shows each changed file's diff too (check mode always does).
local show_diff = false

-- --format json prints one document for the whole run (labsh.cli's
-- contract): the recap of its play, or {"plays": [...]} for a script that
-- runs several plays in turn (k8s-bootstrap). It is printed when labsh
-- closes the Lua state at the end of the run, also after a failed play.
local json_recaps = setmetatable({}, {
  __gc = function(list)
    if #list == 0 then return end
    local text = #list == 1 and list[1] or ('{"plays":[' .. table.concat(list, ",") .. "]}")
    io.stdout:write(text, "\n")
    io.stdout:flush()
  end,
})

local function paint(status, text)
  local no_color = os.getenv("NO_COLOR")
  if not lab.sys.isatty(1) or (no_color and no_color ~= "") or not colours[status] then return text end
  return ("\27[%sm%s\27[0m"):format(colours[status], text)
end

local function say(text)
  if as_json() then return end
  io.stdout:write(text, "\n")
  io.stdout:flush()
end

local function indent(text, prefix)
  return (text:gsub("[^\n]+", function(line) return prefix .. line end))
end

----------------------------------------------------------------------------
-- Running

-- A task on a host labsh may not contact, in check mode: "planned". Files
-- are rendered as if the host had none yet, so the plan shows what each
-- file would hold and a template's error shows before any host is touched.
local function preview(t, ctx)
  local planned = { status = "planned", msg = t.describe }
  if t.kind ~= "file" and t.kind ~= "template" and t.kind ~= "line" then return planned end
  local ok, report = pcall(t.run, ctx)
  if ok then
    planned.diff = report.diff
  elseif t.kind == "template" then
    return { status = "failed", msg = type(report) == "table" and report.message or tostring(report) }
  end
  return planned
end

-- The report of a task that raised `err`: an ssh error (unreachable, ...)
-- or the task's own failure.
local function failure_report(err)
  if remote.is_error(err) then
    return { status = unreachable_reasons[err.reason] and "unreachable" or "failed", msg = tostring(err) }
  end
  local message = type(err) == "table" and err.message or tostring(err)
  return { status = "failed", msg = message }
end

-- One task on one host: its report, never raising.
local function run_one(t, ctx)
  if t.when then
    local ok, go = pcall(t.when, ctx.record, ctx.vars)
    if not ok then return { status = "failed", msg = "when: " .. tostring(go) } end
    if not go then return { status = "skipped", msg = "when is false" } end
  end
  if ctx.offline then return preview(t, ctx) end
  if ctx.gather_error then return { status = "failed", msg = ctx.gather_error } end
  local saved = ctx.sudo
  if t.sudo ~= nil then ctx.sudo = t.sudo end
  ctx.task = t
  local ok, result = pcall(t.run, ctx)
  ctx.sudo, ctx.task = saved, nil
  if ok then return result end
  return failure_report(result)
end

-- Runs `t` on the hosts, prints a line per host; returns reports by host.
-- `run`: the play being run {play, contexts, stats, width, log}.
-- `given(name)`: the host's report when its pipeline has run the task already.
local function run_task(run, t, hosts, heading, title, given)
  local play, contexts, stats = run.play, run.contexts, run.stats
  say(("%s [%s]"):format(heading, title or t.name))
  local reports
  if given then
    reports = {}
    for i, name in ipairs(hosts) do reports[i] = given(name) end
  else
    reports = remote.concurrently(hosts, function(name) return run_one(t, contexts[name]) end, play.parallel or 16)
  end
  local by_host = {}
  local logged = { task = title or t.name, handler = heading == "HANDLER" or nil, hosts = {} }
  run.log[#run.log + 1] = logged
  for i, name in ipairs(hosts) do
    local r = reports[i]
    if type(r) ~= "table" or not r.status then r = { status = "failed", msg = tostring(r) } end
    by_host[name] = r
    logged.hosts[name] = { status = r.status, msg = r.msg, diff = r.diff }
    stats[name][r.status] = stats[name][r.status] + 1
    local line = ("  %s %-" .. run.width .. "s"):format(paint(r.status, ("%-11s"):format(r.status)), name)
    if r.msg and r.msg ~= "" then line = line .. "  " .. r.msg end
    say(line)
    if r.diff and r.diff ~= "" and (contexts[name].check or show_diff) then
      say(indent(r.diff:gsub("\n$", ""), "      "))
    end
    if r.status == "changed" and not contexts[name].check and not given then  -- a pipeline audited it
      gate.audit { action = "playbook.task", target = name, outcome = "changed",
                   details = { play = play.name, task = t.name, change = r.msg } }
    end
  end
  return by_host
end

-- Before the tasks run on `hosts`: what they will read of each host, learned
-- in one session per host for all the tasks at once (labsh.playbook_gather).
local function learn_state(run, hosts)
  local online = {}
  for _, name in ipairs(hosts) do
    if not run.contexts[name].offline then online[#online + 1] = name end
  end
  remote.concurrently(online, function(name) gather.learn(run.play.tasks, run.contexts[name]) end,
    run.play.parallel or 16)
end

-- A real run without max_fail_percentage: each host learns its state and
-- goes through all the tasks on its own, its changes batched
-- (labsh.playbook_batch). `final(name, index, report)` gets each report
-- once it is final, in task order per host; a changed one is audited
-- then. With max_fail_percentage the hosts go in step: a stop after a task
-- must find no host past it.
local function run_pipelines(run, hosts, final)
  local count = {}
  local results = remote.concurrently(hosts, function(name)
    local ctx = run.contexts[name]
    count[name] = 0
    gather.learn(run.play.tasks, ctx)
    batched.run_host(ctx, run.play.tasks, run_one, failure_report, function(index, r)
      if r.status == "changed" then
        gate.audit { action = "playbook.task", target = name, outcome = "changed",
                     details = { play = run.play.name, task = run.play.tasks[index].name, change = r.msg } }
      end
      count[name] = index
      final(name, index, r)
    end)
  end, run.play.parallel or 16)
  -- a pipeline that raised (a bug) fails its host at its next task
  for i, name in ipairs(hosts) do
    if results[i] ~= nil then final(name, (count[name] or 0) + 1, failure_report(results[i])) end
  end
end

-- After the tasks: handlers read their hosts afresh.
local function forget_state(run, hosts)
  for _, name in ipairs(hosts) do
    local ctx = run.contexts[name]
    ctx.answers, ctx.unanswered, ctx.gather_error = nil, nil, nil
  end
end

-- The hosts in batches of `serial` (all at once without it).
local function batches(hosts, serial)
  local out, size = {}, serial or #hosts
  for i = 1, #hosts, size do
    local batch = {}
    for j = i, math.min(#hosts, i + size - 1) do batch[#batch + 1] = hosts[j] end
    out[#out + 1] = batch
  end
  return out
end

local function play_run(play, handlers, hosts, check)
  local inventory = lab.inventory.current()
  local records = {}
  for _, list in ipairs { inventory.nodes, inventory.guests or {} } do
    for _, r in ipairs(list) do records[r.name] = r end
  end
  local width, stats, contexts = 4, {}, {}
  for _, name in ipairs(hosts) do
    width = math.max(width, #name)
    stats[name] = { ok = 0, changed = 0, failed = 0, unreachable = 0, skipped = 0, planned = 0 }
    local access = remote.access(name)
    local record = records[name]
    contexts[name] = setmetatable({
      host = name, record = record, vars = play.vars or {}, check = check, sudo = play.sudo or false,
      offline = access == nil,
      planned = {},  -- check mode: path -> the state earlier tasks would leave
      scope = setmetatable({ host = record, inventory = inventory }, { __index = play.vars or {} }),
    }, Context)
  end
  local run = { play = play, contexts = contexts, stats = stats, width = width, log = {} }
  local offline = 0
  for _, name in ipairs(hosts) do if contexts[name].offline then offline = offline + 1 end end
  say(("PLAY [%s] %d host%s%s"):format(play.name, #hosts, #hosts == 1 and "" or "s",
    check and (offline == #hosts and " (check mode, no ssh access: the plan only)" or " (check mode)") or ""))
  local failed_hosts, aborted = {}, false
  for _, batch in ipairs(batches(hosts, play.serial)) do
    if aborted then break end
    local notified = {}
    local active = {}
    for _, name in ipairs(batch) do active[#active + 1] = name end
    local failed_in_batch, printed = 0, 0
    -- Prints the next task's lines (its reports from `report_of(name)`, or
    -- it runs on the active hosts now); drops the hosts that failed; false
    -- when max_fail_percentage stops the play.
    local function next_task(report_of)
      printed = printed + 1
      local t = play.tasks[printed]
      local reports = run_task(run, t, active, "TASK", nil, report_of)
      local still = {}
      for _, name in ipairs(active) do
        local r = reports[name]
        if r.status == "failed" or r.status == "unreachable" then
          failed_hosts[#failed_hosts + 1] = name
          failed_in_batch = failed_in_batch + 1
        else
          still[#still + 1] = name
          if r.status == "changed" then
            for _, handler in ipairs(t.notify) do
              notified[handler] = notified[handler] or {}
              notified[handler][name] = true
            end
          end
        end
      end
      active = still
      local pct = play.max_fail_percentage
      if pct and failed_in_batch * 100 > pct * #batch then
        say(("  play stopped: %d of %d hosts in this batch failed (max_fail_percentage = %g)")
          :format(failed_in_batch, #batch, pct))
        aborted = true
      end
      return not aborted
    end
    if not check and not play.max_fail_percentage then
      -- each host on its own; a task's lines print as soon as every host
      -- still in the play has its final report
      local finals = {}
      for _, name in ipairs(active) do finals[name] = {} end
      local function print_ready()
        while printed < #play.tasks and #active > 0 do
          local index = printed + 1
          for _, name in ipairs(active) do
            if not finals[name][index] then return end
          end
          next_task(function(name) return finals[name][index] end)
        end
      end
      run_pipelines(run, active, function(name, index, r)
        finals[name][index] = r
        print_ready()
      end)
      while printed < #play.tasks and #active > 0 do  -- a report missing now is a bug
        local index = printed + 1
        next_task(function(name)
          return finals[name][index] or { status = "failed", msg = "no report (a bug in labsh.playbook_batch)" }
        end)
      end
    else
      learn_state(run, active)
      while printed < #play.tasks and #active > 0 and next_task(nil) do end
    end
    forget_state(run, batch)
    if not aborted then
      for _, h in ipairs(handlers) do
        local targets = {}
        for _, name in ipairs(active) do
          if notified[h.name] and notified[h.name][name] then targets[#targets + 1] = name end
        end
        if #targets > 0 then
          local reports = run_task(run, h.task, targets, "HANDLER", h.name)
          for _, name in ipairs(targets) do
            if reports[name].status == "failed" or reports[name].status == "unreachable" then
              failed_hosts[#failed_hosts + 1] = name
            end
          end
        end
      end
    end
  end
  say("PLAY RECAP")
  for _, name in ipairs(hosts) do
    local s = stats[name]
    local worst = (s.failed > 0 and "failed") or (s.unreachable > 0 and "unreachable")
      or (s.changed > 0 and "changed") or (s.planned > 0 and "planned") or "ok"
    -- planned: tasks of a host never contacted, neither ok nor changed
    say(("  %s  ok=%d changed=%d unreachable=%d failed=%d skipped=%d%s"):format(
      paint(worst, ("%-" .. width .. "s"):format(name)), s.ok, s.changed, s.unreachable, s.failed, s.skipped,
      s.planned > 0 and (" planned=%d"):format(s.planned) or ""))
  end
  local recap = { play = play.name, hosts = hosts, stats = stats, failed = failed_hosts, aborted = aborted,
                  check = check }
  if as_json() then
    recap.tasks = run.log
    json_recaps[#json_recaps + 1] = lab.json.encode(recap, { sort_keys = true })
    recap.tasks = nil
  end
  return recap
end

-- The arguments a playbook takes (labsh.cli's contract: --help, one-line
-- usage errors with exit 2). `labsh FILE --dry-run` must not run for real:
-- --dry-run and --yes after the playbook's file name count as before it
-- (after -m NAME labsh has taken them out already, and left "--dry-run"
-- after a `--` to the script: refused here like anything else).
local function declaration(play)
  return {
    name = cli.started_by_name() and arg[0] or play.name,
    summary = play.description,  -- else the script's first comment sentence (labsh.cli)
    formats = { "text", "json" },
    params = {
      { "--limit", "PATTERN", "only these hosts: names, globs (pve*), groups (a role or kind), !NAME to leave out;"
        .. " comma-separated" },
      { "--diff", nil, "show each changed file's diff in a real run too (check mode always shows them)" },
    },
    globals = ", --dry-run (check mode, with diffs), --yes, --inventory FILE",
    exit = "0 every host ok, 1 a host failed or could not be reached (or refused, declined), 2 usage",
  }
end

-- Whether host `name` is in the group `word`: its role or kind.
local function in_group(name, word)
  for _, find in ipairs { lab.node, lab.guest } do
    local ok, record = pcall(find, name)
    if ok and record and (record.role == word or record.kind == word) then return true end
  end
  return false
end

-- "pve*" as a Lua pattern anchored at both ends.
local function glob(word)
  return "^" .. word:gsub("[%^%$%(%)%%%.%[%]%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".") .. "$"
end

local function matches(name, word)
  return name == word or (word:find("[*?]") and name:find(glob(word)) ~= nil) or in_group(name, word)
end

--- The hosts of `hosts` that --limit PATTERN keeps, as Ansible's --limit:
--- comma- or colon-separated names, globs, groups; !X leaves X out. nil
--- and the part that matches no host of the inventory (a typo).
function M.limit(hosts, pattern)
  local include, exclude = {}, {}
  local everyone = remote.hosts("all")
  for word in pattern:gmatch("[^,:]+") do
    local negated, body = word:match("^(!?)(.+)$")
    local any = false
    for _, name in ipairs(everyone) do
      if matches(name, body) then any = true end
    end
    if not any then return nil, body end
    if negated == "!" then exclude[#exclude + 1] = body else include[#include + 1] = body end
  end
  local kept = {}
  for _, name in ipairs(hosts) do
    local wanted = #include == 0
    for _, word in ipairs(include) do wanted = wanted or matches(name, word) end
    for _, word in ipairs(exclude) do
      if matches(name, word) then wanted = false end
    end
    if wanted then kept[#kept + 1] = name end
  end
  return kept
end

local function read_script_flags(play)
  local decl = declaration(play)
  local args = {}
  for i, a in ipairs(arg or {}) do args[i] = a end
  return cli.parse(args, decl), decl
end

-- A real run needs every host reachable by the inventory: refused before
-- anyone is asked to confirm.
local function refuse_offline(play, hosts)
  local names = {}
  for _, name in ipairs(hosts) do
    if not remote.access(name) then names[#names + 1] = name end
  end
  if #names > 0 then
    host.fail("playbook", ("%s: the inventory gives no ssh access to %s (an ssh section); --dry-run shows the plan")
      :format(play.name, table.concat(names, ", ")))
  end
end

--- For a playbook script with no host to act on (labsh.targets): its
--- options are read as a play's would be (--help, a usage error), then one
--- line says there is nothing to do and why. The script returns: exit 0.
function M.nothing_to_do(name, why)
  read_script_flags { name = name }
  if as_json() then  -- the recap of a play without hosts, and why
    print(lab.json.encode({ play = name, hosts = setmetatable({}, lab.json.array), stats = {},
                            failed = setmetatable({}, lab.json.array), aborted = false,
                            check = lab.options.dry_run or false, nothing_to_do = why }, { sort_keys = true }))
    return
  end
  print(("%s: nothing to do: %s"):format(name, why))
end

--- Runs a play (see stdlib/meta/task.d.lua) and returns its recap:
--- {stats = {host = {ok, changed, failed, unreachable, skipped}}, failed =
--- {hosts}, check}. Raises an error of kind "playbook" after the recap when
--- a host failed or could not be reached.
function M.playbook(play)
  local handlers = check_play(play)
  -- the play's manifest, as labsh.script declares one (README, "Writing a
  -- shared library"), by the script's first play; a play run by a script
  -- with a manifest of its own leaves `requires` out
  if play.requires and not declared then
    declared = true
    local capabilities = require "labsh.capabilities"
    capabilities.declare {
      script = play.name, version = play.version, requires = play.requires,
      arguments = table.move(arg or {}, 1, #(arg or {}), 1, {}), source = lab.options.script,
    }
    if not capabilities.allows("mutation") then lab.options.dry_run = true end
  end
  local opts, decl = read_script_flags(play)
  show_diff = opts.diff or false
  -- a selector that picks no host (a role no host has) ends the play with
  -- its reason, not a traceback
  local picked, hosts = pcall(remote.hosts, play.hosts)
  if not picked then
    host.fail("playbook", ("%s: hosts: %s"):format(play.name, (tostring(hosts):gsub("^[^\n]-:%d+: ", ""))))
  end
  remote.check_capable(hosts)  -- a play on a host the script may not reach does not start
  if opts.limit then
    local kept, unmatched = M.limit(hosts, opts.limit)
    if not kept then cli.usage_error(decl, ("--limit: '%s' matches no host of the inventory"):format(unmatched)) end
    hosts = kept
    if #hosts == 0 then  -- as Ansible: this play has nothing to do
      io.stderr:write(("PLAY [%s] skipped: --limit %s leaves none of its hosts\n"):format(play.name, opts.limit))
      local recap = { play = play.name, hosts = setmetatable({}, lab.json.array), stats = {},
                      failed = setmetatable({}, lab.json.array), aborted = false, check = lab.options.dry_run or false }
      if as_json() then json_recaps[#json_recaps + 1] = lab.json.encode(recap, { sort_keys = true }) end
      return recap
    end
  end
  local check = lab.options.dry_run or false
  if not check then refuse_offline(play, hosts) end
  local recap
  if check then
    recap = play_run(play, handlers, hosts, true)
    gate.audit { action = "playbook", target = play.name, outcome = "dry run", dry_run = true,
                 details = { hosts = hosts } }
  else
    local _, declined = gate.perform({
      action = "playbook", target = play.name, details = { hosts = hosts },
      summary = ("run playbook %s on %d host%s"):format(play.name, #hosts, #hosts == 1 and "" or "s"),
    }, function() recap = play_run(play, handlers, hosts, false) end)
    if declined then return nil, declined end
  end
  if #recap.failed > 0 then
    host.fail("playbook", ("%s: %d host%s failed: %s"):format(play.name, #recap.failed,
      #recap.failed == 1 and "" or "s", table.concat(recap.failed, ", ")), { failed = recap.failed })
  end
  return recap
end

return M
