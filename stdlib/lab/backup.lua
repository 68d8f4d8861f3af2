-- lab.backup: the backup promises of the plan (§5.1), checked and kept.
-- Retention decisions are made in Swift (Sources/Homelab/Retention), exactly
-- as restic's forget or Proxmox Backup Server's prune would make them.

local retention = require "labsh.retention"

local backup = {}

--- Which snapshots a retention policy keeps and which it removes, per group
--- (host and paths by default, like restic). `snapshots` are tables with a
--- `time` (Unix seconds or RFC 3339) and optionally host (or restic's
--- hostname), paths, tags and protected: `restic snapshots --json` decoded
--- works as it is. The lists hold the very tables given, newest first.
--- (The Swift function itself, so argument errors name the caller's line.)
backup.prune = retention.prune

return backup
