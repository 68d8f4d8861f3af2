-- lab.backup.prune from Lua: restic's JSON in, the same tables out.
-- The engine's exactness is tested in Swift against the real restic
-- (Tests/HomelabTests/ResticForgetTests.swift); this is the binding.

local function restic_snapshots()
  -- As `restic snapshots --json` prints them (fields trimmed).
  return lab.json.decode([[
    [{"time":"2024-01-02T13:42:44+01:00","hostname":"pve1","paths":["/etc"],"id":"a1"},
     {"time":"2024-01-03T01:04:38+01:00","hostname":"pve1","paths":["/etc"],"id":"a2","tags":["pinned"]},
     {"time":"2024-01-04T20:09:54+01:00","hostname":"pve1","paths":["/etc"],"id":"a3"},
     {"time":"2024-01-04T20:20:32+01:00","hostname":"pve1","paths":["/etc"],"id":"a4"},
     {"time":"2024-01-04T20:20:32+01:00","hostname":"pve2","paths":["/etc"],"id":"b1"}]
  ]])
end

local function ids(list)
  local out = {}
  for i, s in ipairs(list) do out[i] = s.id end
  return table.concat(out, " ")
end

test("prune keeps per host and paths, newest first, and hands back the same tables", function()
  local snapshots = restic_snapshots()
  local result = lab.backup.prune(snapshots, { monthly = 4 })
  assert_eq(#result.groups, 2)
  assert_eq(result.groups[1].host, "pve1")
  assert_eq(ids(result.groups[1].keep), "a4 a1", "restic 0.16 keeps the oldest while the count has room")
  assert_eq(ids(result.groups[1].remove), "a3 a2")
  assert_eq(ids(result.keep), "a4 a1 b1")
  assert(result.keep[1] == snapshots[4], "the caller's own table")
  assert_eq(table.concat(result.reasons[1].matches, ","), "monthly snapshot")
end)

test("semantics, tags and grouping are options", function()
  local snapshots = restic_snapshots()
  local old = lab.backup.prune(snapshots, { monthly = 4 }, { semantics = "restic-0.14", group_by = "host" })
  assert_eq(ids(old.groups[1].keep), "a4")
  local tagged = lab.backup.prune(snapshots, { last = 1, tags = { "pinned" } }, { group_by = "" })
  assert_eq(ids(tagged.keep), "a4 a2", "one group: a4 is newer than b1 by its place in the list")
  local pbs = lab.backup.prune(snapshots, { daily = 1 }, { semantics = "pbs" })
  assert_eq(ids(pbs.keep), "a4 b1")
  assert_eq(pbs.reasons[1].matches[1], "keep-daily")
end)

test("bad policies and snapshots are argument errors that say what is wrong", function()
  local function message(...)
    local ok, err = pcall(lab.backup.prune, ...)
    assert(not ok, "expected an error")
    return tostring(err)
  end
  local s = restic_snapshots()
  assert(message(s, {}):find("keeps nothing", 1, true))
  assert(message(s, { daily = -2 }):find("-2 is not a count", 1, true))
  assert(message(s, { dayly = 3 }):find("did you mean 'daily'", 1, true))
  assert(message(s, { within = "1w" }):find("not a keep%-within duration"))
  assert(message({ { time = "yesterday" } }, { daily = 1 }):find("snapshot 1: 'yesterday' is not an RFC 3339 time", 1, true))
  assert(message({ { host = "x" } }, { daily = 1 }):find("snapshot 1: missing time", 1, true))
  assert(message(s, { daily = 1 }, { semantics = "borg" }):find("not one of restic, restic-0.14, pbs", 1, true))
  assert(message(s, { daily = 1, within = "2d" }, { semantics = "pbs" }):find("counts only", 1, true))
  assert(message(s, { daily = 1 }, { group_by = "user" }):find("'user' is not one of host, paths, tags", 1, true))
end)
