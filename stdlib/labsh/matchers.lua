-- labsh.matchers: label matchers written as amtool users write them, made
-- into Alertmanager API v2 matcher objects.
--
--   alertname=DiskFull   job!=node   instance=~"pve[1-5]:9100"   severity!~info|none
--
-- A value may be quoted ("..." with \" \\ \n escapes), which it must be when
-- it holds a comma or spaces. A word alone, as in `amtool silence add
-- DiskFull`, means alertname=DiskFull.

local matchers = {}

-- Longest operators first: "=~" must not be read as "=".
local OPERATORS = {
  { text = "=~", isRegex = true, isEqual = true },
  { text = "!~", isRegex = true, isEqual = false },
  { text = "!=", isRegex = false, isEqual = false },
  { text = "=", isRegex = false, isEqual = true },
}

local UNESCAPE = { ["\\"] = "\\", ['"'] = '"', n = "\n" }

local function bad(text, why)
  error(("bad matcher %q: %s"):format(text, why), 0)
end

-- The value after the operator: quoted or bare.
local function value_of(text, raw)
  local quoted = raw:match('^"(.*)"$')
  if not quoted then
    if raw:find('"', 1, true) then bad(text, "unbalanced quote") end
    if raw:match("^[=~]") then bad(text, "the value starts with " .. raw:sub(1, 1) .. "; quote it if that is meant") end
    return raw
  end
  return (quoted:gsub("\\(.)", function(char)
    return UNESCAPE[char] or bad(text, "unknown escape \\" .. char)
  end))
end

--- One matcher from its text: { name =, value =, isRegex =, isEqual = }.
function matchers.parse(text)
  local trimmed = text:match("^%s*(.-)%s*$")
  if trimmed:match("^[%a_][%w_]*$") then
    return { name = "alertname", value = trimmed, isRegex = false, isEqual = true }
  end
  local name, rest = trimmed:match("^([%a_][%w_]*)%s*(.*)$")
  if not name then bad(text, "expected name=value, name!=value, name=~regex or name!~regex") end
  for _, operator in ipairs(OPERATORS) do
    if rest:sub(1, #operator.text) == operator.text then
      local value = value_of(text, rest:sub(#operator.text + 1):match("^%s*(.-)$"))
      return { name = name, value = value, isRegex = operator.isRegex, isEqual = operator.isEqual }
    end
  end
  bad(text, "expected an operator: =, !=, =~ or !~")
end

-- Splits 'a="x, y",b=~z' at the commas outside quotes; {...} around is
-- optional, as amtool and PromQL write a set.
local function split(text)
  local inner = text:match("^%s*{(.*)}%s*$") or text
  local parts, start, quoted, i = {}, 1, false, 1
  while i <= #inner do
    local char = inner:sub(i, i)
    if char == "\\" and quoted then
      i = i + 1
    elseif char == '"' then
      quoted = not quoted
    elseif char == "," and not quoted then
      parts[#parts + 1] = inner:sub(start, i - 1)
      start = i + 1
    end
    i = i + 1
  end
  parts[#parts + 1] = inner:sub(start)
  local kept = {}
  for _, part in ipairs(parts) do
    if part:match("%S") then kept[#kept + 1] = part end
  end
  return kept
end

--- A list of API matcher objects from: a string of one or more matchers
--- ('alertname=X,job="node"', '{job="node"}'), a list of such strings or of
--- matcher objects, or a table of equalities ({ alertname = "X" }).
function matchers.list(spec)
  local result = {}
  local function add(item)
    if type(item) == "string" then
      for _, part in ipairs(split(item)) do result[#result + 1] = matchers.parse(part) end
    elseif type(item) == "table" and item.name then
      result[#result + 1] = item
    else
      bad(tostring(item), "expected a matcher string or {name =, value =, isRegex =, isEqual =}")
    end
  end
  if type(spec) == "string" or (type(spec) == "table" and spec.name) then
    add(spec)
  elseif type(spec) == "table" then
    for _, item in ipairs(spec) do add(item) end
    local names = {}
    for key in pairs(spec) do
      if type(key) == "string" then names[#names + 1] = key end
    end
    table.sort(names)
    for _, name in ipairs(names) do
      result[#result + 1] = { name = name, value = tostring(spec[name]), isRegex = false, isEqual = true }
    end
  elseif spec ~= nil then
    bad(tostring(spec), "expected matchers as a string or a table")
  end
  return result
end

local ESCAPE = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }

--- A matcher object as text, value always quoted: job!~"node|push".
function matchers.format(matcher)
  local operator
  for _, candidate in ipairs(OPERATORS) do
    if candidate.isRegex == (matcher.isRegex == true) and candidate.isEqual == (matcher.isEqual ~= false) then
      operator = candidate.text
    end
  end
  return matcher.name .. operator .. '"' .. matcher.value:gsub('[\\"\n]', ESCAPE) .. '"'
end

return matchers
