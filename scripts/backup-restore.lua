-- backup-restore: restore a restic snapshot and verify it, as a runbook.
--
-- Bring data back from a restic repository (plan §5.1 DR
-- procedures), as a runbook.
--
--   labsh -m backup-restore --repo /srv/restic/pve1 --target /srv/restore --dry-run
--   labsh -m backup-restore --repo /srv/restic/pve1 --target /srv/restore \
--         --snapshot 4f2a9c1e --include /etc --password env:RESTIC_PASSWORD --yes
--
-- Steps: check the repository's structure, restore the snapshot into an
-- empty target with `restic restore --verify` (every chunk re-read and
-- checked against the snapshot's hashes), then compare the restored files
-- with the snapshot's listing. A restore that fails its verification
-- removes what it wrote.
-- An emergency change: restoring is what an incident needs, at any hour.
--
-- Proxmox VE backups (--guest or --volid; the inventory's `proxmox`):
--
--   labsh -m backup-restore --guest web --dry-run          the exact API calls
--   labsh -m backup-restore --guest 101 --storage pbs --yes
--
-- The guest's newest vzdump archive (or --volid) is restored to a new
-- VMID (--vmid, else /cluster/nextid) with new MAC addresses, started, and
-- must run. It is kept: a failed restore, start or check, or a stop,
-- destroys what the restore made (labsh.pve_restore).

local filesystem = require "labsh.filesystem"

local NAME = "backup-restore"
local spec  -- the runbook, for its usage text

local function repository(p)
  return lab.restic(p.repo, { password = p.password })
end

-- Files of the snapshot under `include` (all when nil), as restic lists them.
local function expected_files(repo, snapshot, include)
  local count = 0
  for _, node in ipairs((repo:ls(snapshot))) do
    local wanted = include == nil or node.path == include or node.path:sub(1, #include + 1) == include .. "/"
    if node.type == "file" and wanted then count = count + 1 end
  end
  return count
end

local function restored_files(target)
  local r = lab.process.run { argv = { "find", target, "-type", "f" }, read_only = true }
  if r.status ~= 0 then error("cannot list " .. target .. ": " .. r.stderr, 0) end
  local count = 0
  for _ in r.stdout:gmatch("[^\n]+") do count = count + 1 end
  return count
end

-- A usage error as the runbook gives one: one line, the usage, exit 2.
local function usage_error(message)
  io.stderr:write(("labsh -m %s: %s\n%s\n"):format(NAME, message, lab.runbook.usage(spec)))
  os.exit(2)
end

-- The restic steps: check, then restore with verification.
local function restic_steps()
  return {
    {
      title = "check the repository",
      plan = function(ctx) return "restic check on " .. ctx.params.repo end,
      run = function(ctx)
        local result = repository(ctx.params):check()
        if not result.ok then error("the repository has errors: " .. tostring(result.output), 0) end
      end,
    },
    {
      title = "restore with verification",
      plan = function(ctx)
        local p = ctx.params
        return ("restic restore %s --target %s%s --verify"):format(p.snapshot, p.target,
          p.include and (" --include " .. p.include) or "")
      end,
      run = function(ctx)
        local p = ctx.params
        local existing = lab.process.run { argv = { "find", p.target, "-mindepth", "1", "-print", "-quit" },
                                           read_only = true }
        if existing.status == 0 and existing.stdout ~= "" then
          error(p.target .. " is not empty: restore into an empty or new directory", 0)
        end
        repository(p):restore(p.snapshot, p.target, { include = p.include, verify = true })
      end,
      verify = function(ctx)
        local p = ctx.params
        local want, have = expected_files(repository(p), p.snapshot, p.include), restored_files(p.target)
        if want ~= have then error(("restored %d files, the snapshot lists %d"):format(have, want), 0) end
        io.stderr:write(("restored and verified %d files into %s\n"):format(have, p.target))
        return true
      end,
      rollback = function(ctx) filesystem.remove_tree(ctx.params.target) end,
    },
  }
end

-- The Proxmox VE steps: find, restore, start and check; what the restore
-- made is destroyed when anything from the restore on fails.
local function proxmox_steps(p)
  local restore = require "labsh.pve_restore"
  local client = lab.pve.client()
  local backup = restore.find(client, { guest = p.guest, volid = p.volid, storage = p.storage, node = p.node })
  local vmid = p.vmid and tonumber(p.vmid)
  if p.vmid and not (vmid and vmid % 1 == 0 and vmid >= 100) then usage_error("--vmid: a VMID from 100") end
  vmid = math.tointeger(vmid) or restore.next_vmid(client)
  local guest, restoring = { vmid = vmid, node = backup.node, type = backup.subtype }, false
  return {
    {
      title = ("check VMID %d is free for %s"):format(vmid, backup.volid),
      plan = function() return ("GET /api2/json/cluster/nextid vmid=%d"):format(vmid) end,
      run = function() client:get("/cluster/nextid", { vmid = vmid }) end,
      -- the restore's own step may fail half way: this undoes whatever it made
      rollback = function() if restoring then restore.destroy(client, guest) end end,
    },
    {
      title = ("restore %s (%s) to VMID %d on %s"):format(backup.volid,
        os.date("!%Y-%m-%d %H:%M UTC", backup.ctime or 0), vmid, backup.node),
      plan = function() return restore.describe(backup, vmid) end,
      run = function()
        restoring = true
        restore.restore(client, backup, { vmid = vmid, into = guest })
      end,
    },
    {
      title = ("start VMID %d and check that it runs"):format(vmid),
      run = function() restore.start(client, guest) end,
      verify = function() return restore.check(client, guest) ~= nil end,
    },
  }
end

spec = {
  name = NAME,
  description = "Restore a restic snapshot into an empty directory and verify it, or a Proxmox VE backup "
    .. "to a new VMID and start it (§5.1).",
  change = "emergency",
  params = {
    { name = "repo", help = "the restic repository" },
    { name = "target", help = "an empty or new directory to restore into (restic)" },
    { name = "snapshot", help = "snapshot ID", default = "latest" },
    { name = "include", help = "restore only this path of the snapshot" },
    { name = "password", help = "the repository password as env:NAME or file:PATH", default = "env:RESTIC_PASSWORD" },
    { name = "guest", help = "Proxmox VE: restore the newest backup of this guest (name or VMID)" },
    { name = "volid", help = "Proxmox VE: restore this backup archive" },
    { name = "storage", help = "Proxmox VE: the storage holding the backups" },
    { name = "node", help = "Proxmox VE: the node to restore on (default: the guest's)" },
    { name = "vmid", help = "Proxmox VE: the new VMID (default: /cluster/nextid)" },
  },
  steps = function(p)
    local pve = p.guest ~= nil or p.volid ~= nil
    if pve and (p.repo or p.target) then usage_error("a restic --repo or a Proxmox VE --guest/--volid, not both") end
    if pve then return proxmox_steps(p) end
    if not p.repo then usage_error("--repo is required (the restic repository; or --guest for Proxmox VE)") end
    if not p.target then usage_error("--target is required (an empty or new directory to restore into)") end
    return restic_steps()
  end,
}

return labsh.script {
  name = NAME,
  description = spec.description,
  arguments = "own",  -- lab.runbook reads them
  requires = {
    commands = { "restic", "find" },              -- check, restore, count what came back
    secrets = { "option:--password", "env:RESTIC_PASSWORD", "proxmox" },
    files = { write = { "option:--target" } },     -- the rollback removes what was restored
    net = { "proxmox" },
    -- finding the backup, start, the check, the rollback's destroy; "*" for the
    -- restore itself, whose checks the API schema does not list
    proxmox = { "Datastore.Audit", "VM.PowerMgmt", "VM.Audit", "VM.Allocate", "*" },
    mutation = true,
  },
  run = function(_, args)
    spec.args = args
    lab.runbook(spec)
  end,
}
