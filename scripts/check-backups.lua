-- check-backups: the inventory's backups against the plan, as a Nagios check.
--
-- The inventory's backups against the plan (§5.1, §9), as a
-- Monitoring Plugins check for Nagios, Icinga and friends.
--
--   labsh -m check-backups --source FILE     runs or snapshots from a JSON file
--   labsh -m check-backups restic REPO [--password env:NAME]
--   labsh --format json -m check-backups ... the rows as JSON, same exit code
--
-- The worst backup decides: BACKUPS OK, WARNING, CRITICAL or UNKNOWN, exit
-- 0, 1, 2 or 3 (3 also for any error: a broken check must not look healthy).
-- Without a source nothing is known about any backup: UNKNOWN.
-- An inventory without backups is "not configured", UNKNOWN too (exit 3):
-- the Monitoring Plugins guidelines keep OK for a state the check has
-- verified, and nothing was; the report's Backups section says the same
-- "not configured".
-- Perfdata per backup: age (warn: the schedule's allowed age, crit: the RPO),
-- runs, success percent and missed runs over 30 days.
--
-- After each run the status is published for Prometheus as
-- labsh_check_status{check="backup-failed"} (the catalogue's backup-failed
-- rule fires at 2, CRITICAL): through the textfile collector when the
-- inventory has monitoring.textfile_dir, else to monitoring.pushgateway.

local check_status = require "labsh.check_status"

local function source(opts)
  if opts.repo then return lab.restic(opts.repo, { password = opts.password }):snapshots() end
  return opts.file
end

-- How bad each status is when backups are merged into one.
local RANK = { OK = 0, WARNING = 1, UNKNOWN = 2, CRITICAL = 3 }

local function perfdata(rows)
  local items = {}
  for _, r in ipairs(rows) do
    if r.age_seconds then
      items[#items + 1] = { label = r.name .. " age", value = r.age_seconds, unit = "s", min = 0,
                            warn = r.max_age_seconds, crit = r.rpo_seconds }
    end
    items[#items + 1] = { label = r.name .. " runs", value = r.runs, min = 0 }
    if r.success then items[#items + 1] = { label = r.name .. " success", value = r.success, unit = "%", min = 0, max = 100 } end
    items[#items + 1] = { label = r.name .. " gaps", value = r.gaps, min = 0 }
  end
  return items
end

-- "3 OK, 1 WARNING; k8s-etcd: schedule every 6h cannot meet RPO 15m"
local function summary(rows)
  local counts, order, notes = {}, { "CRITICAL", "UNKNOWN", "WARNING", "OK" }, {}
  for _, r in ipairs(rows) do
    counts[r.status] = (counts[r.status] or 0) + 1
    if r.status ~= "OK" then notes[#notes + 1] = ("%s: %s"):format(r.name, r.problems[1]) end
  end
  local parts = {}
  for _, status in ipairs(order) do
    if counts[status] then parts[#parts + 1] = ("%d %s"):format(counts[status], status) end
  end
  local text = table.concat(parts, ", ")
  if #notes > 0 then text = text .. "; " .. table.concat(notes, "; ") end
  return text
end

-- A Monitoring Plugins check: a usage error is UNKNOWN, exit 3; so is any
-- failure (lab.check.guard).
return labsh.script {
  name = "check-backups", check = "BACKUPS",
  description = "the inventory's backups against the plan (§5.1, §9) as a Nagios/Icinga check",
  formats = { "text", "json" },
  args = {
    { "restic", "the word restic, then REPO: the snapshots of a restic repository", key = "restic",
      choices = { "restic" } },
    { "REPO", "the repository (tag its snapshots with the backup's name)", key = "repo" },
  },
  params = {
    { "--source", "FILE", 'JSON: {"NAME": [{"time": ..., "ok": true}, ...]} or restic snapshots' },
    { "--password", "REF", 'the repository\'s password, "env:NAME" or "file:PATH"' },
  },
  exit = "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also a usage error or any failure)",
  requires = {
    commands = { "restic" },                     -- restic REPO's snapshots
    secrets = { "option:--password", "monitoring:pushgateway" },
    files = { read = { "option:--source" }, write = { "monitoring:textfile_dir" } },
    net = { "monitoring:pushgateway" },          -- where the status is published
    mutation = true,                             -- publishing the status
  },
  run = function(ctx, opts)
    lab.check.guard("BACKUPS", function()
      if opts.restic and not opts.repo then ctx:usage_error("restic needs REPO") end
      if opts.repo and opts.source then ctx:usage_error("give --source FILE or restic REPO, not both") end
      if opts.password and not opts.repo then ctx:usage_error("--password is for restic REPO") end
      opts.file = opts.source
      if #(lab.inventory.current().backups or {}) == 0 then
        if lab.options.format == "json" then
          print(lab.json.encode({ status = "not configured", reason = "the inventory has no backups" }))
          os.exit(lab.check.codes.UNKNOWN, true)
        end
        return lab.check { name = "BACKUPS", status = "UNKNOWN", text = "not configured: the inventory has no backups" }
      end
      local rows = lab.backup.check { source = source(opts) }
      local status = "OK"
      for _, r in ipairs(rows) do
        if RANK[r.status] > RANK[status] then status = r.status end
      end
      check_status.publish("backup-failed", status)
      if lab.options.format == "json" then
        print(lab.json.encode(rows))
        os.exit(lab.check.codes[status], true)
      end
      lab.check { name = "BACKUPS", status = status, text = summary(rows), perfdata = perfdata(rows) }
    end)
  end,
}
