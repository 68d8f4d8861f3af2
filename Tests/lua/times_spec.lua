-- labsh.times: the times and durations lab.prom and lab.alertmanager read.
-- Expected values were checked with GNU date (`date -u -d ... +%s`).

local times = require "labsh.times"

local NOW = 1795748400  -- 2026-11-27T03:00:00Z

test("RFC 3339 in UTC, with offsets and fractions", function()
  assert_eq(times.parse("2026-11-27T03:00:00Z"), 1795748400)
  assert_eq(times.parse("2026-11-27t03:00:00z"), 1795748400, "lower-case t and z")
  assert_eq(times.parse("2026-11-27 03:00:00Z"), 1795748400, "space for T (RFC 3339 5.6 note)")
  assert_eq(times.parse("2026-11-27T04:00:00+01:00"), 1795748400)
  assert_eq(times.parse("2026-11-26T21:30:00-05:30"), 1795748400)
  assert_eq(times.parse("2026-11-27T03:00:00.250Z"), 1795748400.25)
  assert_eq(times.parse("1970-01-01T00:00:00Z"), 0)
  assert_eq(times.parse("1969-12-31T23:59:59Z"), -1)
  assert_eq(times.parse("2000-02-29T12:00:00Z"), 951825600, "leap day of a 400-year")
  assert_eq(times.parse("2038-01-19T03:14:08Z"), 2147483648, "past 32 bits")
end)

test("RFC 3339 does not depend on the local time zone", function()
  -- os.time reads fields as local time; labsh must not.
  assert_eq(times.parse("2026-07-01T00:00:00Z"), 1782864000)
  assert_eq(times.parse("2026-03-29T01:30:00Z"), 1774747800, "inside Europe's DST switch hour")
end)

test("impossible dates and bad text are refused", function()
  for _, text in ipairs {
    "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
    "2026-11-27T24:00:00Z", "2026-11-27T03:60:00Z", "2026-11-27T03:00:00", "2026-11-27T03:00:00+0100",
    "2026-11-27T03:00:00.Z", "2026-11-27", "yesterday", "-1x", "",
  } do
    local ok, err = pcall(times.parse, text, NOW)
    assert(not ok, "refused: " .. text)
    assert(tostring(err):find("bad time", 1, true), tostring(err))
  end
end)

test("now, offsets from now, and Unix seconds", function()
  assert_eq(times.parse("now", NOW), NOW)
  assert_eq(times.parse("-1h", NOW), NOW - 3600)
  assert_eq(times.parse("-15m", NOW), NOW - 900)
  assert_eq(times.parse("-30s", NOW), NOW - 30)
  assert_eq(times.parse("-2d", NOW), NOW - 2 * 86400)
  assert_eq(times.parse("-1h30m", NOW), NOW - 5400)
  assert_eq(times.parse("+1w", NOW), NOW + 7 * 86400)
  assert_eq(times.parse(1700000000.5), 1700000000.5)
  assert_eq(times.parse("1700000000"), 1700000000)
  local before = lab.sys.now()
  local now = times.parse("now")
  assert(now >= before and now <= lab.sys.now(), "now is the clock")
end)

test("durations: seconds or Prometheus text", function()
  assert_eq(times.duration(15), 15)
  assert_eq(times.duration("15s"), 15)
  assert_eq(times.duration("1m"), 60)
  assert_eq(times.duration("1h30m"), 5400)
  assert_eq(times.duration("2.5"), 2.5)
  for _, text in ipairs { "", "1x", "m", "1m 2s", "-1m" } do
    assert(not pcall(times.duration, text), "refused: " .. text)
  end
end)

test("format writes RFC 3339 in UTC that parse reads back", function()
  assert_eq(times.format(1795748400), "2026-11-27T03:00:00Z")
  assert_eq(times.format(1795748400.25), "2026-11-27T03:00:00.250Z")
  assert_eq(times.format(-1), "1969-12-31T23:59:59Z")
  assert_eq(times.format(951825600), "2000-02-29T12:00:00Z")
  math.randomseed(42)
  for _ = 1, 2000 do
    local seconds = math.random(-62135596800, 253402300799)  -- years 1 to 9999
    assert_eq(times.parse(times.format(seconds)), seconds, "round trip")
  end
end)
