-- backup-drill: prove that a restic repository gives its data back.
--
--   labsh -m backup-drill REPO [--password env:NAME|file:PATH] [--snapshot ID]
--   labsh -m backup-drill --guest NAME|VMID [--storage S] [--volid VOLID] [--node N] --yes
--
-- Restores the newest snapshot (or --snapshot ID) into a scratch directory
-- and checks it:
--   content  restic restore --verify re-reads every restored file and checks
--            each chunk's SHA-256 against the blob IDs the snapshot recorded
--            at backup time: a changed byte anywhere fails the drill;
--   listing  the restored tree against `restic ls --json`: the same number
--            of files, each path present with its type and size, none extra.
-- The result goes to the audit log and, when the inventory's monitoring has
-- a textfile_dir or a pushgateway, into the metric labsh_backup_drill_success.
-- The scratch directory is removed in every case, also on Ctrl-C/--timeout.
--
-- Proxmox VE backups (--guest or --volid; the inventory's `proxmox`): the
-- guest's newest vzdump archive (on --storage, else on any storage of the
-- node holding backups) is restored to a scratch VMID from /cluster/nextid
-- (with new MAC addresses), started, and must run. The scratch guest is
-- stopped and destroyed with its disks in every case: a failed restore or
-- start, a failed check, Ctrl-C, SIGTERM or --timeout (the stop waits for
-- the cleanup). Each write passes the gate: cron needs --yes; --dry-run
-- prints the exact API calls and restores nothing.
-- Exit status: 0 passed, 1 failed (the reason on stderr).

local cli = require "labsh.cli"
local gate = require "labsh.gate"
local filesystem = require "labsh.filesystem"

local FIND_TYPE = { f = "file", d = "dir", l = "symlink", p = "fifo", s = "socket", c = "chardev", b = "dev" }

-- The restored tree, path -> {type, size}, paths relative to `dir`.
local function restored_tree(dir)
  local result = lab.process.run { argv = { "find", dir, "-mindepth", "1", "-printf", "%y %s %P\\0" }, read_only = true }
  if result.status ~= 0 then error("cannot list the restored tree: " .. result.stderr, 0) end
  local tree = {}
  for kind, size, path in result.stdout:gmatch("(%a) (%d+) ([^%z]+)%z") do
    tree[path] = { type = FIND_TYPE[kind] or kind, size = tonumber(size) }
  end
  return tree
end

