-- labsh.playbook_gather: what a play needs to know of a host, learned in
-- one ssh session before the play's tasks run there.
--
-- Each task reads its host's state (a file's content and mode, a package's
-- status, a command's guards) before it decides to change anything. One read
-- per task is one round trip per task. Instead, before a batch of hosts runs
-- the tasks, every task's first read is found by a dry rehearsal of the task
-- (probe: its run stops at its first command), all of them go to the host in
-- one POSIX sh script, and the answers wait in the host's `answers`. When
-- the task then runs for real, its read is answered from there.
--
-- An answer is only good until something changes what it describes: when a
-- task changes its host, the answers of the tasks it may have affected are
-- dropped, and those tasks read again after the change (in a real run in
-- the session that makes it, labsh.playbook_batch). A file, line or
-- template task affects its path, what is below it and above it (mkdir -p
-- makes the parents); any other change (a command, a package, a user, a
-- service, a reboot) may affect anything, so every answer goes.
--
-- The reads go in one session (labsh.playbook_session); an answer that
-- does not have exactly the expected form fails the host's play.

local remote = require "labsh.remote"
local session = require "labsh.playbook_session"
local file_reads = require "labsh.playbook_file_reads"

local gather = {}

----------------------------------------------------------------------------
-- What a task may affect, and what a read depends on

-- A path we can compare as text: absolute, without ., .. or empty parts.
local function plain_path(path)
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" then return nil end
  if path == "/" then return path end
  if path:sub(-1) == "/" or path:find("//", 1, true) then return nil end
  for part in path:gmatch("[^/]+") do
    if part == "." or part == ".." then return nil end
  end
  return path
end

--- The path a file, line or template task is about, nil for any other task
--- (or a path that cannot be compared as text): nil means "anything".
--- It is read from the task's description, which lab.task writes as
--- "file PATH", "directory PATH", "absent PATH", "template PATH" and
--- "line in PATH".
function gather.path_of(t)
  local path
  if t.kind == "file" then path = t.describe:match("^%a+ (/.*)$")
  elseif t.kind == "template" then path = t.describe:match("^template (/.*)$")
  elseif t.kind == "line" then path = t.describe:match("^line in (/.*)$")
  end
  return plain_path(path)
end

