-- lab.schedule from Lua. The schedules' exactness is tested in Swift
-- against croniter and systemd-analyze (Tests/HomelabTests/ScheduleTests);
-- this is the binding: options, time forms, errors.

local function rfc(t, offset)
  return os.date("!%Y-%m-%dT%H:%M:%S", t + offset * 3600)
end

test("cron: next fire times as Unix seconds, in the zone asked", function()
  local t = lab.schedule.next("30 2 * * *", { from = "2024-03-30T12:00:00Z", count = 2, tz = "Europe/Berlin" })
  assert_eq(#t, 2)
  assert_eq(rfc(t[1], 2), "2024-03-31T03:00:00", "02:30 was skipped: cron runs it right after the jump")
  assert_eq(rfc(t[2], 2), "2024-04-01T02:30:00")
  local utc = lab.schedule.next("@daily", { from = 0, count = 1, tz = "UTC" })
  assert_eq(utc[1], 86400)
end)

test("OnCalendar: weekly is Monday, a zone in the expression wins", function()
  local t = lab.schedule.next("weekly", { from = "2024-01-01T00:00:00Z", tz = "UTC" })
  assert_eq(rfc(t[1], 0), "2024-01-08T00:00:00")
  local z = lab.schedule.next("*-*-* 02:00 Europe/Berlin", { from = "2024-01-01T00:00:00Z", tz = "America/New_York" })
  assert_eq(rfc(z[1], 0), "2024-01-01T01:00:00")
end)

test("the default is one fire after now", function()
  local before = os.time()
  local t = lab.schedule.next("* * * * *")
  assert_eq(#t, 1)
  assert(t[1] > before and t[1] <= before + 60, "within the next minute")
end)

test("bad expressions, zones and options are errors that say what is wrong", function()
  local function message(...)
    local ok, err = pcall(lab.schedule.next, ...)
    assert(not ok, "expected an error")
    return tostring(err)
  end
  assert(message("61 * * * *"):find("minute '61': 61 is outside 0-59", 1, true))
  assert(message("5/2 * * * *"):find("a step needs a range", 1, true))
  assert(message("Moon 12:00"):find("not a weekday", 1, true))
  assert(message("@daily", { tz = "Mars/Olympus" }):find("unknown time zone", 1, true))
  assert(message("@daily", { count = 0 }):find("count", 1, true))
end)
