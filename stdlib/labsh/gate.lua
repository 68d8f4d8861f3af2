-- labsh.gate: the one place that decides whether labsh may change anything.
--
-- Two doors:
--   gate.allows(action)     routine writes that cron jobs make every run
--                           (metrics, pushes, silences): --dry-run only.
--   gate.perform(change, f) changes that need consent (deleting snapshots,
--                           restoring over files): --dry-run, asking a person
--                           at a terminal or --yes, and the audit log.
-- Both leave a caller's code the same whether it runs at a prompt or in cron.

local host = require "labsh.host"
local os_ = require "labsh.os"
local filesystem = require "labsh.filesystem"
local stops = require "labsh.stops"

local gate = {}

--- May labsh do `action` (e.g. "create a silence on http://am:9093 for
--- alertname=\"DiskFull\"")? Under --dry-run it says on stderr what it would
--- do and answers false; the caller then changes nothing and returns nil.
function gate.allows(action)
  if lab.options.dry_run then
    io.stderr:write("dry run: would ", action, "\n")
    return false
  end
  return true
end

-- The audit log: $LABSH_STATE_DIR/audit.log, else
-- $XDG_STATE_HOME/labsh/audit.log, else ~/.local/state/labsh/audit.log.
function gate.audit_path()
  return require("labsh.state").dir() .. "/audit.log"
end

-- Secret values read this run (labsh.secret registers them): never
-- written to the audit log.
local secrets = {}

--- Remembers a secret value so that gate.redact hides it.
function gate.secret(value)
  if type(value) == "string" and #value >= 4 then secrets[value] = true end
end

