-- lab.pve: the Proxmox VE cluster, live. Loaded on first use of lab.pve
-- (or of a guest's live method): labsh starts no faster or slower for it.
--
--   local pve = lab.pve.client()             -- the inventory's `proxmox`
--   pve:get("/cluster/resources", { type = "vm" })
--   lab.pve.status()                          -- quorum, nodes online
--   lab.pve.resources { type = "vm" }         -- records that print as a table
--   lab.guest("k8s-m1"):status()
--   lab.guest("k8s-m1"):migrate("pve2", { online = true })
--
-- Every call is checked against the API schema before it is sent. Every
-- write goes through the mutation gate (labsh.gate): --dry-run prints the
-- exact API call and sends nothing, a person confirms at a terminal, cron
-- needs --yes, and the audit log records it with the task's UPID. A write
-- that starts a task waits for it unless given { wait = false }.
-- Failures are error objects of kind "pve" with a `reason` (see
-- labsh.pve_client).

local pve_client = require "labsh.pve_client"
local tasks = require "labsh.pve_tasks"
local gate = require "labsh.gate"
local rules = require "labsh.pve"

local pve = {}
local Client = pve_client.Client
local fail = pve_client.fail

-- How the records print (labsh.columns): what fits 80 columns.
local columns = require "labsh.columns"
local column_types = columns.types
column_types["lab.PveResource"] = {
  "id", "type", "node", "name", "status", "maxcpu", "mem", "maxmem", "hastate",
  formats = { mem = "bytes", maxmem = "bytes" },
}
column_types["lab.PveNode"] = { "name", "online", "ip", "level" }
column_types["lab.PveHAResource"] = { "sid", "state", "type", "max_restart", "max_relocate", "failback" }
column_types["lab.PveHAStatus"] = { "id", "type", "node", "status", "state" }
column_types["lab.PveHARule"] = { "rule", "type", "nodes", "resources", "strict", "disable" }
column_types["lab.PveBackup"] = { "volid", "vmid", "ctime", "size", "format", "protected", "mark",
  formats = { size = "bytes", ctime = "time" } }

local mark = columns.mark

----------------------------------------------------------------------------
-- Clients

-- One client per inventory: it keeps its ticket and the node that answered.
local clients = setmetatable({}, { __mode = "k" })

-- The client of the inventory's `proxmox` section.
local function configured()
  local data = lab.inventory.current()
  if not data.proxmox then
    fail("config", 'no Proxmox VE configured: set proxmox = { urls = { "https://NODE:8006" }, '
      .. 'token = "env:PVE_TOKEN" } in the inventory')
  end
  local c = clients[data]
  if not c then
    c = pve_client.new(data.proxmox, "proxmox")
    clients[data] = c
  end
  return c
end

--- GET: the `data` of the answer.
function Client:get(path, params, opts)
  return self:send("GET", path, params, opts)
end

-- True for a task id as a write returns it.
local function is_upid(value)
  return type(value) == "string" and value:sub(1, 5) == "UPID:"
end

-- A write through the gate. opts: wait (default true), timeout (seconds to
-- wait for the task), on_log (each line of the task's log as it runs),
-- action, target, summary (for the gate and audit).
local function write(self, method, path, params, opts)
  opts = opts or {}
  local checked = pve_client.check(method, path, params)
  local call = pve_client.describe(method, checked)
  local action = opts.action or ("pve." .. method:lower())
  local target = opts.target or path
  local result = table.pack(gate.perform({
    action = action, target = target,
    summary = opts.summary or ("send %s %s"):format(method, path),
    plan = "Proxmox VE API call: " .. call .. "  (needs " .. checked.privilege .. ")",
    details = { call = call },
  }, function()
    local data = pve_client.inside_gate(self.send, self, method, path, params, { timeout = opts.request_timeout })
    if not is_upid(data) then return data end
    -- From the server, into the audit log and URLs: strictly a task id.
    local ok, problem = pcall(rules.upid, data)
    if not ok then
      fail("protocol", ("%s %s: the node returned a malformed task id: %s"):format(method, path,
        type(problem) == "table" and tostring(problem.message) or tostring(problem)))
    end
    gate.audit { action = action, target = target, outcome = "task started", details = { call = call, upid = data } }
    if opts.wait == false then return data end
    return tasks.wait(self, { data }, { timeout = opts.timeout, on_log = opts.on_log })[1]
  end))
  return table.unpack(result, 1, result.n)
end

function Client:post(path, params, opts) return write(self, "POST", path, params, opts) end
function Client:put(path, params, opts) return write(self, "PUT", path, params, opts) end
function Client:delete(path, params, opts) return write(self, "DELETE", path, params, opts) end

--- Waits for many tasks (UPIDs) in one poll loop; their results in order.
function Client:wait(upids, opts)
  if type(upids) == "string" then return tasks.wait(self, { upids }, opts)[1] end
  return tasks.wait(self, upids, opts)
end

--- The parameters and the privilege of every operation of `path`.
function pve.help(path)
  local ok, text = pcall(rules.help, path)
  if not ok then fail("param", type(text) == "table" and tostring(text.message) or tostring(text)) end
  return text
end
Client.help = function(_, path) return pve.help(path) end

-- lab.pve.connect(spec): a client for any cluster, `spec` as the
-- inventory's `proxmox` section; lab.pve.client(): the inventory's; and
-- lab.pve.get(path, params) and friends on it, as lab.prom's clients come.
pve.client = require("labsh.endpoint").client_ways(pve,
  function(spec) return pve_client.new(spec, "lab.pve.connect") end, configured,
  { "get", "post", "put", "delete", "wait" })

----------------------------------------------------------------------------
-- The cluster

--- Quorum and nodes: {quorate =, online =, total =, nodes = {lab.pve.Node}}.
function pve.status(client)
  client = client or pve.client()
  local status = { quorate = false, online = 0, total = 0, nodes = {} }
  for _, item in ipairs(client:get("/cluster/status")) do
    if item.type == "cluster" then
      status.name, status.quorate = item.name, item.quorate == 1 or item.quorate == true
    elseif item.type == "node" then
      local online = item.online == 1 or item.online == true
      status.nodes[#status.nodes + 1] = mark("lab.PveNode",
        { name = item.name, online = online, ip = item.ip, level = item.level, ["local"] = item["local"] == 1 })
      status.total = status.total + 1
      if online then status.online = status.online + 1 end
    end
  end
  -- A single node has no "cluster" entry: it is its own quorum.
  if status.total == 1 and status.name == nil then status.quorate = status.online == 1 end
  return status
end

--- /cluster/resources as records ({type = "vm"|"node"|"storage"|"sdn"}).
function pve.resources(filter, client)
  client = client or pve.client()
  local rows = client:get("/cluster/resources", filter)
  local record = columns.meta("lab.PveResource")
  for _, row in ipairs(rows) do setmetatable(row, record) end
  return rows
end

--- High availability: {resources =, status =, rules =} from
--- /cluster/ha/resources, /cluster/ha/status/current and /cluster/ha/rules
--- (PVE 9's rules: node and resource affinity; HA groups are deprecated).
function pve.ha(client)
  client = client or pve.client()
  local ha = {}
  for key, spec in pairs { resources = { "/cluster/ha/resources", "lab.PveHAResource" },
                           status = { "/cluster/ha/status/current", "lab.PveHAStatus" },
                           rules = { "/cluster/ha/rules", "lab.PveHARule" } } do
    ha[key] = client:get(spec[1])
    for _, row in ipairs(ha[key]) do mark(spec[2], row) end
  end
  return ha
end

----------------------------------------------------------------------------
-- Backups

-- The node that lists a storage: opts.node, else the first node online.
local function lister(opts, client)
  if type(opts.storage) ~= "string" then fail("param", "which storage? give { storage = \"pbs\" }") end
  if opts.node then return opts.node end
  for _, n in ipairs(pve.status(client).nodes) do
    if n.online then return n.name end
  end
  fail("offline", "no node of the cluster is online to list storage " .. opts.storage)
end

--- The vzdump archives on a storage ({storage =, node =, vmid =}) as
--- records: volid, vmid, ctime, size, format, notes, protected.
function pve.backups(opts, client)
  opts, client = opts or {}, client or pve.client()
  local node = lister(opts, client)
  local rows = client:get(("/nodes/%s/storage/%s/content"):format(rules.segment(node), rules.segment(opts.storage)),
    { content = "backup", vmid = opts.vmid })
  for _, row in ipairs(rows) do mark("lab.PveBackup", row) end
  return rows
end

--- What the storage's prune settings would keep and remove
--- ({storage =, node =, vmid =, type = "qemu"|"lxc"}): records with `mark`
--- keep, remove, protected or renamed. Lists only: pruning is a DELETE
--- through lab.pve.delete.
function pve.prune_plan(opts, client)
  opts, client = opts or {}, client or pve.client()
  local node = lister(opts, client)
  local rows = client:get(("/nodes/%s/storage/%s/prunebackups"):format(rules.segment(node), rules.segment(opts.storage)),
    { vmid = opts.vmid, type = opts.type })
  for _, row in ipairs(rows) do mark("lab.PveBackup", row) end
  return rows
end

return pve
