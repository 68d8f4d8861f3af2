-- labsh.pve_restore: Proxmox VE backups (vzdump archives on PVE or PBS
-- storage) found, restored to a new VMID, started, checked and destroyed,
-- for backup-restore and backup-drill. Every write goes through lab.pve's
-- client: the gate, the audit with the task's UPID, the task waited for.
--
--   local restore = require "labsh.pve_restore"
--   local backup = restore.find(client, { guest = "web", storage = "pbs" })
--   local guest = restore.restore(client, backup, { vmid = restore.next_vmid(client) })
--   restore.start(client, guest); restore.check(client, guest)
--   restore.destroy(client, guest)                      -- stop if running, then purge
--
-- A restore asks for `unique` (new MAC addresses), so a started copy does
-- not answer for the original on the network; its disks go where the
-- archive's configuration says unless a target storage is given.

local rules = require "labsh.pve"
local fail = require("labsh.pve_client").fail

local restore = {}

local function say(...) io.stderr:write(...) io.stderr:write("\n") end

-- The cluster's guests and online nodes, from /cluster/resources.
local function cluster(client)
  local guests, online = {}, {}
  for _, r in ipairs(client:get("/cluster/resources")) do
    if r.type == "qemu" or r.type == "lxc" then guests[#guests + 1] = r
    elseif r.type == "node" and r.status == "online" then online[#online + 1] = r.node end
  end
  table.sort(online)
  return guests, online
end

-- The VMID of `guest`: a number, or the name of a guest in the cluster,
-- else an inventory guest's vmid. Second result: its cluster record, if any.
local function vmid_of(guest, guests)
  local number = tonumber(guest)
  for _, r in ipairs(guests) do
    if (number and r.vmid == number) or r.name == guest then return r.vmid, r end
  end
  if number then return number end
  local ok, known = pcall(lab.guest, guest)
  if ok and known.vmid then return known.vmid end
  fail("missing", ("no guest %s in the cluster (give its VMID)"):format(tostring(guest)), { guest = guest })
end

--- The backup to restore: opts.volid, else the newest archive of
--- opts.guest (a VMID or name) on opts.storage (else any storage of the
--- node with content "backup"). {volid, vmid, subtype ("qemu"|"lxc"),
--- ctime, size, storage, node} where node is where to restore: opts.node,
--- else the guest's node when online, else the first node online.
function restore.find(client, opts)
  local guests, online = cluster(client)
  if #online == 0 then fail("offline", "no node of the cluster is online") end
  local vmid, record
  if opts.guest then vmid, record = vmid_of(opts.guest, guests) end
  local node = opts.node
  if not node then
    node = online[1]
    for _, n in ipairs(online) do if record and record.node == n then node = n end end
  end
  local storages = {}
  if opts.storage then
    storages[1] = opts.storage
  else
    for _, s in ipairs(client:get(("/nodes/%s/storage"):format(rules.segment(node)), { content = "backup" })) do
      storages[#storages + 1] = s.storage
    end
  end
  local best
  for _, storage in ipairs(storages) do
    local path = ("/nodes/%s/storage/%s/content"):format(rules.segment(node), rules.segment(storage))
    for _, item in ipairs(client:get(path, { content = "backup", vmid = vmid })) do
      local wanted = (opts.volid and item.volid == opts.volid) or (not opts.volid and item.vmid == vmid)
      if wanted and (not best or (item.ctime or 0) > (best.ctime or 0)) then
        best = { volid = item.volid, vmid = item.vmid, subtype = item.subtype, ctime = item.ctime,
                 size = item.size, storage = storage, node = node }
      end
    end
  end
  if not best then
    fail("missing", ("no backup %s on %s (storage %s)"):format(
      opts.volid or ("of VMID " .. tostring(vmid)), node, table.concat(storages, ", ")))
  end
  if best.subtype ~= "lxc" and best.subtype ~= "qemu" then
    -- vzdump-lxc-101-... on PVE storage, backup/ct/101/... on PBS
    best.subtype = (best.volid:find("vzdump%-lxc%-") or best.volid:find("backup/ct/")) and "lxc" or "qemu"
  end
  return best
end

--- A free VMID (/cluster/nextid).
function restore.next_vmid(client)
  return math.tointeger(tonumber(client:get("/cluster/nextid")))
end

-- The guest's API base: /nodes/NODE/qemu/VMID.
local function base(guest)
  return ("/nodes/%s/%s/%d"):format(rules.segment(guest.node), guest.type, guest.vmid)
end

--- The API call that restores `backup` to `vmid`: path and parameters.
function restore.call(backup, vmid, storage)
  local params = { vmid = vmid, unique = true, storage = storage }
  if backup.subtype == "lxc" then params.ostemplate, params.restore = backup.volid, true
  else params.archive = backup.volid end
  return ("/nodes/%s/%s"):format(rules.segment(backup.node), backup.subtype), params
end

--- The call as the plan shows it: "POST /api2/json/nodes/... archive=..."
function restore.describe(backup, vmid, storage)
  local pve_client = require "labsh.pve_client"
  local path, params = restore.call(backup, vmid, storage)
  return pve_client.describe("POST", pve_client.check("POST", path, params))
end

--- Restores `backup` to opts.vmid on the backup's node (opts.storage: where
--- its disks go). Returns the new guest {vmid, node, type} (opts.into, when
--- given, is filled in and returned); under --dry-run or declined: nil and
--- why. While the task runs the guest holds its `upid`, so a cleanup that
--- interrupts the wait can wait for it.
function restore.restore(client, backup, opts)
  local guest = opts.into or {}
  guest.vmid, guest.node, guest.type = opts.vmid, backup.node, backup.subtype
  local path, params = restore.call(backup, opts.vmid, opts.storage)
  local upid, why = client:post(path, params, {
    wait = false, action = "pve.restore", target = tostring(opts.vmid),
    summary = ("restore %s to VMID %d on %s"):format(backup.volid, opts.vmid, backup.node),
  })
  if not upid then return nil, why end
  guest.upid = upid
  say(("restoring %s to VMID %d on %s"):format(backup.volid, opts.vmid, backup.node))
  local result = client:wait(upid, { timeout = opts.timeout })
  guest.upid = nil
  return guest, result
end

--- Starts the guest and waits for its task.
function restore.start(client, guest)
  return client:post(base(guest) .. "/status/start", nil, {
    action = "pve.start", target = tostring(guest.vmid), summary = ("start VMID %d"):format(guest.vmid) })
end

--- The guest's status now; raises unless it runs.
function restore.check(client, guest)
  local status = client:get(base(guest) .. "/status/current")
  if status.status ~= "running" or (status.qmpstatus and status.qmpstatus ~= "running") then
    error(("VMID %d is %s after its start"):format(guest.vmid, tostring(status.qmpstatus or status.status)), 0)
  end
  return status
end

--- Removes the restored guest, whatever state it is in: waits for its
--- restore task if one is still running, stops it if it runs, destroys it
--- with its disks. True when it is gone (or never was).
function restore.destroy(client, guest)
  if guest.upid then pcall(client.wait, client, guest.upid) end
  local current
  for _, r in ipairs(client:get("/cluster/resources", { type = "vm" })) do
    if r.vmid == guest.vmid then current = r end
  end
  if not current then return true end
  guest.node = current.node
  if current.status == "running" then
    client:post(base(guest) .. "/status/stop", nil, {
      action = "pve.stop", target = tostring(guest.vmid), summary = ("stop VMID %d (scratch)"):format(guest.vmid) })
  end
  client:delete(base(guest), { purge = true, ["destroy-unreferenced-disks"] = true }, {
    action = "pve.destroy", target = tostring(guest.vmid), summary = ("destroy VMID %d (scratch)"):format(guest.vmid) })
  say(("VMID %d destroyed"):format(guest.vmid))
  return true
end

return restore
