-- labsh.template: text with Lua in it, for config files a playbook writes.
--
--   {{ expression }}   the value of a Lua expression (tostring; nil is "")
--   {% statements %}   Lua statements around text: loops and conditions;
--                      the newline right after the tag is dropped
--
--   {% for _, node in ipairs(lab.nodes()) do %}
--   {{ node.address }} {{ node.name }}.{{ inventory.site.domain }} {{ node.name }}
--   {% end %}
--
-- Names are looked up in the scope the caller gives (a playbook: its vars,
-- `host`, `inventory`), then among Lua's pure libraries and `lab`.

local template = {}

local base = {
  string = string, table = table, math = math, utf8 = utf8,
  ipairs = ipairs, pairs = pairs, next = next, select = select,
  tostring = tostring, tonumber = tonumber, type = type,
}

-- The template as a Lua chunk that appends to `_out`, line for line, so
-- that an error's line number is the template's.
local function compile(text)
  local code, at = { "local _out = ... " }, 1
  local function literal(s)
    if s ~= "" then code[#code + 1] = ("_out[#_out + 1] = %q; "):format(s) end
  end
  while true do
    local open, tag = text:match("(){([{%%])", at)
    if not open then break end
    literal(text:sub(at, open - 1))
    local close = tag == "{" and "}}" or "%}"
    local stop = text:find(close, open + 2, true)
    if not stop then
      local line = select(2, text:sub(1, open):gsub("\n", "")) + 1
      error(("line %d: '{%s' is not closed by '%s'"):format(line, tag, close), 0)
    end
    local inner = text:sub(open + 2, stop - 1)
    if tag == "{" then
      code[#code + 1] = ("do local _v = (%s) if _v ~= nil then _out[#_out + 1] = tostring(_v) end end ")
        :format(inner)
    else
      code[#code + 1] = inner
    end
    at = stop + 2
    if tag == "%" and text:sub(at, at) == "\n" then
      at = at + 1
      code[#code + 1] = "\n"  -- the dropped newline, for the line count
    else
      code[#code + 1] = " "
    end
  end
  literal(text:sub(at))
  return table.concat(code)
end

--- Renders `text` with the names in `scope`; `name` labels errors
--- ("templates/hosts.tmpl"). Errors say the template and what failed.
function template.render(text, scope, name)
  name = name or "template"
  local ok, code = pcall(compile, text)
  if not ok then error(("%s: %s"):format(name, code), 0) end
  local env = setmetatable({}, {
    __index = function(_, key)
      local value = scope and scope[key]
      if value ~= nil then return value end
      if key == "lab" then return lab end
      return base[key]
    end,
  })
  local chunk, why = load(code, "=" .. name, "t", env)
  if not chunk then error(why, 0) end
  local out = {}
  local done, err = pcall(chunk, out)
  if not done then error(tostring(err), 0) end
  return table.concat(out)
end

return template
