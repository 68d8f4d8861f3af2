-- labsh.playbook_batch: a host's changes in as few ssh sessions as possible.
--
-- In a real run a host goes through the play's tasks on its own (its
-- pipeline) while the other hosts go through theirs. A change a task makes
-- with ctx:must (write a file, make a directory, install a package, start
-- a service) is not sent at once: it waits in the host's queue, and the
-- task goes on as if it had succeeded. The queue goes to the host in one
-- session (labsh.playbook_session) when something needs the host's word:
-- a read the state check has no good answer for, a command whose output
-- the task reports, the end of the play's tasks. The same session then
-- reads again what the queued changes made stale for the tasks to come.
--
-- A change that fails stops the session there, as it would have stopped
-- the play on this host: its task reports the failure the task would have
-- reported ("write /etc/x: Permission denied"), and the reports of the tasks
-- after it, which went on as if it had succeeded, are dropped.

local session = require "labsh.playbook_session"

local batch = {}

local Pipeline = {}
Pipeline.__index = Pipeline

-- How a task learns that the host's changes stopped: the pipeline's
-- `failure` says where and why.
local stopped = setmetatable({}, { __tostring = function() return "stopped: an earlier change failed" end })

local result_meta = { __index = { ok = function(self) return self.status == 0 end }, __name = "lab.ExecResult" }

--- Whether a command with these options can wait in the queue or go in a
--- session: only stdin and read_only, which a session carries.
function batch.fits(opts)
  for key in pairs(opts or {}) do
    if key ~= "stdin" and key ~= "read_only" then return false end
  end
  return true
end

--- Queues the change `script` ({stdin} in opts) of the running task, which
--- `what` names in its failure; its answers may now be stale. Returns the
--- success the task goes on with.
function Pipeline:defer(script, what, opts)
  local ctx = self.ctx
  self.queue[#self.queue + 1] = { script = script, stdin = opts and opts.stdin, sudo = ctx.sudo, write = true,
                                  what = what, index = ctx.task_index }
  if ctx.answers then ctx.answers:changed(ctx.task) end
  return setmetatable({ host = ctx.host, status = 0, stdout = "", stderr = "", elapsed = 0 }, result_meta)
end

-- The failure of task `index` (an ssh error or a message): the host stops.
function Pipeline:stop(index, why)
  self.failure = { index = index, error = why }
  error(stopped, 0)
end

-- The failure Context:must reports for a change that did not succeed.
local function must_failure(change, r)
  local why = r.stderr:match("([^\n]+)\n?$") or r.stdout:match("([^\n]+)\n?$") or ("exit " .. tostring(r.status))
  return ("%s: %s"):format(change.what, why)
end

--- Sends the queue, then `extra` ({script, stdin, read}: the command the
--- running task waits for, nil at the end), then the reads the changes made
--- stale, in one session per sudo setting (one in all, unless the play
--- mixes them). Returns extra's result. A change that failed stops the host
--- (raises; self.failure says which task and why).
function Pipeline:flush(extra)
  local ctx = self.ctx
  local records = self.queue
  self.queue = {}
  local extra_at
  if extra then
    -- a command that may change its host makes answers stale before the
    -- reads that follow it in the session
    if not extra.read and ctx.answers then ctx.answers:changed(ctx.task) end
    records[#records + 1] = { script = extra.script, stdin = extra.stdin, sudo = ctx.sudo, write = false }
    extra_at = #records
  end
  if #records == 0 then return nil end
  if ctx.answers then
    for _, read in ipairs(ctx.answers:stale_reads(ctx.task_index)) do
      records[#records + 1] = { script = read.script, sudo = read.sudo, write = false, read = read }
    end
  end
  local first = 1
  while first <= #records do
    local last = first
    while last < #records and records[last + 1].sudo == records[first].sudo do last = last + 1 end
    local segment = table.move(records, first, last, 1, {})
    local answers, failure, malformed = session.run(ctx.host, segment, records[first].sudo, false)
    if not answers then
      -- the first change it carried takes the blame; without one, the task waiting
      for _, r in ipairs(segment) do
        if r.write then self:stop(r.index, failure or malformed) end
      end
      if failure then error(failure, 0) end
      error(malformed, 0)
    end
    for k, result in ipairs(answers) do
      local r = segment[k]
      if r.write and result.status ~= 0 then self:stop(r.index, must_failure(r, result)) end
      if r.read then ctx.answers:put(r.read, result) end
      if first + k - 1 == extra_at then extra.result = result end
    end
    first = last + 1
  end
  if self.flushed then self.flushed() end
  return extra and extra.result
end

--- Runs `tasks` on the host of `ctx` with its changes batched, each task
--- through `run_one(task, ctx)`, up to the first that fails; `failed(error)`
--- makes the report of a task whose queued change failed. A task's report
--- is final once every change before it and its own have reached the host:
--- then `final(index, report)` is called, in task order (the playbook
--- prints and audits it then, so a run stopped midway has printed and
--- audited what its finished sessions did).
function batch.run_host(ctx, tasks, run_one, failed, final)
  local pipeline = setmetatable({ ctx = ctx, queue = {} }, Pipeline)
  ctx.pipeline = pipeline
  local reports, unsettled = {}, {}
  local function settle(upto)
    while unsettled[1] and unsettled[1] < upto do
      local index = table.remove(unsettled, 1)
      final(index, reports[index])
    end
  end
  pipeline.flushed = function() settle(ctx.task_index) end
  for index, t in ipairs(tasks) do
    ctx.task_index = index
    local r = run_one(t, ctx)
    if pipeline.failure then break end
    if type(r) ~= "table" or not r.status then r = { status = "failed", msg = tostring(r) } end
    reports[index] = r
    unsettled[#unsettled + 1] = index
    if #pipeline.queue == 0 then settle(index + 1) end  -- nothing of it waits
    if r.status == "failed" or r.status == "unreachable" then break end
  end
  ctx.task_index = #tasks + 1
  if not pipeline.failure then pcall(pipeline.flush, pipeline) end  -- the changes still queued
  ctx.pipeline, ctx.task_index = nil, nil
  local failure = pipeline.failure
  if failure then
    settle(failure.index)
    final(failure.index, failed(failure.error))
  else
    settle(math.huge)
  end
end

return batch