-- Differences between the snapshot's listing and the restored tree.
local function compare(listing, tree)
  local problems, files, bytes = {}, 0, 0
  local listed = {}
  for _, node in ipairs(listing) do
    local path = node.path:gsub("^/", "")
    listed[path] = true
    local got = tree[path]
    if not got then
      problems[#problems + 1] = "missing: " .. path
    elseif got.type ~= node.type then
      problems[#problems + 1] = ("%s: a %s, the snapshot has a %s"):format(path, got.type, node.type)
    elseif node.type == "file" then
      files, bytes = files + 1, bytes + node.size
      if got.size ~= node.size then
        problems[#problems + 1] = ("%s: %d bytes, the snapshot has %d"):format(path, got.size, node.size)
      end
    end
  end
  for path in pairs(tree) do
    if not listed[path] then problems[#problems + 1] = "not in the snapshot: " .. path end
  end
  table.sort(problems)
  return problems, files, bytes
end

-- The drill itself; raises on failure. The scratch directory goes when
-- this function is left, however it is left.
local function drill(opts, report)
  local repo = lab.restic(opts.repo, { password = opts.password, restic = opts.restic })
  local listing, snapshot = repo:ls(opts.snapshot)
  report.snapshot = snapshot.short_id or snapshot.id
  report.snapshot_time = snapshot.time

  local scratch <close> = setmetatable({ path = filesystem.temp_directory("labsh-drill") }, {
    __close = function(self) filesystem.remove_tree(self.path) end,
  })
  if not repo:restore(snapshot.id, scratch.path, { verify = true }) then
    report.dry_run = true
    return
  end
  local problems, files, bytes = compare(listing, restored_tree(scratch.path))
  report.files, report.bytes = files, bytes
  if #problems > 0 then
    local shown = table.concat(problems, "; ", 1, math.min(#problems, 5))
    error(("restored tree differs from the snapshot (%d problem(s)): %s"):format(#problems, shown), 0)
  end
end

-- The metric for monitoring, where the inventory says it is collected.
local function record_metric(repo, passed, report)
  local ok, monitoring = pcall(function() return lab.inventory.current().monitoring end)
  if not ok or not monitoring then return end
  local samples = {
    { name = "labsh_backup_drill_success", type = "gauge", value = passed and 1 or 0,
      help = "1 if the last restore drill of the repository passed, else 0" },
    { name = "labsh_backup_drill_timestamp_seconds", type = "gauge", value = os.time(),
      help = "When the last restore drill ran" },
    { name = "labsh_backup_drill_duration_seconds", type = "gauge", value = report.seconds,
      help = "How long the last restore drill took" },
  }
  local written, why = pcall(function()
    if monitoring.textfile_dir then
      for _, s in ipairs(samples) do s.labels = { repo = repo } end
      lab.textfile.write(nil, "backup_drill_" .. repo:gsub("[^%w_%-]", "_"), samples)
    end
    if monitoring.pushgateway then
      for _, s in ipairs(samples) do s.labels = nil end
      lab.push("backup_drill", samples, { grouping = { repo = repo } })
    end
  end)
  if not written then io.stderr:write("backup-drill: could not record the metric: ", tostring(why), "\n") end
end

-- The Proxmox VE drill; raises on failure. The scratch guest goes when
-- this function is left, however it is left (a stop waits for it).
local function pve_drill(opts, report)
  local restore = require "labsh.pve_restore"
  local client = lab.pve.client()
  local backup = restore.find(client, { guest = opts.guest, volid = opts.volid, storage = opts.storage, node = opts.node })
  report.backup, report.backup_time, report.vmid = backup.volid, backup.ctime, backup.vmid
  local scratch = { vmid = restore.next_vmid(client), node = backup.node, type = backup.subtype }
  report.scratch_vmid = scratch.vmid
  local created = false
  local _ <close> = setmetatable({}, { __close = function()
    if not created then return end
    local cleaned, why = require("labsh.stops").hold(300, pcall, restore.destroy, client, scratch)
    report.cleaned_up = cleaned and why == true
    if not report.cleaned_up then
      io.stderr:write(("backup-drill: could not destroy scratch VMID %d: %s\n"):format(scratch.vmid, gate.describe(why)))
    end
  end })
  -- From here on the scratch guest may exist: the cleanup looks.
  created = true
  local guest = restore.restore(client, backup, { vmid = scratch.vmid, into = scratch })
  if not guest then
    created, report.dry_run = false, true
    return
  end
  restore.start(client, scratch)
  local status = restore.check(client, scratch)
  report.status = status.status
end

return labsh.script {
  name = "backup-drill",
  description = "prove that a restic repository gives its data back: restore, verify, compare",
  formats = { "text", "json" },
  args = { { "REPO", "the restic repository (or --guest / --volid for Proxmox VE)", key = "repo" } },
  params = {
    { "--guest", "NAME|VMID", "Proxmox VE: drill the newest backup of this guest" },
    { "--volid", "VOLID", "Proxmox VE: drill this backup archive (storage:backup/...)" },
    { "--storage", "STORAGE", "Proxmox VE: the storage that holds the backups" },
    { "--node", "NODE", "Proxmox VE: the node to restore on (default: the guest's)" },
    { "--password", "REF", "the repository's password: env:NAME or file:PATH" },
    { "--snapshot", "ID", "the snapshot to restore", default = "latest" },
    { "--restic", "PROGRAM", "the restic program to run" },
    { "--if-configured", nil, "without REPO or --guest/--volid: say there is nothing to drill and exit 0 (a job)" },
  },
  exit = "0 passed (or --dry-run), 1 failed (the reason on stderr), 2 usage",
  requires = {
    commands = { "restic", "option:--restic", "find" },  -- restore and list; compare the tree
    secrets = { "option:--password", "proxmox", "monitoring:pushgateway" },
    net = { "proxmox", "monitoring:pushgateway" },       -- the cluster; the drill's metric
    files = { write = { "monitoring:textfile_dir" } },
    -- finding the backup, start, the check, destroying the scratch guest;
    -- "*" for the restore itself, whose checks the API schema does not list
    proxmox = { "Datastore.Audit", "VM.PowerMgmt", "VM.Audit", "VM.Allocate", "*" },
    mutation = true,
  },
  run = function(ctx, opts)
    local pve = opts.guest ~= nil or opts.volid ~= nil
    if pve and opts.repo then ctx:usage_error("a restic REPO or a Proxmox VE --guest/--volid, not both") end
    if not pve and not opts.repo and opts.if_configured then
      -- A scheduled drill on a homelab that names no repository yet: say so, fail nothing.
      io.stdout:write("backup drill: not configured: no restic REPO and no --guest/--volid given; nothing drilled\n")
      os.exit(0, true)
    end
    if not pve and not opts.repo then ctx:usage_error("missing REPO: the restic repository (or --guest NAME)") end
    if pve then opts.repo = "pve:" .. (opts.volid or tostring(opts.guest)) end
    local started = lab.sys.monotonic()
    local report = { repo = opts.repo }
    -- A drill stopped midway (Ctrl-C, SIGTERM, --timeout: pcall does not catch
    -- those) is recorded too, with the stop held back while its line is written.
    local recorded = false
    local _ <close> = setmetatable({}, { __close = function(_, why)
      if recorded then return end
      local stops = require "labsh.stops"
      local stop = stops.reason()
      report.seconds = lab.sys.monotonic() - started
      stops.hold(10, gate.audit, { action = pve and "pve.drill" or "restic.drill", target = opts.repo, details = report,
        outcome = stop and ("interrupted (" .. stop .. ")") or ("failed: " .. gate.describe(why)) })
    end })
    local passed, err = pcall(pve and pve_drill or drill, opts, report)
    report.seconds = lab.sys.monotonic() - started
    if passed and report.cleaned_up == false then
      passed, err = false, ("the scratch guest VMID %d was not destroyed: remove it by hand"):format(report.scratch_vmid)
    end
    if report.dry_run then
      recorded = true
      if cli.json() then
        print(lab.json.encode(report, { sort_keys = true }))
      else
        io.stdout:write("backup drill on ", opts.repo, ": dry run, nothing restored\n")
      end
      os.exit(0)
    end
    report.passed = passed
    report.error = not passed and tostring(err) or nil

    require("labsh.stops").hold(10, function()
      recorded = true
      gate.audit({ action = pve and "pve.drill" or "restic.drill", target = opts.repo, details = report,
        outcome = passed and "passed" or ("failed: " .. tostring(err)) })
    end)
    record_metric(opts.repo, passed, report)

    if lab.options.format == "json" then
      print(lab.json.encode(report, { sort_keys = true }))
    elseif passed and pve then
      print(("backup drill on %s: OK: %s restored to VMID %d, started and running; scratch guest destroyed (%.1f s)")
        :format(opts.repo, report.backup, report.scratch_vmid, report.seconds))
    elseif passed then
      print(("backup drill on %s: OK: snapshot %s (%s) restored and verified: %d files, %d bytes in %.1f s")
        :format(opts.repo, report.snapshot, report.snapshot_time, report.files, report.bytes, report.seconds))
    end
    if not passed then
      io.stderr:write("backup drill on ", opts.repo, ": FAILED: ", tostring(err), "\n")
      os.exit(1)
    end
  end,
}
