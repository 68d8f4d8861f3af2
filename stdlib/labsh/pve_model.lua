-- labsh.pve_model: the inventory's guests and nodes, live: the methods
-- lab.guest(x):status(), :start(), :shutdown{timeout}, :stop(), :reboot(),
-- :migrate(node, {online}), :snapshot(name), :backup{storage} and
-- lab.node(x):live(). labsh.query looks them up here by name, so the
-- connector loads only when one is called.
--
-- An inventory guest is the cluster's guest with its `vmid`; without one,
-- the guest of the same name (said once on stderr, with the line to add).
-- Every change goes through lab.pve's writes: the gate, the audit, the task.

local pve = require "lab.pve"
local rules = require "labsh.pve"
local fail = require("labsh.pve_client").fail

local model = {}

-- Guests matched by name this run, said once each: name -> VMID.
local reported = {}

--- The rule that says which inventory guest a cluster guest is: the one
--- with its VMID, else (for inventory guests without a vmid) the one of its
--- name. Returns a function from a /cluster/resources row to that guest of
--- `guests`, or nil. Live methods, drift and from_pve all match by it.
function model.matcher(guests)
  local by_vmid, by_name = {}, {}
  for _, g in ipairs(guests) do
    if g.vmid then by_vmid[g.vmid] = g else by_name[g.name] = g end
  end
  return function(r) return by_vmid[r.vmid] or by_name[r.name] end
end

