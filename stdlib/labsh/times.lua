-- labsh.times: the times and durations that lab.prom and lab.alertmanager
-- accept, read exactly.
--
-- A time is Unix seconds (a number or numeric string), "now", an offset
-- from now ("-1h", "-15m", "+30s", "-1h30m"), or RFC 3339
-- ("2026-11-27T03:00:00Z", "2026-11-27T04:00:00.250+01:00"). RFC 3339 is
-- computed from its fields in UTC: os.time would read them as local time.

local times = {}

-- Seconds per unit of a Prometheus duration ("1h30m", "15s", "500ms").
local UNIT_SECONDS = {
  ms = 0.001, s = 1, m = 60, h = 3600, d = 86400, w = 7 * 86400, y = 365 * 86400,
}

local function bad(what, value, expected)
  error(("bad %s %q: expected %s"):format(what, tostring(value), expected), 0)
end

-- Seconds in "1h30m"-style text, or nil when it is not one.
local function duration_text(text)
  if text == "" then return nil end
  local total, rest = 0, text
  while rest ~= "" do
    local amount, unit, after = rest:match("^(%d+%.?%d*)(ms)(.*)$")
    if not amount then amount, unit, after = rest:match("^(%d+%.?%d*)([smhdwy])(.*)$") end
    if not amount then return nil end
    total = total + tonumber(amount) * UNIT_SECONDS[unit]
    rest = after
  end
  return total
end

--- Seconds in a duration: a number of seconds, or text such as "15s",
--- "1m", "1h30m", "2d", "500ms".
function times.duration(value)
  if type(value) == "number" then return value end
  local seconds = type(value) == "string" and (tonumber(value) or duration_text(value))
  if not seconds then bad("duration", value, 'seconds or text such as "15s", "1m", "1h30m"') end
  return seconds
end

-- Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
-- days_from_civil): exact for any year, no time zone involved.
local function days_from_civil(year, month, day)
  if month <= 2 then year = year - 1 end
  local era = year // 400
  local year_of_era = year - era * 400
  local month_index = (month + 9) % 12  -- March is 0
  local day_of_year = (153 * month_index + 2) // 5 + day - 1
  local day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
  return era * 146097 + day_of_era - 719468
end

-- The inverse: year, month, day of a day count since 1970-01-01.
local function civil_from_days(days)
  days = days + 719468
  local era = days // 146097
  local day_of_era = days - era * 146097
  local year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
  local day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
  local month_index = (5 * day_of_year + 2) // 153
  local day = day_of_year - (153 * month_index + 2) // 5 + 1
  local month = month_index < 10 and month_index + 3 or month_index - 9
  local year = year_of_era + era * 400 + (month <= 2 and 1 or 0)
  return year, month, day
end

local function days_in_month(year, month)
  if month == 2 then
    local leap = year % 4 == 0 and (year % 100 ~= 0 or year % 400 == 0)
    return leap and 29 or 28
  end
  return (month == 4 or month == 6 or month == 9 or month == 11) and 30 or 31
end

-- Unix seconds of RFC 3339 text, or nil when it is not RFC 3339.
local function rfc3339(text)
  local year, month, day, hour, min, sec, fraction, zone = text:match(
    "^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(%.?%d*)(.*)$")
  if not year then return nil end
  year, month, day = tonumber(year), tonumber(month), tonumber(day)
  hour, min, sec = tonumber(hour), tonumber(min), tonumber(sec)
  if month < 1 or month > 12 or day < 1 or day > days_in_month(year, month)
      or hour > 23 or min > 59 or sec > 60 or fraction == "." then
    return nil
  end
  local offset
  if zone == "Z" or zone == "z" then
    offset = 0
  else
    local sign, zone_hour, zone_min = zone:match("^([+-])(%d%d):(%d%d)$")
    if not sign or tonumber(zone_hour) > 23 or tonumber(zone_min) > 59 then return nil end
    offset = (tonumber(zone_hour) * 3600 + tonumber(zone_min) * 60) * (sign == "-" and -1 or 1)
  end
  local seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec - offset
  if fraction ~= "" then seconds = seconds + tonumber("0" .. fraction) end
  return seconds
end

--- Unix seconds of a time: a number, "now", an offset from now ("-1h",
--- "-15m", "+30s", "-2d"), or RFC 3339. `now` (Unix seconds) defaults to
--- the clock; tests pass their own.
function times.parse(value, now)
  if type(value) == "number" then return value end
  if type(value) ~= "string" then bad("time", value, "a time") end
  local number = tonumber(value)
  if number then return number end
  now = now or lab.sys.now()
  if value == "now" then return now end
  local sign, span = value:match("^([+-])(.+)$")
  local offset = sign and duration_text(span)
  if offset then return sign == "-" and now - offset or now + offset end
  local seconds = rfc3339(value)
  if seconds then return seconds end
  bad("time", value, 'Unix seconds, "now", "-1h" (from now) or RFC 3339 such as "2026-11-27T03:00:00Z"')
end

--- RFC 3339 text in UTC of Unix seconds, with milliseconds when they are
--- not whole: 1795741200 is "2026-11-27T00:00:00Z".
function times.format(seconds)
  local whole = math.floor(seconds)
  local millis = math.floor((seconds - whole) * 1000 + 0.5)
  if millis == 1000 then whole, millis = whole + 1, 0 end
  local days, rest = whole // 86400, whole % 86400
  local year, month, day = civil_from_days(days)
  local text = ("%04d-%02d-%02dT%02d:%02d:%02d"):format(
    year, month, day, rest // 3600, rest % 3600 // 60, rest % 60)
  if millis > 0 then text = text .. (".%03d"):format(millis) end
  return text .. "Z"
end

--- A time as the Prometheus API takes it: Unix seconds, without a
--- fraction when whole ("1795741200", "1795741200.25").
function times.api(seconds)
  if math.type(seconds) == "integer" or seconds == math.floor(seconds) then
    return ("%d"):format(math.floor(seconds))
  end
  return ("%.3f"):format(seconds)
end

return times
