-- audit: the audit log of every change, runbook and job run.
--
-- The audit log of every change, runbook and job run
-- ($LABSH_STATE_DIR/audit.log, one JSON line each, written by labsh.gate).
--
--   labsh -m audit tail [-n 20] [--action runbook] [--target NAME]
--   labsh --format json -m audit tail        the entries as one JSON list

local cli = require "labsh.cli"
local gate = require "labsh.gate"

return labsh.script {
  name = "audit",
  formats = { "text", "json" },
  description = "the audit log of every change, runbook and job run (" .. gate.audit_path() .. ")",
  commands = {
    { "tail", "the newest entries",
      params = {
        { "-n", "N", "how many entries", type = "count", default = 20 },
        { "--action", "ACTION", "only this action (runbook, job.run, restic.forget, ...)" },
        { "--target", "NAME", "only entries about NAME" },
      } },
  },
  exit = "0 done, 2 usage",
  requires = {},  -- the audit log is labsh's own state
  run = function(_, opts)
    local limit = opts.n

    local entries = {}
    local file = io.open(gate.audit_path(), "r")
    if file then
      for line in file:lines() do
        local ok, entry = pcall(lab.json.decode, line)
        if ok and (not opts.action or entry.action == opts.action) and (not opts.target or entry.target == opts.target) then
          entries[#entries + 1] = { line = line, entry = entry }
          if #entries > limit then table.remove(entries, 1) end
        end
      end
      file:close()
    end

    if cli.json() then  -- one JSON document: the entries as stored, oldest first
      local list = {}
      for i, e in ipairs(entries) do list[i] = e.entry end
      print(lab.json.encode(setmetatable(list, lab.json.array), { sort_keys = true }))
      return
    end
    for _, e in ipairs(entries) do
      local x = e.entry
      print(("%s  %-8s %-16s %-20s %s%s"):format(x.time, x.user or "?", x.action or "?", tostring(x.target or "-"),
        x.outcome or "?", x.dry_run and " (dry run)" or ""))
    end
  end,
}
