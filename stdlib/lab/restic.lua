-- lab.restic: a restic repository, driven through the restic command.
--
--   local repo = lab.restic("/srv/restic/pve1", { password = "env:RESTIC_PW" })
--   repo:forget({ daily = 30, monthly = 12 })
--
-- restic backs up, checks and restores. What `forget` deletes is decided by
-- labsh (lab.backup.prune, with the rules of the installed restic's
-- version), shown, passed through the gate (--dry-run, a question at a
-- terminal, --yes in cron, the audit log), and only then are exactly those
-- snapshot IDs given to `restic forget`: restic never decides again.
-- The password reaches restic in its environment (RESTIC_PASSWORD), never
-- on the command line, and is never printed. Failures raise error objects of
-- kind "restic" with exit_code and the tail of restic's stderr.

local gate = require "labsh.gate"
local secret = require "labsh.secret"
local host = require "labsh.host"
local progress = require "labsh.progress"

local restic = {}

---@class lab.ResticRepository
local Repository = {}
Repository.__index = Repository
Repository.__name = "lab.ResticRepository"

function Repository:__tostring()
  return "lab.ResticRepository: " .. self.repo
end

local function fail(message, fields)
  host.fail("restic", message, fields)
end

-- restic's own words for the failures operators meet, as labsh says them.
-- (restic 0.14 exits 1 for all of them; newer versions add codes 10-12.)
local KNOWN_FAILURES = {
  { "wrong password or no key found", "wrong password or no key found for repository %s" },
  { "Is there a repository at the following location", "no restic repository at %s (restic init creates one)" },
  { "repository does not exist", "no restic repository at %s (restic init creates one)" },
  { "already locked", "repository %s is locked by another restic (restic unlock removes stale locks)" },
}

local function known_failure(stderr, repo)
  for _, known in ipairs(KNOWN_FAILURES) do
    if stderr:find(known[1], 1, true) then return known[2]:format(repo) end
  end
end

-- The last lines of restic's stderr, enough to act on.
local function tail(text)
  return #text > 2000 and text:sub(-2000) or text
end

