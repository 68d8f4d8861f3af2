-- lab.push: sending metrics to the Prometheus Pushgateway, for batch jobs
-- that end before Prometheus could scrape them.
--
--   lab.push("backup", metrics, { grouping = { instance = "pve1" } })
--
-- pushes to <pushgateway>/metrics/job/backup/instance/pve1. `lab.push` is
-- the push itself (this table is callable); lab.push.delete removes a group
-- and lab.push.connect{url = ...} gives a client for another Pushgateway.
-- The module-level calls use the inventory's monitoring.pushgateway.

local endpoint = require "labsh.endpoint"
local gate = require "labsh.gate"
local base64 = require "labsh.base64"

local push = {}

local Client = {}
Client.__index = Client

local function fail(message)
  require("labsh.host").fail("pushgateway", message)
end

-- One "/name/value" step of a grouping path. A value with "/" cannot be a
-- path segment, even escaped, and an empty one cannot be a segment at all:
-- the Pushgateway takes both as "name@base64/<URL-safe base64>".
local function path_pair(name, value)
  value = tostring(value)
  if value == "" then return "/" .. name .. "@base64/=" end
  if value:find("/", 1, true) then return "/" .. name .. "@base64/" .. base64.url_encode(value) end
  return "/" .. name .. "/" .. lab.http.escape(value)
end

--- The path of a group: /metrics/job/<job>{/<label>/<value>}, labels sorted.
function push.path(job, grouping)
  if type(job) ~= "string" or job == "" then fail("push: job must be a non-empty string") end
  local names = {}
  for name in pairs(grouping or {}) do
    if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") or name == "job" then
      fail(("push: bad grouping label %s"):format(tostring(name)))
    end
    names[#names + 1] = name
  end
  table.sort(names)
  local parts = { "/metrics", path_pair("job", job) }
  for _, name in ipairs(names) do parts[#parts + 1] = path_pair(name, grouping[name]) end
  return table.concat(parts)
end

local METHODS = { put = "PUT", post = "POST" }

--- Pushes metrics (see lab.metrics.render) as the group of `job` and
--- opts.grouping. opts.method "put" (default) replaces the group's
--- metrics; "post" replaces only the metrics of the same names. Returns
--- the URL pushed to (nil under --dry-run).
function Client:push(job, metrics, opts)
  opts = opts or {}
  local method = METHODS[opts.method or "put"]
  if not method then fail(("push: method %s is not put or post"):format(tostring(opts.method))) end
  local path = push.path(job, opts.grouping)
  local text = lab.metrics.render(metrics)  -- before the gate: bad metrics fail a dry run too
  local target = self.endpoint:url(path)
  if not gate.allows(("%s %d bytes of metrics to %s"):format(method, #text, target)) then return nil end
  self.endpoint:send(method, path, {
    body = text, headers = { ["Content-Type"] = "text/plain; version=0.0.4" }, what = "push " .. job,
  })
  return target
end

--- Deletes the group of `job` and opts.grouping from the Pushgateway.
--- Returns the URL (nil under --dry-run).
function Client:delete(job, opts)
  local path = push.path(job, (opts or {}).grouping)
  local target = self.endpoint:url(path)
  if not gate.allows("DELETE the metrics group " .. target) then return nil end
  self.endpoint:send("DELETE", path, { what = "delete " .. job })
  return target
end

--- lab.push.connect(spec): a client for a Pushgateway of your choice, a URL
--- or an endpoint table; lab.push(...) and lab.push.delete(...) use the
--- inventory's.
local configured = endpoint.client_module(push, "lab.push", "pushgateway", Client, { "delete" })

return setmetatable(push, {
  __call = function(_, ...) return configured():push(...) end,
})
