-- lab.backup: the backup promises of the plan (§5.1), checked and kept.
-- Retention decisions are made in Swift (Sources/Homelab/Retention), exactly
-- as restic's forget or Proxmox Backup Server's prune would make them.

local native = require "labsh.backup"

local backup = {}

--- Which snapshots a retention policy keeps and which it removes, per group
--- (host and paths by default, like restic). `snapshots` are tables with a
--- `time` (Unix seconds or RFC 3339) and optionally host (or restic's
--- hostname), paths, tags and protected: `restic snapshots --json` decoded
--- works as it is. The lists hold the very tables given, newest first.
--- (The Swift function itself, so argument errors name the caller's line.)
backup.prune = native.prune

-- Rows print as a table at the prompt, in the columns labsh.columns lists.
local Row = require("labsh.columns").meta("lab.backup.CheckRow")

-- The backup a snapshot belongs to: its `backup` field, else a tag that is
-- the name of a backup in the inventory.
local function owner(snapshot, names)
  if snapshot.backup then return snapshot.backup end
  for _, tag in ipairs(snapshot.tags or {}) do
    if names[tag] then return tag end
  end
end

-- A name the source gives a backup must be one of the inventory's: a
-- misspelt one would leave its runs unread and the backup "no history".
local function known(name, names, order)
  if names[name] then return end
  error(("backup.check: the source names %s, which is not a backup of the inventory%s")
    :format(require("labsh.blame").shown(name), require("labsh.blame").hint(name, order, "backups")), 4)
end

-- Runs by backup name, from any of the source forms backup.check takes.
local function runs_by_name(source, names, order)
  if type(source) == "string" then
    local text = require("labsh.files").read(source)
    if not text then error(("backup.check: cannot read %s"):format(select(2, io.open(source, "rb")) or source), 3) end
    source = lab.json.decode(text)
  end
  if source == nil then return {} end
  if type(source) ~= "table" then error("backup.check: source must be a table or a JSON file name", 3) end
  if source[1] == nil then  -- already {[name] = runs}
    for name in pairs(source) do known(name, names, order) end
    return source
  end
  local by = {}
  for _, snapshot in ipairs(source) do
    if snapshot.backup then known(snapshot.backup, names, order) end
    local name = owner(snapshot, names)
    if name then
      by[name] = by[name] or {}
      table.insert(by[name], snapshot)
    end
  end
  return by
end

local CHECK_OPTIONS = { "source", "now", "tz" }

--- How each backup of the inventory stands against the plan (§5.1, §9):
--- age of the newest good backup against its schedule and its RPO, missed
--- runs and success rate over 30 days, and the 3-2-1 rule. opts.source: runs
--- by backup name ({[name] = {{time =, ok =}, ...}}), a list of snapshots
--- (`restic snapshots --json` decoded; a snapshot belongs to the backup
--- named by its tag), or the name of a JSON file holding either. opts.now:
--- Unix seconds or RFC 3339 (default now); opts.tz: the zone schedules run
--- in (default local). Returns one row per backup, in inventory order.
function backup.check(opts)
  opts = opts or {}
  -- a misspelt "source" would leave every row UNKNOWN
  require("labsh.blame").options(1, "lab.backup.check", opts, CHECK_OPTIONS)
  local model = lab.inventory.model()
  local names, order = {}, {}
  for _, b in ipairs(lab.inventory.current().backups or {}) do
    names[b.name] = true
    order[#order + 1] = b.name
  end
  local rows = native.check(model, runs_by_name(opts.source, names, order), opts.now, opts.tz)
  for _, row in ipairs(rows) do
    row.problem = table.concat(row.problems, "; ")
    setmetatable(row, Row)
  end
  return rows
end

return backup
