-- labsh.help: `help(x)` at the prompt, read from the LuaLS declarations.
--
-- Every binding is declared in stdlib/meta/*.d.lua for editors; reading the
-- same text here means the REPL and the editor can never disagree. We parse
-- only the subset those files use:
--
--   ---Description line(s).
--   ---@param name type description
--   ---@return type [name] [description]
--   ---@type type
--   function lab.sys.pid() end         (also `lab.x = function(a) end`)
--   lab.version = ""                   (any `dotted.name = value`)
--   ---@class Name : Parent            (with ---@field name type description)
--
-- Other annotations (@meta, @overload, @see...) are skipped.

local help = {}

local MAX_FIND_DEPTH = 4  -- find_name looks this many fields below the root

local function trim(text)
  return (text:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Words after which a period does not end a sentence.
local ABBREVIATIONS = { ["e.g"] = true, ["i.e"] = true, etc = true, vs = true }

--- The first sentence of a description, whole even when the declaration
--- spreads it over several lines; the first paragraph when no sentence
--- ends in it.
function help.first_sentence(text)
  local paragraph = (text:match("^(.-)\n%s*\n") or text):gsub("%s*\n%s*", " ")
  local from = 1
  while true do
    local stop = paragraph:find("[%.%?!]%s", from)
    if not stop then return paragraph end
    local word = paragraph:sub(1, stop - 1):match("([%w%.]+)$")
    if not ABBREVIATIONS[word] then return paragraph:sub(1, stop) end
    from = stop + 1
  end
end

-- Words of `text` in lines of at most `width` columns (a longer word
-- stands alone on its line).
local function wrapped(text, width)
  local lines, line = {}, ""
  for word in text:gmatch("%S+") do
    if line ~= "" and utf8.len(line) + 1 + (utf8.len(word) or #word) > width then
      lines[#lines + 1] = line
      line = word
    else
      line = line == "" and word or line .. " " .. word
    end
  end
  lines[#lines + 1] = line
  return lines
end

----------------------------------------------------------------------------
-- Parsing annotations

-- Split "table<string, integer> rest" into the type and the rest: a type may
-- hold spaces inside brackets, so whitespace ends it only at depth 0.
local function split_type(text)
  local depth = 0
  for i = 1, #text do
    local char = text:sub(i, i)
    if char:match("[%(%[{<]") then
      depth = depth + 1
    elseif char:match("[%)%]}>]") then
      depth = depth - 1
    elseif char:match("%s") and depth <= 0 then
      return text:sub(1, i - 1), trim(text:sub(i))
    end
  end
  return text, ""
end

-- LuaLS lets a description start with "#".
local function description(text)
  return (text:gsub("^#%s*", ""))
end

-- "name type description", the shape of @param and @field.
local function named_type(text)
  local name, rest = text:match("^(%S+)%s*(.*)$")
  if not name then return nil end
  local kind, desc = split_type(rest)
  return { name = name, type = kind, desc = description(desc) }
end

-- "type [name] [description]" or "type # description", the shape of @return.
local function returned_type(text)
  local kind, rest = split_type(text)
  local name, desc = "", rest
  if not rest:match("^#") then
    name, desc = rest:match("^(%S*)%s*(.*)$")
  end
  return { type = kind, name = name, desc = description(desc) }
end

local function add_to(list, item)
  if item then list[#list + 1] = item end
end

local ANNOTATIONS = {
  param = function(block, text) add_to(block.params, named_type(text)) end,
  field = function(block, text) add_to(block.fields, named_type(text)) end,
  ["return"] = function(block, text) add_to(block.returns, returned_type(text)) end,
  type = function(block, text) block.type = split_type(text) end,
  class = function(block, text)
    block.class = text:match("^[%w_%.]+")
    block.parent = text:match("^[%w_%.]+%s*:%s*([%w_%.]+)")
  end,
}

local function new_block()
  return { doc = {}, params = {}, returns = {}, fields = {} }
end

-- Add one `---` line to the doc block being collected.
local function add_doc_line(block, text)
  local tag, rest = text:match("^@(%w+)%s*(.*)$")
  if tag then
    local handle = ANNOTATIONS[tag]
    if handle then handle(block, trim(rest)) end
  else
    block.doc[#block.doc + 1] = (text:gsub("^ ", ""))
  end
end

-- The description, without blank lines around it.
local function doc_text(block)
  local text = table.concat(block.doc, "\n")
  return (text:gsub("^%s*\n", ""):gsub("\n%s*$", ""))
end

----------------------------------------------------------------------------
-- Parsing declarations

-- The type a literal value declares, for `lab.version = ""` without @type.
local function literal_type(value)
  if value:match("^[\"']") or value:match("^%[=*%[") then return "string" end
  if value == "true" or value == "false" then return "boolean" end
  if value:match("^%-?%.?%d") then
    return value:match("^%-?%d+$") and "integer" or "number"
  end
  return nil
end

-- { name = , args = } for a function, { name = , type = } for a value, or
-- nil when the line declares nothing global.
local function parse_declaration(line)
  local name, args = line:match("^function%s+([%a_][%w_%.:]*)%s*%((.-)%)")
  if not name then
    name, args = line:match("^([%a_][%w_%.]*)%s*=%s*function%s*%((.-)%)")
  end
  if name then
    return { name = name, args = (trim(args):gsub("%s*,%s*", ", ")) }
  end
  local value
  name, value = line:match("^([%a_][%w_%.]*)%s*=%s*(.-)%s*$")
  if name then
    return { name = name, type = literal_type(value) }
  end
  return nil
end

local function signature(declaration, block)
  if declaration.args then
    return declaration.name .. "(" .. declaration.args .. ")"
  end
  local kind = block.type or declaration.type
  if kind then return declaration.name .. ": " .. kind end
  return declaration.name
end

local function make_entry(name, sig, block)
  return {
    name = name, signature = sig, doc = doc_text(block),
    params = block.params, returns = block.returns, fields = block.fields,
  }
end

-- A class is a type, not a value: `lab.Node` is what lab.node() returns,
-- and there is no lab.Node to call or index.
local function class_entry(block)
  local sig = "class " .. block.class
  if block.parent then sig = sig .. " : " .. block.parent end
  local entry = make_entry(block.class, sig, block)
  entry.is_type = true
  return entry
end

-- `local Node = {}` under `---@class lab.Node` makes `Node` stand for the
-- class, so `function Node:start()` is documented as `lab.Node:start`.
local function class_alias(line, block)
  local variable = block.class and line:match("^local%s+([%a_][%w_]*)%s*=")
  return variable, block.class
end

local function resolve_alias(name, aliases)
  local head, rest = name:match("^([%a_][%w_]*)(.*)$")
  local class = aliases[head]
  return class and class .. rest or name
end

--- Parse declaration text into { [name] = entry, order = { names... },
--- values = { names... } }: `values` leaves out the types (classes) and
--- their methods, which are no fields of `lab`. An entry is { name,
--- signature, doc, params, returns, fields, is_type }.
function help.parse(text)
  local decls, block, aliases = { order = {}, values = {} }, new_block(), {}
  local types = {}
  local function add(entry)
    if decls[entry.name] == nil then
      decls.order[#decls.order + 1] = entry.name
      if entry.is_type then types[entry.name] = true end
      local owner = entry.name:match("^(.-)[:.][%w_]+$")
      if not entry.is_type and not types[owner or ""] and not entry.name:find(":", 1, true) then
        decls.values[#decls.values + 1] = entry.name
      end
    end
    decls[entry.name] = entry
  end

  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    local doc = line:match("^%-%-%-(.*)$")
    if doc and not doc:match("^%-") then
      add_doc_line(block, doc)
    else
      -- Any other line ends the doc block: it belongs to this line or to
      -- nothing, as in LuaLS.
      if block.class then add(class_entry(block)) end
      local variable, class = class_alias(line, block)
      if variable then aliases[variable] = class end
      local declaration = parse_declaration(line)
      if declaration then
        declaration.name = resolve_alias(declaration.name, aliases)
        add(make_entry(declaration.name, signature(declaration, block), block))
      end
      block = new_block()
    end
  end
  if block.class then add(class_entry(block)) end
  return decls
end

----------------------------------------------------------------------------
-- Rendering

-- Rows of cells as aligned lines; columns empty in every row are dropped.
local function aligned(rows, indent)
  local widths = {}
  for _, row in ipairs(rows) do
    for c, cell in ipairs(row) do
      widths[c] = math.max(widths[c] or 0, utf8.len(cell) or #cell)
    end
  end
  local lines = {}
  for r, row in ipairs(rows) do
    local cells = {}
    for c, cell in ipairs(row) do
      if widths[c] > 0 then
        local width = utf8.len(cell) or #cell
        cells[#cells + 1] = cell .. (" "):rep(widths[c] - width)
      end
    end
    lines[r] = (indent .. table.concat(cells, "  ")):gsub("%s+$", "")
  end
  return table.concat(lines, "\n")
end

local function section(title, items, row_of)
  if #items == 0 then return nil end
  local rows = {}
  for i, item in ipairs(items) do rows[i] = row_of(item) end
  return title .. "\n" .. aligned(rows, "  ")
end

local function param_row(p) return { p.name, p.type, p.desc } end
local function return_row(r) return { r.type, r.name, r.desc } end

--- Human text for one entry: signature, description, parameters, returns.
function help.render(entry)
  local parts = { entry.signature }
  local function add(text)
    if text and text ~= "" then parts[#parts + 1] = text end
  end
  add(entry.doc)
  add(section("Parameters:", entry.params or {}, param_row))
  add(section("Returns:", entry.returns or {}, return_row))
  add(section("Fields:", entry.fields or {}, param_row))
  return table.concat(parts, "\n\n")
end

----------------------------------------------------------------------------
-- Finding what a value is called

local function sorted_name_keys(t)
  local keys = {}
  for key in next, t do
    if type(key) == "string" and key:match("^[%a_][%w_]*$") then
      keys[#keys + 1] = key
    end
  end
  table.sort(keys)
  return keys
end

--- The dotted name of `value` inside table `root` (called `rootname`), or
--- nil. Only fields already present are searched, breadth first so the
--- shortest name wins; nothing lazy is loaded and no metamethod runs.
function help.find_name(value, root, rootname)
  if rawequal(value, root) then return rootname end
  local queue, seen = { { t = root, path = rootname, depth = 0 } }, { [root] = true }
  local first = 1
  while queue[first] do
    local item = queue[first]
    first = first + 1
    for _, key in ipairs(sorted_name_keys(item.t)) do
      local field, path = rawget(item.t, key), item.path .. "." .. key
      if rawequal(field, value) then return path end
      if type(field) == "table" and not seen[field]
         and item.depth + 1 < MAX_FIND_DEPTH then
        seen[field] = true
        queue[#queue + 1] = { t = field, path = path, depth = item.depth + 1 }
      end
    end
  end
  return nil
end

----------------------------------------------------------------------------
-- help(x)

local function lookup(decls, name)
  local entry = decls[name]
  if type(entry) == "table" and entry.name == name then return entry end
  return nil
end

-- Whether `member` sits directly below `name`: "lab.sys" below "lab",
-- "Node:start" below "Node", but not "lab.sys.pid" below "lab".
local function is_member(member, name)
  local separator, rest = member:sub(#name + 1, #name + 1), member:sub(#name + 2)
  return member:sub(1, #name) == name and (separator == "." or separator == ":")
     and rest:match("^[%w_]+$") ~= nil
end

-- Rows {name, sentence} as lines: names aligned, each sentence wrapped
-- to the terminal's width beside its name.
local function described(rows, indent)
  local name_width = 0
  for _, row in ipairs(rows) do name_width = math.max(name_width, #row[1]) end
  local text_width = math.max(30, require("labsh.pretty").terminal_width() - #indent - name_width - 2)
  local lines = {}
  for _, row in ipairs(rows) do
    local pad = (" "):rep(name_width - #row[1])
    for i, line in ipairs(wrapped(row[2], text_width)) do
      local head = i == 1 and row[1] .. pad or (" "):rep(name_width)
      lines[#lines + 1] = ((indent .. head .. "  " .. line):gsub("%s+$", ""))
    end
  end
  return table.concat(lines, "\n")
end

-- Members directly below `name`, with the first sentence of each; `which`
-- picks them ("types" or "values"; nil: all).
local function member_rows(decls, name, which)
  local rows = {}
  for _, member in ipairs(decls.order) do
    local entry = lookup(decls, member)
    local wanted = which == nil or (which == "types") == (entry.is_type == true)
    if wanted and is_member(member, name) then
      rows[#rows + 1] = { member, help.first_sentence(entry.doc) }
    end
  end
  return rows
end

local function describe(decls, name)
  local entry = lookup(decls, name)
  if not entry then return nil end
  local text = help.render(entry)
  local rows = member_rows(decls, name)
  if #rows > 0 then text = text .. "\n\nMembers:\n" .. described(rows, "  ") end
  return text
end

local function overview(decls, rootname)
  local parts = {}
  local root = lookup(decls, rootname)
  if root and root.doc ~= "" then parts[#parts + 1] = help.first_sentence(root.doc) end
  local rows = member_rows(decls, rootname, "values")
  if #rows > 0 then parts[#parts + 1] = described(rows, "  ") end
  local types = member_rows(decls, rootname, "types")
  if #types > 0 then
    parts[#parts + 1] = ('Types (what functions take and return; help("%s") describes one):\n')
      :format(types[1][1]) .. described(types, "  ")
  end
  parts[#parts + 1] = ('help(%s.x) or help("%s.x.y") describes one entry.')
    :format(rootname, rootname)
  return table.concat(parts, "\n\n")
end

-- The class a userdata or object says it is, read raw from its metatable.
local function class_name(value)
  local mt = getmetatable(value)
  local name = type(mt) == "table" and rawget(mt, "__name")
  return type(name) == "string" and name or nil
end

-- The name of labsh's own module that `value` is (labsh.script is a
-- function), as `labsh.NAME` reaches it.
local function module_name(value)
  for name, module in pairs(package.loaded) do
    if module == value and name:match("^labsh%.") then return name end
  end
end

local function no_help(what)
  return ("no help for %s; help() lists what is documented"):format(what)
end

--- Help text for `x`: nil gives an overview, a string is looked up as a
--- name ("lab.sys.pid"), any other value is found by identity under `root`
--- (default: the global `lab`, named `rootname`, default "lab").
function help.help(x, decls, root, rootname)
  decls = decls or { order = {} }
  rootname = rootname or "lab"
  if root == nil then root = rawget(_G, rootname) end
  if x == nil then return overview(decls, rootname) end
  if type(x) == "string" then return describe(decls, x) or no_help(x) end

  local name = type(root) == "table" and help.find_name(x, root, rootname) or nil
  name = name or class_name(x) or module_name(x)
  return name and describe(decls, name)
      or no_help(name or ("this " .. type(x) .. " value"))
end

----------------------------------------------------------------------------
-- The declarations labsh carries, for help() anywhere

local parsed

--- The declarations of stdlib/meta/*.d.lua that this labsh embeds,
--- parsed once.
function help.declarations()
  if not parsed then
    local host, texts = require("labsh.host"), {}
    for _, path in ipairs(host.embedded_paths()) do
      if path:match("^stdlib/meta/.*%.d%.lua$") then texts[#texts + 1] = host.embedded(path) end
    end
    parsed = help.parse(table.concat(texts, "\n"))
  end
  return parsed
end

--- help(x) as a global: prints the help for x (see help.help) to stdout.
--- labsh defines it in every state, at the prompt and in scripts alike.
function help.show(x)
  io.stdout:write(help.help(x, help.declarations()), "\n")
end

return help