-- Each value of a string or a list, as repeated options: --tag a --tag b.
local function add_each(args, flag, values)
  if values == nil then return end
  if type(values) ~= "table" then values = { values } end
  for _, value in ipairs(values) do
    args[#args + 1] = flag
    args[#args + 1] = tostring(value)
  end
end

-- The environment restic runs with: the repository and password are
-- restic's own variables; settings inherited from the caller that would
-- compete with them are removed.
local function environment(self)
  local env = {}
  for name, value in pairs(self.env) do env[name] = value end
  env.RESTIC_REPOSITORY = self.repo
  env.RESTIC_REPOSITORY_FILE = false
  if self.password then
    env.RESTIC_PASSWORD = secret.resolve(self.password, "restic password for " .. self.repo)
    env.RESTIC_PASSWORD_FILE = false
    env.RESTIC_PASSWORD_COMMAND = false
  end
  return env
end

-- Runs `restic ARGS...`. opts.on_line streams output; opts.env adds to
-- restic's environment; opts.accept lists
-- exit codes that are not failures; opts.may_fail returns a failed run
-- (when no known failure explains it) instead of raising; opts.read_only
-- marks a run that changes nothing (it runs under --dry-run too).
local function run(self, args, opts)
  opts = opts or {}
  local argv = { self.restic }
  table.move(args, 1, #args, 2, argv)
  local what = "restic " .. args[1]
  local env = environment(self)
  for name, value in pairs(opts.env or {}) do env[name] = value end
  local ok, result = pcall(lab.process.run, {
    argv = argv, env = env, timeout = self.timeout, on_line = opts.on_line, read_only = opts.read_only,
  })
  if not ok then
    if type(result) == "table" and result.kind == "process" and result.errno then
      fail(("%s: restic is not installed or not runnable (%s)"):format(what, result.message),
        { repo = self.repo, argv = argv })
    end
    error(result, 0)
  end
  local fields = { repo = self.repo, exit_code = result.status, stderr = tail(result.stderr), argv = argv }
  if result.timed_out then
    fail(("%s timed out after %g s on %s"):format(what, self.timeout, self.repo), fields)
  end
  if result.status == 0 or (opts.accept and opts.accept[result.status]) then return result end
  local known = known_failure(result.stderr, self.repo)
  if opts.may_fail and not known then return result end
  local reason = known or result.stderr:match("Fatal: ([^\n]*)") or result.stderr:match("([^\n]+)\n*$")
    or ("exit code %s"):format(tostring(result.status or "signal " .. tostring(result.signal)))
  local first = reason:match("^There were %d+ errors") and result.stderr:match("ignoring error for ([^\n]+)")
  if first then reason = reason .. "; the first: " .. first end
  fail(("%s failed: %s"):format(what, reason), fields)
end

-- Output lines of restic's --json modes (some commands print one
-- document, others one per line).
local function json_lines(text)
  local values = {}
  for line in text:gmatch("[^\n]+") do
    if line:match("^%s*[%[{]") then values[#values + 1] = lab.json.decode(line) end
  end
  return values
end

-- The installed restic's version, once per binary.
local versions = {}

--- The version of the restic binary in use, e.g. "0.14.0".
function Repository:version()
  if not versions[self.restic] then
    local out = run(self, { "version" }, { read_only = true }).stdout
    versions[self.restic] = out:match("restic (%d+%.%d+%.%d+)") or fail("cannot read the version of " .. self.restic)
  end
  return versions[self.restic]
end

--- The forget rules of the installed restic: "restic-0.14" before 0.16
--- (no keeping of the oldest snapshot), else "restic".
function Repository:semantics()
  local major, minor = self:version():match("^(%d+)%.(%d+)")
  if tonumber(major) == 0 and tonumber(minor) < 16 then return "restic-0.14" end
  return "restic"
end

--- The snapshots, as `restic snapshots --json` gives them (times as restic
--- prints them). filter: host, tag, path (each a string or a list).
function Repository:snapshots(filter)
  filter = filter or {}
  local args = { "snapshots", "--json" }
  add_each(args, "--host", filter.host)
  add_each(args, "--tag", filter.tag)
  add_each(args, "--path", filter.path)
  return lab.json.decode(run(self, args, { read_only = true }).stdout)
end

--- Backs up `paths` (a path or a list): restic's summary (files_new,
--- data_added, snapshot_id, ...). opts: tags, host, exclude, time. On a
--- terminal restic's progress shows as a bar on stderr. An incomplete
--- snapshot (some files unreadable) is returned with incomplete = true and
--- restic's messages in `errors`.
function Repository:backup(paths, opts)
  opts = opts or {}
  if type(paths) ~= "table" then paths = { paths } end
  local args = { "backup", "--json" }
  add_each(args, "--tag", opts.tags)
  add_each(args, "--host", opts.host)
  add_each(args, "--exclude", opts.exclude)
  add_each(args, "--time", opts.time)
  args[#args + 1] = "--"
  table.move(paths, 1, #paths, #args + 1, args)

  local summary, errors = nil, {}
  local bar = lab.sys.isatty(2) and progress.new() or nil
  local function on_line(stream, line)
    if stream ~= "stdout" or not line:match("^{") then return end
    -- restic sends status lines many times a second: read them only for the bar.
    if not bar and line:find('"message_type":"status"', 1, true) then return end
    local ok, message = pcall(lab.json.decode, line)
    if not ok then return end
    if message.message_type == "status" and bar then
      bar:update(message.percent_done or 0, ("%d files, %s"):format(message.files_done or 0,
        require("labsh.sizes").size_text(message.bytes_done or 0)))
    elseif message.message_type == "summary" then
      summary = message
    elseif message.message_type == "error" then
      errors[#errors + 1] = message
    end
  end
  local result = gate.perform({
    action = "restic.backup", target = self.repo, ask = false,
    summary = "back up " .. table.concat(paths, " "),
    details = { paths = paths, tags = opts.tags, host = opts.host },
  }, function()
    -- A few status lines a second are plenty for a bar (restic's default is 60).
    local fps = os.getenv("RESTIC_PROGRESS_FPS") or "4"
    return run(self, args, { on_line = on_line, accept = { [3] = true }, env = { RESTIC_PROGRESS_FPS = fps } })
  end)
  if bar then bar:finish() end
  if not result then return nil end
  summary = summary or fail("restic backup printed no summary", { repo = self.repo, stderr = tail(result.stderr) })
  summary.incomplete = result.status == 3
  summary.errors = errors
  return summary
end

-- A snapshot's line in a plan: short id, time as restic prints it, host, paths.
local function describe(snapshot)
  return ("%s  %s  %s  %s"):format(snapshot.short_id or tostring(snapshot.id):sub(1, 8),
    tostring(snapshot.time):sub(1, 19):gsub("T", " "), snapshot.hostname or "-",
    table.concat(snapshot.paths or {}, ","))
end

-- What forget will do, for a person to read before saying yes.
local function plan_text(repo, semantics, plan)
  local lines = { ("forget on %s (%s rules): keep %d, remove %d snapshot(s)"):format(
    repo, semantics, #plan.keep, #plan.remove) }
  local shown = math.min(#plan.remove, 50)
  for i = 1, shown do lines[#lines + 1] = "  remove  " .. describe(plan.remove[i]) end
  if #plan.remove > shown then lines[#lines + 1] = ("  ... and %d more"):format(#plan.remove - shown) end
  return table.concat(lines, "\n")
end

--- Applies a retention policy (see lab.backup.prune): decides with labsh's
--- engine, shows the plan on stderr, asks through the gate and deletes
--- exactly the chosen snapshots with `restic forget ID...`.
--- opts: dry_run (show, delete nothing), group_by, prune (then run restic
--- prune to free the space). Returns keep, remove, reasons, groups and
--- `removed` (the IDs deleted; empty on a dry run or when declined).
function Repository:forget(policy, opts)
  opts = opts or {}
  -- A misspelt policy key is the caller's mistake: said before restic runs.
  require("labsh.blame").call("forget", 1, 2, lab.backup.prune, {}, policy)
  local semantics = self:semantics()
  local plan = lab.backup.prune(self:snapshots(), policy, { semantics = semantics, group_by = opts.group_by })
  local result = { keep = plan.keep, remove = plan.remove, reasons = plan.reasons, groups = plan.groups,
    removed = {}, semantics = semantics }
  local ids = {}
  for i, snapshot in ipairs(plan.remove) do ids[i] = snapshot.id end
  if #ids == 0 then
    io.stderr:write(("forget on %s: nothing to remove (%d kept)\n"):format(self.repo, #plan.keep))
    return result
  end
  local done = gate.perform({
    action = "restic.forget", target = self.repo, dry_run = opts.dry_run,
    summary = ("delete %d snapshot%s"):format(#ids, #ids == 1 and "" or "s"),
    plan = plan_text(self.repo, semantics, plan),
    details = { ids = ids, policy = policy, semantics = semantics },
  }, function()
    -- In batches, to stay far below the kernel's limit on argument size.
    for first = 1, #ids, 200 do
      run(self, { "forget", table.unpack(ids, first, math.min(first + 199, #ids)) })
    end
    if opts.prune then run(self, { "prune" }) end
    return true
  end)
  if done then result.removed = ids end
  return result
end

--- Checks the repository's structure (and data: opts.read_data = true, or
--- opts.read_data_subset = "1/10" or "5%"). Returns {ok =, output =,
--- errors =}: ok is false when restic found damage; a wrong password or a
--- missing repository raises.
function Repository:check(opts)
  opts = opts or {}
  local args = { "check" }
  if opts.read_data then args[#args + 1] = "--read-data" end
  if opts.read_data_subset then args[#args + 1] = "--read-data-subset=" .. opts.read_data_subset end
  local result = run(self, args, { may_fail = true, read_only = true })
  return { ok = result.status == 0, output = result.stdout, errors = tail(result.stderr) }
end

--- Restores `snapshot` (an ID or "latest") into the directory `target`.
--- opts: include (a path or list), verify (restic re-reads every restored
--- file and checks each chunk against the hashes in the snapshot).
--- Passes through the gate without a question (it writes only into
--- target): under --dry-run it restores nothing and returns nil.
function Repository:restore(snapshot, target, opts)
  opts = opts or {}
  local args = { "restore", tostring(snapshot), "--target", target }
  add_each(args, "--include", opts.include)
  if opts.verify then args[#args + 1] = "--verify" end
  local result = gate.perform({
    action = "restic.restore", target = self.repo, ask = false,
    summary = ("restore snapshot %s into %s"):format(snapshot, target),
    details = { snapshot = snapshot, into = target, include = opts.include },
  }, function() return run(self, args) end)
  if not result then return nil end
  return { snapshot = snapshot, target = target, verified = opts.verify or false, elapsed = result.elapsed }
end

--- The files and directories of a snapshot (`restic ls --json`): tables
--- with path, name, type ("file", "dir", "symlink"...), size, mode, mtime;
--- and the snapshot itself (useful when asking for "latest").
function Repository:ls(snapshot)
  local nodes, found = {}, nil
  for _, value in ipairs(json_lines(run(self, { "ls", "--json", tostring(snapshot) }, { read_only = true }).stdout)) do
    if value.struct_type == "node" then nodes[#nodes + 1] = value
    elseif value.struct_type == "snapshot" then found = value end
  end
  return nodes, found
end

--- Repository statistics (`restic stats --json`): total_size,
--- total_file_count... opts.mode: "restore-size" (default), "files-by-contents",
--- "raw-data", "blobs-per-file".
function Repository:stats(opts)
  opts = opts or {}
  local args = { "stats", "--json" }
  if opts.mode then args[#args + 1] = "--mode=" .. opts.mode end
  return lab.json.decode(run(self, args, { read_only = true }).stdout)
end

local OPTIONS = { password = true, env = true, timeout = true, restic = true }

--- A repository: `repo` as restic takes it (a path, sftp:, rest:, s3:...).
--- opts: password ("env:NAME" or "file:PATH"; without it restic's own
--- RESTIC_PASSWORD* settings apply), env (more variables for restic, e.g.
--- AWS_ACCESS_KEY_ID), timeout (seconds per restic run), restic (the binary).
function restic.open(repo, opts)
  if type(repo) ~= "string" or repo == "" then fail("lab.restic: the repository must be a non-empty string") end
  opts = opts or {}
  for key in pairs(opts) do
    if not OPTIONS[key] then
      fail(("lab.restic: unknown option '%s' (options are env, password, restic, timeout)"):format(tostring(key)))
    end
  end
  return setmetatable({
    repo = repo,
    password = opts.password,
    env = opts.env or {},
    timeout = opts.timeout or 24 * 3600,
    restic = opts.restic or "restic",
  }, Repository)
end

return setmetatable(restic, { __call = function(_, ...) return restic.open(...) end })