-- Whether one path is the other or lies below it.
local function related(a, b)
  if a == b or a == "/" or b == "/" then return true end
  return b:sub(1, #a + 1) == a .. "/" or a:sub(1, #b + 1) == b .. "/"
end

-- Whether two lists of paths (nil: anything) share a path or a subtree.
local function overlap(a, b)
  if a == nil or b == nil then return true end
  for _, x in ipairs(a) do
    for _, y in ipairs(b) do
      if related(x, y) then return true end
    end
  end
  return false
end

----------------------------------------------------------------------------
-- The answers of one host

local Answers = {}
Answers.__index = Answers

local function key_of(script, sudo) return (sudo and "sudo\0" or "user\0") .. script end

-- The paths `t` is about, as written and as the host resolves them
-- (realpath -m, learned in the gather), so a symbolic link on the way
-- cannot hide that two tasks touch the same file. nil: anything.
function Answers:paths(t)
  local path = t and gather.path_of(t)
  if not path then return nil end
  local real = self.real[path]
  if real == false then return nil end  -- the host could not resolve it
  return { path, real }
end

--- The answer to `script` run with `sudo`, while it is still good.
function Answers:take(script, sudo)
  local entry = self.entries[key_of(script, sudo)]
  return entry and entry.result
end

--- Keeps `result` as the answer to `read` (one of the first reads the
--- tasks make: {script, sudo, task}) and to the same read of other tasks.
function Answers:put(read, result)
  local entry = { result = result, owners = {} }
  for _, other in ipairs(self.probed) do
    if other.script == read.script and other.sudo == read.sudo then entry.owners[#entry.owners + 1] = other.task end
  end
  self.entries[key_of(read.script, read.sudo)] = entry
end

--- The first reads of the tasks after the `index`th whose answers were
--- dropped: read them again, after the changes that dropped them, and the
--- tasks find their answers waiting.
function Answers:stale_reads(index)
  local out, seen = {}, {}
  for _, read in ipairs(self.probed) do
    local key = key_of(read.script, read.sudo)
    if read.index > index and not self.entries[key] and not seen[key] then
      seen[key] = true
      out[#out + 1] = read
    end
  end
  return out
end

--- Task `t` has changed its host (or may have): drops the answers it may
--- have made wrong.
function Answers:changed(t)
  local touched = self:paths(t)
  for key, entry in pairs(self.entries) do
    for _, owner in ipairs(entry.owners) do
      if overlap(touched, self:paths(owner)) then
        self.entries[key] = nil
        break
      end
    end
  end
end

----------------------------------------------------------------------------
-- Finding each task's first read

-- How a probe ends: the read it found (or none).
local Found = {}

local function stop(read) error(setmetatable({ read = read }, Found), 0) end

-- The guards a command task sends ahead of its command, as a read of their
-- own: lab.task.command sends "<guards>; echo <marker>; <command>" in a real
-- run, and the guards stop the script (exit 0) when the command is not due.
-- nil when `script` has no guards in that form.
function gather.guard_of(t, script)
  if t.kind ~= "command" then return nil end
  local command = t.describe:match("^command (.*)$")
  if not command or #script <= #command + 2 then return nil end
  if script:sub(-(#command + 2)) ~= "; " .. command then return nil end
  local guard = script:sub(1, #script - #command - 2)
  if not guard:match("; echo [%w:_%-]+$") then return nil end  -- no guards: always runs
  return guard
end

--- Whether the answer to a command's guards lets the command run (the
--- guards printed the marker).
function gather.guard_lets_run(guard, result)
  local marker = guard:match("echo ([%w:_%-]+)$")
  return result.status == 0 and result.stdout:match("^([^\n]*)") == marker
end

-- The one field of opts a read may have to be answered from the gather.
local function plain_read(opts)
  if not opts or opts.read_only ~= true then return false end
  for key in pairs(opts) do
    if key ~= "read_only" then return false end
  end
  return true
end
gather.plain_read = plain_read

-- What task `t` sees while it is probed: its host's fields, and commands
-- that end the probe. Nothing reaches the host.
local function probe_context(ctx, t)
  local probe = {
    host = ctx.host, record = ctx.record, vars = ctx.vars, check = ctx.check, offline = false,
    planned = {}, scope = ctx.scope, sudo = ctx.sudo,
  }
  if t.sudo ~= nil then probe.sudo = t.sudo end
  function probe.sh(self, script, opts)
    if plain_read(opts) then stop { script = script, sudo = self.sudo } end
    local guard = not self.check and gather.guard_of(t, script)
    stop(guard and { script = guard, sudo = self.sudo } or nil)
  end
  function probe.must(self, script, _, opts) return self:sh(script, opts) end
  function probe.try() stop(nil) end
  function probe.pause() stop(nil) end
  function probe.close() stop(nil) end
  function probe.fail() stop(nil) end
  return probe
end

--- The first read of each of `tasks` on the host of `ctx`: a list of
--- {script, sudo, task, index (the task's place)}. A task whose first
--- command changes something, or that fails before it reads, has none.
--- A template task renders its text here too: once more per host than the
--- run itself.
function gather.first_reads(tasks, ctx)
  local reads = {}
  for index, t in ipairs(tasks) do
    local ok, ended = pcall(t.run, probe_context(ctx, t))
    if not ok and getmetatable(ended) == Found and ended.read then
      ended.read.task, ended.read.index = t, index
      reads[#reads + 1] = ended.read
    end
  end
  return reads
end

----------------------------------------------------------------------------
-- Learning a host's state

-- The reads of one host, in groups by sudo (one session each: one in all
-- for a play that does not mix sudo and not), and the paths to resolve.
-- The file tasks' state reads of a group go in one step of its session
-- (labsh.playbook_file_reads): g.files, after the other reads.
local function sessions(reads, tasks)
  local groups, order = {}, {}
  local function group(sudo)
    if not groups[sudo] then
      groups[sudo] = { sudo = sudo, scripts = {}, reads = {}, files = {} }
      order[#order + 1] = groups[sudo]
    end
    return groups[sudo]
  end
  local asked = {}  -- two tasks that read the same (two lines of one file) ask once
  for _, read in ipairs(reads) do
    local key = key_of(read.script, read.sudo)
    if not asked[key] then
      asked[key] = true
      local g = group(read.sudo)
      local path, content = file_reads.recognize(read.script)
      if path then
        g.files[#g.files + 1] = { path = path, content = content, read = read }
      else
        g.scripts[#g.scripts + 1] = read.script
        g.reads[#g.reads + 1] = read
      end
    end
  end
  for _, g in ipairs(order) do
    if #g.files > 0 then g.scripts[#g.scripts + 1] = file_reads.script(g.files) end
  end
  -- one realpath for all the paths, last in the first session (resolving
  -- needs no privilege); -z: each answer ends with a NUL, any name fits
  local first, seen = order[1], {}
  if first then
    first.paths = {}
    local words = {}
    for _, t in ipairs(tasks) do
      local path = gather.path_of(t)
      if path and not seen[path] then
        seen[path] = true
        first.paths[#first.paths + 1] = path
        words[#words + 1] = remote.quote(path)
      end
    end
    if #words > 0 then first.scripts[#first.scripts + 1] = "realpath -m -z -- " .. table.concat(words, " ") end
  end
  return order
end

--- Learns the state `tasks` read on the host of `ctx`, in one session (one
--- per sudo setting the tasks mix), called from a coroutine of
--- remote.concurrently. Sets ctx.answers; a session that could not run
--- leaves ctx.unanswered (the ssh error the host's first command gets);
--- a malformed answer sets ctx.gather_error.
function gather.learn(tasks, ctx)
  local reads = gather.first_reads(tasks, ctx)
  local answers = setmetatable({ entries = {}, real = {}, probed = reads }, Answers)
  ctx.answers = answers
  for _, g in ipairs(sessions(reads, tasks)) do
    local records = {}
    for i, script in ipairs(g.scripts) do records[i] = { script = script } end
    local results, failure, malformed = session.run(ctx.host, records, g.sudo, true)
    if malformed then ctx.gather_error = "state check: " .. malformed; return end
    if not results then ctx.unanswered = failure; return end
    for i, read in ipairs(g.reads) do answers:put(read, results[i]) end
    local at = #g.reads + 1
    if #g.files > 0 then
      -- a file read the step could not answer is read by its task
      local found = file_reads.answers(results[at], g.files, ctx.host)
      for i, entry in ipairs(g.files) do
        if found[i] then answers:put(entry.read, found[i]) end
      end
      at = at + 1
    end
    local resolved = g.paths and #g.paths > 0 and results[at]
    local reals = {}
    if resolved and resolved.status == 0 then
      for real in resolved.stdout:gmatch("([^%z]*)%z") do reals[#reals + 1] = real end
    end
    for j, path in ipairs(g.paths or {}) do
      -- answers that do not add up leave every path unresolved: "anything"
      answers.real[path] = #reals == #g.paths and plain_path(reals[j]) or false
    end
  end
end

return gather
