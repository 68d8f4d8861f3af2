-- lab.check: checks for Nagios, Icinga, Naemon and friends, as the
-- Monitoring Plugins Development Guidelines define them: one line
-- "NAME STATUS: text | 'label'=value[UOM];warn;crit;min;max" and the exit
-- code 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
--
--   lab.check{ name = "BACKUP_AGE", value = 5400, unit = "s",
--              warn = "86400", crit = "172800", text = "newest 1h 30m old" }

local check = {}

check.codes = { OK = 0, WARNING = 1, CRITICAL = 2, UNKNOWN = 3 }

local function fail(message)
  error(message, 3)
end

--- A threshold range as the guidelines write it, parsed: "10" (alert
--- outside 0..10), "10:" (below 10), "~:10" (above 10), "10:20" (outside),
--- "@10:20" (inside, ends included). Returns a table with `alerts(value)`.
function check.range(text)
  if type(text) == "number" then text = tostring(text) end
  if type(text) ~= "string" then fail("threshold: expected a range like 10, 10:, ~:10, 10:20 or @10:20") end
  local inside, body = false, text
  if body:sub(1, 1) == "@" then inside, body = true, body:sub(2) end
  local low, high
  local colon = body:find(":", 1, true)
  if colon then
    local a, b = body:sub(1, colon - 1), body:sub(colon + 1)
    low = a == "~" and -math.huge or (a == "" and 0 or tonumber(a))
    high = b == "" and math.huge or tonumber(b)
  else
    low, high = 0, tonumber(body)
  end
  if not low or not high or body == "" then fail(("threshold '%s' is not a range (10, 10:, ~:10, 10:20, @10:20)"):format(text)) end
  if low > high then fail(("threshold '%s': start is above end"):format(text)) end
  return {
    text = text,
    alerts = function(value)
      local within = value >= low and value <= high
      if inside then return within end
      return not within
    end,
  }
end

--- The status `value` has against the thresholds: CRITICAL when it alerts
--- on `crit`, else WARNING when it alerts on `warn`, else OK.
function check.status(value, warn, crit)
  if crit and check.range(crit).alerts(value) then return "CRITICAL" end
  if warn and check.range(warn).alerts(value) then return "WARNING" end
  return "OK"
end

-- Numbers as the performance data wants them: integers plain, others short.
local function number(v)
  if v == nil then return "" end
  if math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 2^53) then return ("%d"):format(v) end
  return ("%.6g"):format(v)
end

--- One performance data item: 'label'=value[UOM];warn;crit;min;max, with
--- trailing empty fields left out. A quote in a label is doubled.
function check.perfdata(item)
  local label = "'" .. tostring(item.label):gsub("'", "''") .. "'"
  local fields = { number(item.value) .. (item.unit or ""), item.warn and tostring(item.warn) or "",
                   item.crit and tostring(item.crit) or "", number(item.min), number(item.max) }
  while #fields > 1 and fields[#fields] == "" do fields[#fields] = nil end
  return label .. "=" .. table.concat(fields, ";")
end

--- The line and exit code of a check, without printing or exiting.
--- spec: name, and either status or value (with warn/crit ranges); unit,
--- text, min, max, label (default the name, lower case); perfdata: more
--- items {label, value, unit, warn, crit, min, max}.
function check.result(spec)
  if type(spec) ~= "table" or type(spec.name) ~= "string" then fail("lab.check: expected {name =, value = | status =, ...}") end
  local status = spec.status
  if status == nil then
    if type(spec.value) ~= "number" then
      status = "UNKNOWN"
    else
      status = check.status(spec.value, spec.warn, spec.crit)
    end
  end
  if not check.codes[status] then fail(("lab.check: status '%s' is not OK, WARNING, CRITICAL or UNKNOWN"):format(tostring(status))) end
  local text = spec.text or (spec.value ~= nil and (number(spec.value) .. (spec.unit or "")) or "no value")
  local items = {}
  if type(spec.value) == "number" then
    items[1] = check.perfdata { label = spec.label or spec.name:lower(), value = spec.value, unit = spec.unit,
                                warn = spec.warn, crit = spec.crit, min = spec.min, max = spec.max }
  end
  for _, item in ipairs(spec.perfdata or {}) do items[#items + 1] = check.perfdata(item) end
  local line = ("%s %s: %s"):format(spec.name, status, text)
  if #items > 0 then line = line .. " | " .. table.concat(items, " ") end
  return line, check.codes[status]
end

-- An error as the one line a status line shows: the message without the
-- position of the code that raised it ("labsh:scripts/x.lua:80: ").
local function reason(err)
  local text = require("labsh.gate").describe(err):match("^[^\n]*")
  for _, chunk in ipairs { "^%S-:%d+: ", "^%(command line%):%d+: ", '^%[string ".-"%]:%d+: ' } do
    local rest, n = text:gsub(chunk, "", 1)
    if n > 0 then return rest end
  end
  return text
end

-- Prints "NAME UNKNOWN: reason" and exits 3: a broken check never looks
-- healthy. stderr gets the error with its position, for whoever debugs it:
-- `where` ("script.lua:12: ") when the caller's spec was at fault.
local function unknown(name, err, where)
  if lab.options.format == "json" then  -- stdout is one JSON document, also now
    io.stdout:write(lab.json.encode({ name = name, status = "UNKNOWN", reason = reason(err) }, { sort_keys = true }), "\n")
  else
    io.stdout:write(("%s UNKNOWN: %s\n"):format(name, reason(err)))
  end
  io.stdout:flush()
  io.stderr:write(where and (where .. reason(err)) or require("labsh.gate").describe(err), "\n")
  os.exit(3, true)
end

--- Runs `body`; an error in it prints "NAME UNKNOWN: error" and exits 3, so
--- a broken check never looks healthy.
function check.guard(name, body, ...)
  local ok, err = pcall(body, ...)
  if not ok then unknown(name, err) end
end

--- lab.check{...}: prints the check's line and exits with its code; a spec
--- it cannot judge (a threshold that is not a range, a bad status) is
--- UNKNOWN, exit 3.
return setmetatable(check, {
  __call = function(_, spec)
    local ok, line, code = pcall(check.result, spec)
    if not ok then
      -- the spec is the caller's: its line is the one to blame, not this file's
      local caller = debug.getinfo(2, "Sl")
      local where = caller and caller.currentline > 0 and ("%s:%d: "):format(caller.short_src, caller.currentline)
      unknown(type(spec) == "table" and type(spec.name) == "string" and spec.name or "CHECK", line, where or nil)
    end
    io.stdout:write(line, "\n")
    io.stdout:flush()
    os.exit(code, true)
  end,
})