--- `text` with every remembered secret value replaced by "<redacted>",
--- longest first, so a secret that contains another goes whole.
function gate.redact(text)
  local known = {}
  for value in pairs(secrets) do known[#known + 1] = value end
  table.sort(known, function(a, b) return #a > #b end)
  for _, value in ipairs(known) do
    local at = text:find(value, 1, true)
    while at do
      text = text:sub(1, at - 1) .. "<redacted>" .. text:sub(at + #value)
      at = text:find(value, at + #"<redacted>", true)
    end
  end
  return text
end

-- A copy of `value` with every string in it redacted: on the raw strings,
-- before JSON escapes a quote, a backslash or a newline inside a secret.
local function redacted(value)
  if type(value) == "string" then return gate.redact(value) end
  if type(value) ~= "table" or value == lab.json.null then return value end
  local copy = {}
  for k, v in pairs(value) do copy[redacted(k)] = redacted(v) end
  return setmetatable(copy, getmetatable(value))
end

--- An error as one line of text, secrets redacted: an error object by its
--- message, another table by its fields, anything else by tostring.
function gate.describe(err)
  if type(err) == "table" then
    if err.message ~= nil then return gate.redact(tostring(err.message)) end
    local meta = getmetatable(err)
    if meta and meta.__tostring then return gate.redact(tostring(err)) end
    local ok, text = pcall(lab.json.encode, redacted(err), { sort_keys = true })
    return ok and text or "(an error object without a message)"
  end
  return gate.redact(tostring(err))
end

--- Appends one JSON line to the audit log: time, user, host, action, target,
--- details, outcome, dry_run, script (the running script, see gate.script)
--- and sha256 (of its text); a change adds the id (`change`) that pairs its
--- "started" line with its outcome; runbook and job runs add arguments and
--- plan (the mutating steps).
--- The file is private (0600, never through a symlink) and written with
--- O_APPEND in one write, so parallel jobs never interleave their lines.
--- Secrets are references ("env:NAME") in arguments; a value that
--- gate.redact knows is replaced by "<redacted>" whatever bytes it holds.
--- Raises when the line cannot be written.
function gate.audit(entry)
  local path = gate.audit_path()
  filesystem.make_directories((path:gsub("/[^/]*$", "")))
  local script, sha256 = entry.script, entry.sha256
  if not script then script, sha256 = gate.script() end
  local line = lab.json.encode(redacted({
    time = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    user = os_.user(),
    host = lab.sys.hostname(),
    action = entry.action,
    target = entry.target,
    details = entry.details or lab.json.null,
    outcome = entry.outcome,
    dry_run = entry.dry_run or false,
    change = entry.change,
    script = script,
    sha256 = sha256,
    arguments = entry.arguments,
    plan = entry.plan,
  }), { sort_keys = true })
  filesystem.append_private(path, line .. "\n")
end

-- The script a change comes from: its main chunk's file (or the script
-- inside labsh that -m ran) and the SHA-256 of its text, found once.
local script_path, script_sha

--- The running script and its SHA-256, for the audit log: ("labsh:scripts/
--- NAME.lua" or a path, hash), or the chunk's name and nil for -e code.
function gate.script()
  if script_path then return script_path, script_sha end
  local source = lab.options.script  -- set by labsh when it loads a script
  if not source then  -- -e code: the outermost main chunk
    for level = 2, math.huge do
      local info = debug.getinfo(level, "S")
      if not info then break end
      if info.what == "main" then source = info.source end
    end
  end
  if not source then return nil end
  local embedded = source:match("^[=@]labsh:(scripts/.+)$")
  local text
  if embedded then
    script_path, text = "labsh:" .. embedded, host.embedded(embedded)
  elseif source:sub(1, 1) == "@" then
    script_path = source:sub(2)
    text = require("labsh.files").read(script_path)
  else
    script_path = source:gsub("^=", "")
  end
  script_sha = text and require("labsh.digest").sha256(text)
  return script_path, script_sha
end

-- A dry run changes nothing, so a log it cannot write only warrants a word.
local function audit_dry_run(record)
  local ok, err = pcall(gate.audit, record)
  if not ok then io.stderr:write("warning: dry run not recorded: ", gate.describe(err), "\n") end
end

local function refuse(change, why)
  host.fail("gate", ("refusing to %s without --yes: %s"):format(change.summary, why),
    { action = change.action, target = change.target })
end

-- A person's answer at the terminal: only y or yes goes ahead.
local function confirmed(change)
  io.stderr:write(change.summary, " on ", tostring(change.target), "? [y/N] ")
  io.stderr:flush()
  local answer = io.stdin:read("l")
  if not answer then io.stderr:write("\n") end
  answer = (answer or ""):lower():match("^%s*(.-)%s*$")
  return answer == "y" or answer == "yes"
end

-- Ids pairing a change's "started" line with its outcome line.
local changes_made = 0
local function change_id()
  changes_made = changes_made + 1
  return ("%s-%d-%d"):format(os.date("!%Y%m%dT%H%M%S"), lab.sys.pid(), changes_made)
end

-- How a change ended: done, interrupted (a signal or --timeout), or failed.
local function outcome(err)
  if err == nil then return "done" end
  local stop = stops.reason()
  if stop then return "interrupted (" .. stop .. ")" end
  return "failed: " .. gate.describe(err)
end

-- Changes started and not yet ended, by id. A change in a coroutine that
-- is left suspended never runs its <close> handler: when labsh ends, this
-- finalizer records those as interrupted. The bindings it needs are made
-- first, so Lua (which finalizes the newest first) still has them.
local open_changes = {}
local _ = lab.json.encode, lab.sys.hostname, os_.user, filesystem.append_private
gate.open_changes_sentinel = setmetatable({}, { __gc = function()
  for _, record in pairs(open_changes) do
    record.outcome = "interrupted (labsh ended before the change did)"
    pcall(gate.audit, record)
  end
end })

--- Runs `fn` (the change itself) if the change may go ahead, recording it
--- in the audit log before and after. `change`: action ("restic.forget"),
--- target (what it acts on), summary ("delete 3 snapshots"), plan (text
--- shown before asking, optional), details (kept in the audit line), ask
--- (false: no question, e.g. for a backup; default true), dry_run (the
--- caller's own dry-run flag, in addition to --dry-run).
--- Write-ahead: the "started" line (who, what, target, script and its
--- hash) is written before fn runs, and when it cannot be written nothing
--- is done (an error of the audit). The outcome
--- line follows however fn ends (done, failed: why, interrupted), written
--- even while a signal or --timeout stops labsh.
--- Returns fn's results, or nil and "dry run" / "declined". Without a
--- terminal and without --yes it raises an error of kind "gate".
function gate.perform(change, fn)
  local dry_run = lab.options.dry_run or change.dry_run or false
  local record = { action = change.action, target = change.target, details = change.details, dry_run = dry_run }
  if change.plan and change.plan ~= "" then io.stderr:write(change.plan, "\n") end
  if dry_run then
    io.stderr:write("dry run: would ", change.summary, " on ", tostring(change.target), "\n")
    record.outcome = "dry run"
    audit_dry_run(record)
    return nil, "dry run"
  end
  if change.ask ~= false and not lab.options.yes then
    if not (lab.sys.isatty(0) and lab.sys.isatty(2)) then
      record.outcome = "refused: no terminal to ask and no --yes"
      gate.audit(record)
      refuse(change, "no terminal to ask")
    end
    if not confirmed(change) then
      record.outcome = "declined"
      gate.audit(record)
      io.stderr:write("nothing done\n")
      return nil, "declined"
    end
  end
  record.change, record.outcome = change_id(), "started"
  local started = false
  local _ <close> = setmetatable({}, { __close = function(_, err)
    if not started then return end
    open_changes[record.change] = nil
    record.outcome = outcome(err)
    local recorded, why = pcall(stops.hold, 10, gate.audit, record)
    if not recorded then  -- the change is made: say so, and how it ended
      host.fail("gate", ("%s on %s: %s, but the outcome could not be recorded: %s")
        :format(change.summary, tostring(change.target), record.outcome, gate.describe(why)),
        { action = change.action, target = change.target })
    end
  end })
  -- The "started" line and the promise of an outcome line are one step: a
  -- stop arriving as the line is written waits until both are made.
  stops.hold(10, function()
    gate.audit(record)  -- raises, and nothing is done, when it cannot be recorded
    started = true
    open_changes[record.change] = record
  end)
  return fn()
end

return gate