-- The cluster's guest for an inventory guest: by its vmid, else by name
-- (said on stderr once, with the line to add). {vmid, node, type, name, status}.
local function find(guest, client)
  local by_name = {}
  local is_guest = model.matcher { guest }
  for _, r in ipairs(pve.resources({ type = "vm" }, client)) do
    if is_guest(r) then
      if guest.vmid then return r end
      by_name[#by_name + 1] = r
    end
  end
  if guest.vmid then
    fail("missing", ("guest %s: no VMID %d in the cluster"):format(guest.name, guest.vmid), { guest = guest.name })
  end
  if #by_name == 0 then
    fail("missing", ("guest %s: no guest of that name in the cluster (give it a vmid in the inventory)")
      :format(guest.name), { guest = guest.name })
  elseif #by_name > 1 then
    fail("ambiguous", ("guest %s: %d guests of that name in the cluster: give it a vmid in the inventory")
      :format(guest.name, #by_name), { guest = guest.name })
  end
  local r = by_name[1]
  if reported[guest.name] ~= r.vmid then
    reported[guest.name] = r.vmid
    io.stderr:write(("lab.pve: guest %s matched by name to VMID %d on %s (add vmid = %d to it in the inventory)\n")
      :format(guest.name, r.vmid, r.node, r.vmid))
  end
  return r
end
model.find = find

-- "/nodes/pve1/qemu/101" for a cluster resource, the node's name encoded.
local function base(r)
  return ("/nodes/%s/%s/%d"):format(rules.segment(r.node), r.type == "lxc" and "lxc" or "qemu", r.vmid)
end

local function describe(guest, r)
  return ("guest %s (VMID %d on %s)"):format(guest.name, r.vmid, r.node)
end

-- The inventory guest `self`, or an error at the caller's line.
local function guest_of(self, method)
  if type(self) ~= "table" or type(self.name) ~= "string" then
    error(("lab.Guest:%s: call it with ':' on a guest (lab.guest(\"name\"):%s())"):format(method, method), 3)
  end
  return self
end

model.guest = {}

--- The guest's current status (status, uptime, cpu, mem...) from its node,
--- with node, vmid and type.
function model.guest.status(self)
  local guest, client = guest_of(self, "status"), pve.client()
  local r = find(guest, client)
  local status = client:get(base(r) .. "/status/current")
  status.node, status.vmid, status.type = r.node, r.vmid, r.type
  return status
end

-- An HA-managed guest's start, stop or migration is a request to the HA
-- manager: its task (hastart, hastop, hamigrate...) ends at once and HA's
-- own task does the work later. Waits until the guest is as `settled` says
-- (polling /cluster/resources, backing off to 1 s), or raises "timeout".
local function await_ha(client, guest, vmid, settled, timeout)
  local deadline, pause = lab.sys.monotonic() + (timeout or 600), 0.1
  while true do
    for _, r in ipairs(pve.resources({ type = "vm" }, client)) do
      if r.vmid == vmid and settled(r) then return r end
    end
    if lab.sys.monotonic() >= deadline then
      fail("timeout", ("guest %s: HA has not finished the request after %s s"):format(guest.name,
        tostring(timeout or 600)), { guest = guest.name })
    end
    require("labsh.os").sleep(pause)
    pause = math.min(pause * 2, 1)
  end
end

-- A power or placement change: the gate shows `verb` and the exact call.
-- opts: wait (false: return the UPID), wait_timeout (seconds). `settled`
-- says when an HA-managed guest is done (see await_ha).
local function change(self, method, verb, suffix, params, opts, settled)
  local guest, client = guest_of(self, method), pve.client()
  local r = find(guest, client)
  opts = opts or {}
  local result, why = client:post(base(r) .. suffix, params, {
    action = "pve." .. method, target = guest.name, summary = verb .. " " .. describe(guest, r),
    wait = opts.wait, timeout = opts.wait_timeout,
  })
  if type(result) == "table" and settled and tostring(result.type):match("^ha") then
    await_ha(client, guest, r.vmid, settled, opts.wait_timeout)
  end
  return result, why  -- nil, "dry run" / "declined" when nothing was done
end

local function running(r) return r.status == "running" end
local function stopped(r) return r.status == "stopped" end

function model.guest.start(self, opts)
  return change(self, "start", "start", "/status/start", nil, opts, running)
end

function model.guest.stop(self, opts)
  return change(self, "stop", "stop (power off)", "/status/stop", nil, opts, stopped)
end

function model.guest.reboot(self, opts)
  return change(self, "reboot", "reboot", "/status/reboot", nil, opts, running)
end

--- Shuts the guest down cleanly; opts.timeout: seconds before PVE gives up.
function model.guest.shutdown(self, opts)
  opts = opts or {}
  return change(self, "shutdown", "shut down", "/status/shutdown", { timeout = opts.timeout }, opts, stopped)
end

--- Migrates the guest to `node`: opts.online (a running VM moves live; a
--- container restarts on the target).
function model.guest.migrate(self, node, opts)
  opts = opts or {}
  if type(node) ~= "string" then error("lab.Guest:migrate: the target node's name expected", 2) end
  local r = find(guest_of(self, "migrate"), pve.client())
  local params = { target = node }
  if r.type == "lxc" then params.restart = opts.online or nil else params.online = opts.online end
  return change(self, "migrate", "migrate to " .. node .. ":", "/migrate", params, opts,
    function(now) return now.node == node end)
end

--- Takes a snapshot called `name`.
function model.guest.snapshot(self, name, opts)
  return change(self, "snapshot", "snapshot " .. tostring(name) .. " of", "/snapshot", { snapname = name }, opts)
end

--- Backs the guest up with vzdump to opts.storage (mode "snapshot" unless given).
function model.guest.backup(self, opts)
  opts = opts or {}
  local guest, client = guest_of(self, "backup"), pve.client()
  local r = find(guest, client)
  return client:post(("/nodes/%s/vzdump"):format(rules.segment(r.node)),
    { vmid = tostring(r.vmid), storage = opts.storage, mode = opts.mode or "snapshot" }, {
      action = "pve.backup", target = guest.name,
      summary = ("back up %s to %s"):format(describe(guest, r), tostring(opts.storage or "the default storage")),
      wait = opts.wait, timeout = opts.wait_timeout,
    })
end

--- A node of the model, live: /nodes/{node}/status, and whether the
--- cluster counts it online ({name, online = false} when it does not).
function model.node_live(node)
  local client = pve.client()
  local online = false
  for _, n in ipairs(pve.status(client).nodes) do
    if n.name == node.name then online = n.online end
  end
  if not online then return { name = node.name, online = false } end
  local status = client:get(("/nodes/%s/status"):format(rules.segment(node.name)))
  status.name, status.online = node.name, true
  return status
end

return model
