-- lab.backup.check from Lua: the inventory's backups with a history, as
-- rows that print as a table. The rules are tested exactly in Swift
-- (Tests/HomelabTests/BackupComplianceTests.swift); this is the binding.

local pretty = require "labsh.pretty"

local NOW = "2024-06-15T12:00:00Z"
local now = 1718452800  -- NOW as Unix seconds

-- Hourly runs at :15 for two days before NOW, as {time, ok}.
local function hourly()
  local runs = {}
  for t = now - 2 * 86400, now, 3600 do
    runs[#runs + 1] = { time = t - t % 3600 + 900, ok = true }
  end
  if runs[#runs].time > now then runs[#runs] = nil end
  return runs
end

test("one row per backup of the inventory, in its order", function()
  local rows = lab.backup.check { source = { databases = hourly() }, now = NOW, tz = "UTC" }
  local names = {}
  for i, r in ipairs(rows) do names[i] = r.name end
  assert_eq(table.concat(names, " "), "vm-lxc k8s-etcd pv-data databases configurations")
  local db = rows[4]
  assert_eq(db.newest, "2024-06-15T11:15:00Z")
  assert_eq(db.age, "45m")
  assert_eq(db.age_seconds, 2700)
  assert_eq(db.rpo, "1h")
  assert_eq(db.runs, 48)
  assert_eq(db.gaps, 0)
  assert_eq(db.status, "WARNING", "the built-in databases backup has no offsite copy")
  assert_eq(db.problem, "3-2-1 not met: 2 copies, 2 media, 0 offsite")
  assert_eq(rows[1].status, "UNKNOWN", "nothing about vm-lxc in the source")
end)

test("restic snapshots belong to the backup their tag names", function()
  local snapshots = lab.json.decode([[
    [{"time":"2024-06-15T01:00:05Z","hostname":"pve1","tags":["vm-lxc"],"id":"a"},
     {"time":"2024-06-14T01:00:05Z","hostname":"pve1","tags":["vm-lxc"],"id":"b"},
     {"time":"2024-06-15T02:30:00Z","hostname":"k8s","tags":["other"],"id":"c"}]
  ]])
  local rows = lab.backup.check { source = snapshots, now = NOW, tz = "UTC" }
  assert_eq(rows[1].newest, "2024-06-15T01:00:05Z")
  assert_eq(rows[1].runs, 2)
  assert_eq(rows[3].status, "UNKNOWN", "c is tagged with no backup's name")
end)

test("rows print as an aligned table", function()
  local rows = lab.backup.check { source = { databases = hourly() }, now = NOW, tz = "UTC" }
  -- wide enough for every column: the default is the terminal's width (80 here)
  local text = pretty.format(rows, { width = 160 })
  local header = text:match("^[^\n]+")
  assert(header:match("^name%s+status%s+newest%s+age%s+max_age%s+rpo%s+runs"), header)
  assert(text:find("\ndatabases%s+WARNING%s+2024%-06%-15T11[^ ]*%s+45m%s+45m%s+1h%s+48%s+100"), text)
end)

test("a bad source is an error that says so", function()
  local ok, err = pcall(lab.backup.check, { source = { databases = { { ok = true } } }, now = NOW })
  assert(not ok)
  assert(tostring(err):find("databases[1]: expected a table with a time", 1, true), tostring(err))
end)
