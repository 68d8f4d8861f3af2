-- labsh.pve_tasks: waiting for Proxmox tasks (the UPIDs that writes return).
--
-- Every task being waited for is polled in ONE loop: each round sends all
-- their status requests together (labsh.pve.perform runs them in
-- parallel), then sleeps with backoff. A task ends as:
--   exitstatus "OK"           success;
--   exitstatus "WARNINGS: n"  success with warnings: the log's WARN lines
--                             are in the result (most clients drop them);
--   anything else             an error of reason "task" with the exit
--                             status and the log's last lines.
-- A status request answered 400/404 right after a task started is tried
-- again (the node may not list it yet). Past the timeout, the error
-- (reason "timeout") carries the UPIDs still running.

local rules = require "labsh.pve"
local pve_client = require "labsh.pve_client"

local tasks = {}

local FIRST_POLL, MAX_POLL = 0.1, 1.0  -- seconds between rounds: doubles up to MAX_POLL
local PARALLEL = 16                    -- status requests in flight at once
local NOT_YET_LISTED = 10              -- seconds after its start a 400/404 is retried
local DEFAULT_TIMEOUT = 3600
local LOG_LINES = 20

-- A task's log lines (text), the last `limit` of them or all.
local function log_lines(client, task, limit)
  local ok, lines = pcall(client.send, client, "GET",
    ("/nodes/%s/tasks/%s/log"):format(task.node, rules.segment(task.upid)), { start = 0, limit = 50000 })
  if not ok or type(lines) ~= "table" then return {} end
  local text = {}
  for _, line in ipairs(lines) do text[#text + 1] = tostring(line.t or "") end
  if limit and #text > limit then text = { table.unpack(text, #text - limit + 1) } end
  return text
end

-- Passes the lines of `task`'s log not passed yet to on_log(line, task).
local function stream_log(client, task, on_log)
  task.logged = task.logged or 0
  local ok, lines = pcall(client.send, client, "GET",
    ("/nodes/%s/tasks/%s/log"):format(task.node, rules.segment(task.upid)), { start = task.logged, limit = 50000 })
  if not ok or type(lines) ~= "table" then return end
  for _, line in ipairs(lines) do
    if type(line.n) == "number" and line.n > task.logged then
      task.logged = line.n
      on_log(tostring(line.t or ""), task)
    end
  end
end

-- The result of a stopped task, or its error raised.
local function ended(client, task, status)
  local exit = tostring(status.exitstatus or "")
  local result = { upid = task.upid, node = task.node, type = task.type, id = task.id, user = task.user,
                   exitstatus = exit, warnings = {} }
  if exit == "OK" then return result end
  local count = exit:match("^WARNINGS: (%d+)$")
  if count then
    for _, line in ipairs(log_lines(client, task)) do
      if line:match("^WARN") or line:match("^%S*%s*WARN:") then result.warnings[#result.warnings + 1] = line end
    end
    result.warning_count = tonumber(count)
    return result
  end
  local last = log_lines(client, task, LOG_LINES)
  pve_client.fail("task", ("task %s %s on %s failed: %s%s"):format(task.type, task.id, task.node, exit,
      #last > 0 and ("\n  " .. table.concat(last, "\n  ")) or ""),
    { upid = task.upid, node = task.node, exitstatus = exit, log = last })
end

--- Waits for the tasks `upids` (strings) together; returns their results
--- in the same order. opts: timeout (seconds, default 3600), on_done
--- (function(result) called as each ends), on_log (function(line, task):
--- each new line of each task's log as the task runs). The first failure is raised
--- after every task has ended (or the time is up), with the results so far
--- in `results` and the other failures in `failures`.
function tasks.wait(client, upids, opts)
  opts = opts or {}
  local pending, results, failures = {}, {}, {}
  for i, text in ipairs(upids) do
    local ok, task = pcall(rules.upid, text)
    if not ok then
      pve_client.fail("protocol", ("the node returned a malformed task id: %s")
        :format(type(task) == "table" and tostring(task.message) or tostring(task)))
    end
    task.index, task.seen = i, lab.sys.monotonic()
    pending[#pending + 1] = task
  end
  local deadline = lab.sys.monotonic() + (opts.timeout or DEFAULT_TIMEOUT)
  local pause = FIRST_POLL
  while #pending > 0 do
    local requests, calls = {}, {}
    for i, task in ipairs(pending) do
      local path = ("/nodes/%s/tasks/%s/status"):format(task.node, rules.segment(task.upid))
      local checked = pve_client.check("GET", path)
      local request, url = client:prepare("GET", checked, client.current, {})
      requests[i], calls[i] = request, { path = path, checked = checked, url = url }
    end
    local answers = rules.perform(requests, PARALLEL)
    local still = {}
    for i, task in ipairs(pending) do
      local call, result = calls[i], answers[i]
      local fresh = lab.sys.monotonic() - task.seen < NOT_YET_LISTED
      local status, err
      if result.status == 595 or result.status == 596 or pve_client.unreached(result) then
        -- This node is gone: ask through the failover path instead.
        local ok, value = pcall(client.send, client, "GET", call.path)
        if ok then status = value else err = value end
      elseif (result.status == 400 or result.status == 404) and fresh then
        status = { status = "running" }
      else
        local ok, value = pcall(client.finish, client, "GET", call.path, call.checked, result, call.url)
        if ok then status = value else err = value end
      end
      if err then
        failures[#failures + 1] = err
      elseif type(status) == "table" and status.status == "stopped" then
        local ok, value = pcall(ended, client, task, status)
        if ok then
          results[task.index] = value
          if opts.on_done then opts.on_done(value) end
        else
          failures[#failures + 1] = value
        end
      else
        still[#still + 1] = task
      end
    end
    if opts.on_log then
      for _, task in ipairs(pending) do stream_log(client, task, opts.on_log) end
    end
    pending = still
    if #pending > 0 then
      if lab.sys.monotonic() >= deadline then
        local running = {}
        for _, task in ipairs(pending) do running[#running + 1] = task.upid end
        pve_client.fail("timeout", ("%d task(s) still running after %s s: %s"):format(#running,
          tostring(opts.timeout or DEFAULT_TIMEOUT), table.concat(running, ", ")),
          { upid = running[1], upids = running, results = results, failures = failures })
      end
      require("labsh.os").sleep(math.min(pause, math.max(0, deadline - lab.sys.monotonic())))
      pause = math.min(pause * 2, MAX_POLL)
    end
  end
  if #failures > 0 then
    local first = failures[1]
    if type(first) == "table" then
      first.results, first.failures = results, failures
    end
    error(first, 0)
  end
  return results
end

return tasks
