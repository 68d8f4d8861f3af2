---@meta
-- Declarations of `lab.backup`, for editors (LuaLS) and help() at the prompt.

---Backups as the plan promises them (§5.1): retention decided exactly as
---restic or Proxmox Backup Server decide it.
lab.backup = {}

---A retention policy. Counts keep the newest snapshot of each of the last N
---periods that have one (-1: every period); `within` keeps everything newer
---than that long before the newest snapshot; `within_daily` and the like keep
---the newest of each period within; `tags` keeps snapshots carrying all tags
---of any entry. Durations are restic's: "7d", "36h", "1y6m", "2y3m4d5h".
---@class lab.RetentionPolicy
---@field last integer?
---@field hourly integer?
---@field daily integer?
---@field weekly integer?
---@field monthly integer?
---@field yearly integer?
---@field within string?
---@field within_hourly string?
---@field within_daily string?
---@field within_weekly string?
---@field within_monthly string?
---@field within_yearly string?
---@field tags (string|string[])[]?

---Which snapshots `policy` keeps and which it removes, per group, newest
---first. A snapshot is a table with `time` (Unix seconds or RFC 3339 text)
---and optionally `host` (or restic's `hostname`), `paths`, `tags` and
---`protected` (PBS): `lab.json.decode` of `restic snapshots --json` works as
---it is, and the result holds the very tables given.
---opts.semantics: "restic" (0.16 and later, the default: also keeps the
---oldest snapshot while a count has room), "restic-0.14" (Debian 12's
---restic), or "pbs" (rules in order, each skipping what earlier rules cover;
---protected snapshots kept). opts.group_by: "host,paths" (default), any of
---host, paths, tags, or "" for one group. opts.now: what counts as now
---(restic ignores future snapshots when finding the newest).
---An empty policy is refused, as are counts below -1.
---@param snapshots table[]
---@param policy lab.RetentionPolicy
---@param opts {semantics: "restic"|"restic-0.14"|"pbs"?, group_by: string|string[]?, now: number|string?}?
---@return {keep: table[], remove: table[], reasons: {snapshot: table, matches: string[]}[], groups: table[]}
function lab.backup.prune(snapshots, policy, opts) end
