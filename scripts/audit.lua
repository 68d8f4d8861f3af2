-- audit: the audit log of every change, runbook and job run
-- ($LABSH_STATE_DIR/audit.log, one JSON line each, written by labsh.gate).
--
--   labsh -m audit tail [-n 20] [--action runbook] [--target NAME]
--   labsh --format json -m audit tail        the lines as they are stored

local cli = require "labsh.cli"
local gate = require "labsh.gate"

local PARAMS = {
  name = "audit",
  formats = { "text", "json" },
  summary = "audit tail: the newest entries of the audit log (" .. gate.audit_path() .. ")",
  params = {
    { "-n", "N", "how many entries (default 20)", convert = function(v) return math.tointeger(tonumber(v)) end },
    { "--action", "ACTION", "only this action (runbook, job.run, restic.forget, ...)" },
    { "--target", "NAME", "only entries about NAME" },
  },
}

local args = { ... }
local command = table.remove(args, 1)
if command == "--help" or command == "-h" or command == nil then
  print(cli.usage(PARAMS))
  os.exit(command == nil and 1 or 0)
end
if command ~= "tail" then error(("unknown command '%s'\n%s"):format(command, cli.usage(PARAMS)), 0) end
local opts = cli.parse(args, PARAMS)
local limit = opts.n or 20

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

for _, e in ipairs(entries) do
  if lab.options.format == "json" then
    print(e.line)
  else
    local x = e.entry
    print(("%s  %-8s %-16s %-20s %s%s"):format(x.time, x.user or "?", x.action or "?", tostring(x.target or "-"),
      x.outcome or "?", x.dry_run and " (dry run)" or ""))
  end
end
