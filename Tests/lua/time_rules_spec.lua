-- Time rules written once, in Swift (issue 17, items 1, 3 and 4): the
-- OnCalendar form of a cron schedule and a schedule's kind, maintenance
-- windows from the validated model, one grammar of times and durations.

local host = require "labsh.host"
local times = require "labsh.times"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local homelab = host.embedded("stdlib/labsh/homelab.lua")

-- An inventory: the built-in homelab with `extra` Lua lines run on `inv`.
local function inventory_text(extra)
  return ("local inv = (function() %s end)()\n%s\nreturn inv\n"):format(homelab, extra)
end

local function refused(fn, ...)
  local ok, err = pcall(fn, ...)
  return not ok and tostring(err) or nil
end

-- ---- Item 1: cron to OnCalendar -------------------------------------------

-- A seeded generator of cron expressions: names, ranges, steps, lists, macros.
local function cron_expressions(count)
  math.randomseed(17)
  local months = { "jan", "Feb", "MAR", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec" }
  local days = { [0] = "sun", "Mon", "tue", "WED", "thu", "fri", "sat" }
  local function item(low, high, names)
    local a = math.random(low, high)
    local b = math.random(a, high)
    local function v(x) return names and names[x] and math.random(3) == 1 and names[x] or tostring(x) end
    local kind = math.random(6)
    if kind == 1 then return "*/" .. math.random(2, math.max(2, (high - low) // 3)) end
    if kind == 2 then return v(a) .. "-" .. v(b) .. "/" .. math.random(2, 5) end
    if kind <= 4 then return v(a) .. "-" .. v(b) end
    return v(a)
  end
  local function field(low, high, names)
    if math.random(3) == 1 then return "*" end
    local items = {}
    for i = 1, math.random(2) do items[i] = item(low, high, names) end
    return table.concat(items, ",")
  end
  local out = { "@hourly", "@daily", "@weekly", "@monthly", "@yearly",
                "0 0 * * */2", "0 0 1 * */2", "30 2 */3 * 1-5" }  -- the old Lua dropped a `*/n` weekday
  while #out < count do
    local dom, dow = field(1, 31), field(0, 6, days)
    if dom ~= "*" and dow ~= "*" then dow = "*" end  -- cron's OR has no OnCalendar form
    out[#out + 1] = ("%s %s %s %s %s"):format(field(0, 59), field(0, 23), dom, field(1, 12, months), dow)
  end
  return out
end

-- The UTC fire times systemd-analyze gives for each calendar after `base`.
local function systemd_fires(calendars, base, count)
  local argv = { "systemd-analyze", "calendar", "--iterations=" .. count, "--base-time=@" .. base }
  for _, c in ipairs(calendars) do argv[#argv + 1] = c end
  local r = lab.process.run { argv = argv, env = { TZ = "UTC", LC_ALL = "C", PATH = os.getenv("PATH") } }
  assert_eq(r.status, 0, r.stderr)
  local blocks = {}
  for line in r.stdout:gmatch("[^\n]+") do
    if line:find("Normalized form:", 1, true) then
      blocks[#blocks + 1] = {}
    else
      local date, clock = line:match("^%s*[NI][%w%.]+ ?[#%w]*: %a+ (%d+%-%d+%-%d+) (%d+:%d+:%d+) UTC$")
      if date then table.insert(blocks[#blocks], times.parse(date .. "T" .. clock .. "Z")) end
    end
  end
  return blocks
end

test("cron to OnCalendar: generated expressions fire when systemd-analyze says their timers do", function()
  local expressions = cron_expressions(120)
  local calendars = {}
  for i, expr in ipairs(expressions) do calendars[i] = lab.job.on_calendar(expr, "UTC") end
  for _, base in ipairs { 1774656000, 1835267640 } do  -- 2026-03-28T00:00Z, 2028-02-27T12:34Z
    local fires = systemd_fires(calendars, base, 10)
    assert_eq(#fires, #expressions, "one answer per expression")
    for i, expr in ipairs(expressions) do
      assert_same(fires[i], lab.schedule.next(expr, { from = base, count = 10, tz = "UTC" }),
                  ("%s -> %s"):format(expr, calendars[i]))
    end
  end
end)

test("cron to OnCalendar: day of month OR day of week is refused unless one holds every day", function()
  local err = refused(lab.job.on_calendar, "0 0 1 * mon")
  assert(err and err:find("day of month and day of week", 1, true), err)
  assert_eq(lab.job.on_calendar("0 4 1-31 * mon"), "*-*-* 4:00:00", "1-31 OR Monday is every day")
  assert_eq(lab.job.on_calendar("Mon..Fri 02:00"), "Mon..Fri 02:00", "OnCalendar passes through")
  assert_eq(lab.job.on_calendar("Mon 02:00 UTC", "Europe/Berlin"), "Mon 02:00 UTC", "its own zone wins")
end)

test("a schedule's kind is Homelab's answer", function()
  local schedule = require "labsh.schedule"
  assert_eq(schedule.kind("@daily"), "cron")
  assert_eq(schedule.kind("*/5 * * * MON-fri"), "cron")
  assert_eq(schedule.kind("Mon..Fri *-*-* 02:00"), "calendar")
  assert_eq(schedule.kind("weekly"), "calendar")
  assert(refused(schedule.kind, "61 * * * *"), "a bad schedule is an error")
end)

-- ---- Item 3: maintenance windows -----------------------------------------------

test("lab.inventory.maintenance() is the validated model: durations in seconds", function()
  lab.inventory.load(nil)  -- the built-in homelab
  local windows = lab.inventory.maintenance()
  assert_eq(windows[1].name, "standard")
  assert_eq(windows[1].schedule, "0 2 * * 6")
  assert_eq(windows[1].duration, 4 * 3600, "the built-in window's 4h")
  assert_eq(windows[2].name, "emergency")
  assert_eq(windows[2].duration, nil)
  with_inventory(inventory_text('inv.maintenance = { { name = "late", schedule = "Sat 22:00", duration = "1h30m" } }'),
    function()
      assert_same(lab.inventory.maintenance(), { { name = "late", schedule = "Sat 22:00", duration = 5400 } })
    end)
end)

test("a maintenance window may be an OnCalendar schedule; opens and closes come from Homelab", function()
  local code = [[local w, n = lab.runbook.window(%d) print(w and (w.name .. " " .. w.opens .. " " .. w.closes) or ("next " .. n))]]
  local path = os.tmpname()
  write_file(path, inventory_text('inv.site.timezone = "Europe/Berlin"\n'
    .. 'inv.maintenance = { { name = "as-needed" }, { name = "fri", schedule = "Fri 22:00", duration = "2h" } }'))
  -- Friday 2026-12-04 21:30 UTC is 22:30 in Berlin: open since 21:00 UTC, until 23:00 UTC.
  local r = lab.process.run { argv = { labsh, "--inventory", path, "-e", code:format(1796419800) }, env = { TZ = "UTC" } }
  assert_eq(r.stdout, "fri 1796418000 1796425200\n", r.stderr)
  -- An hour after it closed: the next Friday 22:00 in Berlin.
  r = lab.process.run { argv = { labsh, "--inventory", path, "-e", code:format(1796425200 + 3600) }, env = { TZ = "UTC" } }
  assert_eq(r.stdout, ("next %d\n"):format(1796418000 + 7 * 86400), r.stderr)
  os.remove(path)
end)

test("a maintenance window's schedule is checked when the inventory loads", function()
  local path = write_temp(inventory_text('inv.maintenance = { { name = "odd", schedule = "0 25 * * *", duration = "1h" } }'))
  local ok, err = pcall(lab.inventory.load, path)
  os.remove(path)
  lab.inventory.load(nil)
  assert(not ok, "a bad window schedule is an inventory error")
  assert(tostring(err.message or err):find("maintenance[1].schedule", 1, true), tostring(err.message or err))
end)

-- ---- Item 4: one grammar of times and durations -------------------------------

test("durations: the inventory's grammar; ms, years and fractions are refused", function()
  assert_eq(times.duration("1h30m"), 5400)
  assert_eq(times.duration("2w"), 14 * 86400)
  assert_eq(times.duration("90"), 90, "seconds as text")
  assert_eq(times.duration("2.5"), 2.5)
  for _, text in ipairs { "500ms", "1y", "1.5h", "0.5s", "0x10", "1e3", " 5", "-5", "5 m" } do
    local err = refused(times.duration, text)
    assert(err and err:find("bad duration", 1, true), "refused: " .. text)
  end
  -- The inventory refuses what times.duration refuses.
  local ok, err = pcall(lab.inventory.load, write_temp(inventory_text('inv.recovery[1].rto = "500ms"')))
  assert(not ok and tostring(err.message or err):find("'500ms' is not a duration", 1, true), tostring(err))
  lab.inventory.load(nil)
end)

test("times: RFC 3339 as ZonedTime reads it; a leap second or a fraction without its dot is refused", function()
  assert_eq(times.parse("2026-11-27T03:00:00.250Z"), 1795748400.25)
  assert_eq(math.type(times.parse("2026-11-27T03:00:00Z")), "integer")
  for _, text in ipairs { "2026-11-27T03:00:60Z", "2026-11-27T03:00:0012Z", "1e3", "+1.5h", "-500ms" } do
    local err = refused(times.parse, text, 1795748400)
    assert(err and err:find("bad time", 1, true), "refused: " .. text)
  end
  assert_eq(times.parse("-1h30m", 1795748400), 1795748400 - 5400)
  assert_eq(times.format(-62135596800), "0001-01-01T00:00:00Z", "four-digit years")
  assert_eq(times.format(1795748400.0004), "2026-11-27T03:00:00Z", "milliseconds, rounded")
  assert_eq(times.api(1795741200.25), "1795741200.250")
  assert_eq(times.api(1795741200), "1795741200")
end)

test("help documents the grammar", function()
  local r = lab.process.run { argv = { labsh, "-e", 'help("lab.Duration") help("lab.Time")' } }
  assert(r.stdout:find("s m h d w", 1, true), r.stdout .. r.stderr)
  assert(r.stdout:find("RFC 3339", 1, true), r.stdout .. r.stderr)
end)
