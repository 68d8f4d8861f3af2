-- lab.metrics: metrics as Prometheus text (exposition format 0.0.4), the
-- text lab.push sends and lab.textfile.write writes.
--
-- Metrics are a list of samples, one table each:
--
--   { name = "backup_last_success_time", help = "...", type = "gauge",
--     value = 1.7e9, labels = { job = "restic", repo = "nas" } }
--
-- Samples of one name form one metric family under one # HELP and # TYPE
-- line, in the order the names first appear; label names come out sorted, so
-- the same metrics always give the same text.

local metrics = {}

local TYPES = { counter = true, gauge = true, untyped = true }

local function fail(message)
  require("labsh.host").fail("metrics", message)
end

-- Label values: backslash, double quote and newline escaped.
local LABEL_ESCAPES = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }
-- HELP text: backslash and newline only.
local HELP_ESCAPES = { ["\\"] = "\\\\", ["\n"] = "\\n" }

-- A sample value as the format writes it: integers exactly, floats in the
-- fewest digits that read back the same, and NaN, +Inf, -Inf by name.
local function format_value(value, name)
  if math.type(value) == "integer" then return ("%d"):format(value) end
  if type(value) ~= "number" then
    fail(("metric %s: value %s is not a number"):format(name, tostring(value)))
  end
  if value ~= value then return "NaN" end
  if value == math.huge then return "+Inf" end
  if value == -math.huge then return "-Inf" end
  for digits = 15, 17 do
    local text = ("%." .. digits .. "g"):format(value)
    if tonumber(text) == value then return text end
  end
end

-- {a="1",b="x"} with names sorted, or "" without labels.
local function format_labels(labels, name)
  local names = {}
  for label in pairs(labels or {}) do
    if type(label) ~= "string" or not label:match("^[%a_][%w_]*$") or label:match("^__") then
      fail(("metric %s: bad label name %s"):format(name, tostring(label)))
    end
    names[#names + 1] = label
  end
  if #names == 0 then return "" end
  table.sort(names)
  local parts = {}
  for i, label in ipairs(names) do
    local value = labels[label]
    if type(value) ~= "string" and type(value) ~= "number" then
      fail(("metric %s: label %s is a %s, not a string"):format(name, label, type(value)))
    end
    parts[i] = ('%s="%s"'):format(label, tostring(value):gsub('[\\"\n]', LABEL_ESCAPES))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Checks one sample and adds it to its family, made on first sight.
local function add_sample(families, order, sample, index)
  if type(sample) ~= "table" then fail(("metrics[%d] is not a table"):format(index)) end
  local name = sample.name
  if type(name) ~= "string" or not name:match("^[%a_:][%w_:]*$") then
    fail(("metrics[%d]: bad metric name %s"):format(index, tostring(name)))
  end
  local kind = sample.type or "untyped"
  if not TYPES[kind] then
    fail(("metric %s: type %s is not counter, gauge or untyped"):format(name, tostring(kind)))
  end
  local family = families[name]
  if not family then
    family = { name = name, help = sample.help, type = kind, lines = {}, seen = {} }
    families[name] = family
    order[#order + 1] = family
  elseif sample.type and sample.type ~= family.type then
    fail(("metric %s: type %s here, %s before"):format(name, kind, family.type))
  end
  family.help = family.help or sample.help
  local series = name .. format_labels(sample.labels, name)
  if family.seen[series] then fail(("metric %s appears twice"):format(series)) end
  family.seen[series] = true
  family.lines[#family.lines + 1] = series .. " " .. format_value(sample.value, series)
end

--- The metrics in Prometheus text format 0.0.4, ending in a newline. Raises
--- an error of kind "metrics" for a bad name, label, type or value, or a
--- series given twice.
function metrics.render(list)
  if type(list) ~= "table" then fail("metrics must be a list of samples") end
  local families, order = {}, {}
  for index, sample in ipairs(list) do add_sample(families, order, sample, index) end
  local out = {}
  for _, family in ipairs(order) do
    if family.help then
      out[#out + 1] = ("# HELP %s %s"):format(family.name, family.help:gsub("[\\\n]", HELP_ESCAPES))
    end
    out[#out + 1] = ("# TYPE %s %s"):format(family.name, family.type)
    for _, line in ipairs(family.lines) do out[#out + 1] = line end
  end
  out[#out + 1] = ""
  return table.concat(out, "\n")
end

return metrics
