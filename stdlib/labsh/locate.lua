-- labsh.locate: the line of a key path such as `nodes[3].ram` in the text of
-- an inventory file, found by reading its table constructors. Used only to
-- point an error at its line: a path it cannot follow gives nil.

local locate = {}

-- The tokens that shape tables, each { kind, value, line }. Comments are
-- skipped; strings become one "string" token; anything else is "other".
local function tokenize(text)
  local tokens, i, line = {}, 1, 1
  local function add(kind, value) tokens[#tokens + 1] = { kind = kind, value = value, line = line } end
  while i <= #text do
    local c = text:sub(i, i)
    if c == "\n" then
      line, i = line + 1, i + 1
    elseif c:match("%s") then
      i = i + 1
    elseif text:sub(i, i + 1) == "--" then
      local long = text:match("^%-%-%[(=*)%[", i)
      if long then  -- a long comment: count the lines it spans
        local _, stop = text:find("]" .. long .. "]", i, true)
        stop = stop or #text
        for _ in text:sub(i, stop):gmatch("\n") do line = line + 1 end
        i = stop + 1
      else  -- to the end of the line; the newline is counted above
        i = text:find("\n", i) or #text + 1
      end
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= #text and text:sub(j, j) ~= c do
        if text:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      add("string", text:sub(i + 1, j - 1))
      i = j + 1
    elseif text:match("^%[=*%[", i) then
      local level = text:match("^%[(=*)%[", i)
      local _, stop = text:find("]" .. level .. "]", i, true)
      stop = stop or #text
      local body = text:sub(i, stop)
      add("string", body)
      for _ in body:gmatch("\n") do line = line + 1 end
      i = stop + 1
    elseif c:match("[%a_]") then
      local name = text:match("^[%w_]+", i)
      add("name", name)
      i = i + #name
    elseif c:match("%d") then
      local number = text:match("^[%w%.]+", i)
      add("number", number)
      i = i + #number
    elseif c == "=" and text:sub(i + 1, i + 1) == "=" then
      add("other", "==")
      i = i + 2
    elseif c:match("[{}%[%]=,;()]") then
      add(c, c)
      i = i + 1
    else
      add("other", c)
      i = i + 1
    end
  end
  return tokens
end

--- A map from key paths ("nodes[3].ram", "nodes[3]") to line numbers, for
--- the table the file returns.
function locate.lines(text)
  local tokens = tokenize(text)
  local lines = {}
  local i = 1

  -- Skips an expression that is not a table constructor: up to the `,`, `;`
  -- or `}` that ends it at depth 0.
  local function skip_value()
    local depth = 0
    while tokens[i] do
      local k = tokens[i].kind
      if depth == 0 and (k == "," or k == ";" or k == "}") then return end
      if k == "{" or k == "(" or k == "[" then depth = depth + 1 end
      if k == "}" or k == ")" or k == "]" then depth = depth - 1 end
      i = i + 1
    end
  end

  local read_table
  local function read_value(path)
    local t = tokens[i]
    if t and t.kind == "{" then
      lines[path] = lines[path] or t.line
      read_table(path)
    else
      skip_value()
    end
  end

  function read_table(path)
    i = i + 1  -- past "{"
    local position = 0
    while tokens[i] and tokens[i].kind ~= "}" do
      local t, after = tokens[i], tokens[i + 1]
      local key
      if t.kind == "name" and after and after.kind == "=" then
        key, i = "." .. t.value, i + 2
      elseif t.kind == "[" and tokens[i + 2] and tokens[i + 2].kind == "]" then
        key, i = "." .. tokens[i + 1].value, i + 4
      else
        position = position + 1
        key = "[" .. position .. "]"
      end
      local field = (path .. key):gsub("^%.", "")
      lines[field] = t.line
      read_value(field)
      if tokens[i] and (tokens[i].kind == "," or tokens[i].kind == ";") then i = i + 1 end
    end
    i = i + 1  -- past "}"
  end

  while tokens[i] and not (tokens[i].kind == "name" and tokens[i].value == "return") do i = i + 1 end
  i = i + 1
  if tokens[i] and tokens[i].kind == "{" then read_table("") end
  return lines
end

--- The line of `path`, or of the nearest enclosing path that has one.
function locate.line(lines, path)
  while path and path ~= "" do
    if lines[path] then return lines[path] end
    path = path:match("^(.*)[%.%[][^%.%[]*$")
  end
  return nil
end

return locate
