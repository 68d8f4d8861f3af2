-- labsh.complete: Tab completion for the REPL.
--
-- The host asks for candidates with the line up to the cursor and replaces
-- the trailing word (letters, digits, `_`, `.`, `:`) with the one chosen.
--
-- Completion runs on every Tab press, so it must be harmless. The rule:
-- it never evaluates anything the user typed and never calls a value the
-- user can reach (a function, __index, __pairs or __tostring of theirs
-- could do anything). It reads raw fields (rawget, next) and metatables
-- (getmetatable), follows an __index only when that is a plain table, and
-- reads the declarations (stdlib/meta). The one thing it calls is labsh's
-- own: the inventory (lab.inventory.current(), through the `require` it
-- captured at load), for the names inside `lab.node("`. A call's result
-- (`lab.node("pve1"):`) is never computed: its methods come from the type
-- the declaration says the function returns.

local complete = {}

local MAX_INDEX_CHAIN = 8  -- __index tables followed before giving up

local KEYWORDS = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
  "true", "until", "while",
}

local IS_KEYWORD = {}
for _, word in ipairs(KEYWORDS) do IS_KEYWORD[word] = true end

-- Captured at load so a user who rebinds `package` or `require` cannot
-- change our sources.
local loaded_modules, preloaded_modules = package.loaded, package.preload
local require_module = require

local function is_identifier(name)
  return type(name) == "string" and name:match("^[%a_][%w_]*$") ~= nil
     and not IS_KEYWORD[name]
end

local function starts_with(text, prefix)
  return text:sub(1, #prefix) == prefix
end

----------------------------------------------------------------------------
-- Looking at values without running anything

-- The metatable field `name`, read raw, or nil.
local function meta_field(value, name)
  local mt = getmetatable(value)
  if type(mt) ~= "table" then return nil end
  return rawget(mt, name)
end

-- The __index of a value when it is a plain table, else nil. Objects whose
-- __index is a function (fields computed by the host) list their methods in
-- the metatable's __methods table instead.
local function index_table(value)
  local index = meta_field(value, "__index")
  if type(index) == "table" then return index end
  local methods = meta_field(value, "__methods")
  if type(methods) == "table" then return methods end
  return nil
end

-- value[key] as Lua would find it through __index tables, but never through
-- an __index function: those may load modules or do I/O.
local function raw_lookup(value, key)
  for _ = 1, MAX_INDEX_CHAIN do
    if type(value) == "table" then
      local found = rawget(value, key)
      if found ~= nil then return found end
    end
    value = index_table(value)
    if value == nil then return nil end
  end
  return nil
end

-- The tables whose fields `value.x` can reach: itself, then its __index
-- tables.
local function field_sources(value)
  local sources = {}
  if type(value) == "table" then sources[1] = value end
  local index = index_table(value)
  while index and #sources < MAX_INDEX_CHAIN do
    sources[#sources + 1] = index
    index = index_table(index)
  end
  return sources
end

-- Names of lazily loaded submodules a table announces in its metatable's
-- __modules; we list them without indexing them, which would load them.
local function announced_modules(value)
  local names = meta_field(value, "__modules")
  if type(names) ~= "table" then return {} end
  local found, i = {}, 1
  while rawget(names, i) ~= nil do
    found[#found + 1] = rawget(names, i)
    i = i + 1
  end
  return found
end

----------------------------------------------------------------------------
-- Collecting candidates

-- A set of names that keeps only those matching the prefix; names with a
-- leading "__" (metamethods, internals) only when the prefix asks for them.
local function new_matches(prefix)
  local hide_internal = not starts_with(prefix, "__")
  local matches = { names = {} }
  function matches.add(name)
    if not is_identifier(name) or not starts_with(name, prefix) then return end
    if hide_internal and starts_with(name, "__") then return end
    matches.names[name] = true
  end
  return matches
end

-- Field names of `value`, all of them or (for `obj:m`) only functions.
local function add_fields(matches, value, functions_only)
  for _, source in ipairs(field_sources(value)) do
    for key, field in next, source do
      if not functions_only or type(field) == "function" then
        matches.add(key)
      end
    end
  end
end

local function sorted_with_head(names, head)
  local list = {}
  for name in next, names do list[#list + 1] = head .. name end
  table.sort(list)
  return list
end

-- Candidates for a word with no `.` or `:`: globals and keywords.
local function complete_global(word, env)
  local matches = new_matches(word)
  add_fields(matches, env, false)
  for _, keyword in ipairs(KEYWORDS) do
    if starts_with(keyword, word) then matches.names[keyword] = true end
  end
  return matches.names
end

-- Split "a.b.c:pre" into { "a", "b", "c" }, ":" and "pre"; nil if malformed
-- (an empty part, or a `:` before the last part).
local function split_path(word)
  local base, separator, prefix = word:match("^(.*)([%.:])([%w_]*)$")
  local parts = {}
  for part in (base .. "."):gmatch("([^%.]*)%.") do
    if not is_identifier(part) then return nil end
    parts[#parts + 1] = part
  end
  return parts, separator, prefix
end

-- Declared names (stdlib/meta) one level below `base`: they let
-- `lab.sys.<Tab>` offer pid, hostname... before the module has loaded.
local function add_declared(matches, declared, base, separator)
  local lead = base .. separator
  for _, full in ipairs(declared or {}) do
    if starts_with(full, lead) then
      local rest = full:sub(#lead + 1)
      if not rest:find("[%.:]") then matches.add(rest) end
    end
  end
end

-- Candidates for "a.b.pre" (fields) or "a.b:pre" (methods).
local function complete_path(word, env, declared)
  local parts, separator, prefix = split_path(word)
  if not parts then return {} end
  local matches = new_matches(prefix)
  add_declared(matches, declared, table.concat(parts, "."), separator)
  local value = env
  for _, part in ipairs(parts) do
    value = raw_lookup(value, part)
    if value == nil then return matches.names end
  end
  add_fields(matches, value, separator == ":")
  if separator == "." then
    for _, name in ipairs(announced_modules(value)) do matches.add(name) end
  end
  return matches.names
end

-- Candidates for the module name after `require "`.
local function complete_module(word, modules)
  local names = {}
  local function add(name)
    if type(name) == "string" and starts_with(name, word) then
      names[name] = true
    end
  end
  for _, name in ipairs(modules or {}) do add(name) end
  for name in next, loaded_modules do add(name) end
  for name in next, preloaded_modules do add(name) end
  return names
end

local function after_require(text)
  return text:match("%f[%w_]require%s*%(?%s*[\"']$") ~= nil
end

----------------------------------------------------------------------------
-- Names from the inventory, and methods of a call's declared result

-- The characters that end a word for readline (CLineEdit's
-- rl_completer_word_break_characters): it replaces what follows the last
-- of them, so a candidate for text that starts elsewhere is shifted.
local WORD_BREAK = "[ \t\n\"'`@$><=;|&{(),+%-*/%%^~#%[%]!]"

local function for_readline(line, start, list)
  local from = 1
  for i = #line, 1, -1 do
    if line:sub(i, i):match(WORD_BREAK) then from = i + 1 break end
  end
  local shifted = {}
  for i, candidate in ipairs(list) do
    if from <= start then
      shifted[i] = line:sub(from, start - 1) .. candidate
    else
      shifted[i] = candidate:sub(from - start + 1)
    end
  end
  return shifted
end

-- Which inventory list names the argument of lab.node("..."), and the
-- field that names its records. lab.vlan takes ids too, without quotes.
local NAMED_BY = {
  node = { "nodes", "name" }, guest = { "guests", "name" },
  vlan = { "vlans", "name", ids = "id" }, service = { "services", "name" },
}

local function inventory_lists()
  local ok, model = pcall(function() return require_module("lab.inventory").current() end)
  return ok and type(model) == "table" and model or nil
end

-- Candidates for the name being typed in `lab.node("pv`, or nil when the
-- line does not end inside such an argument.
local function complete_inventory_name(line)
  local func, quote, typed = line:match("%f[%w_]lab%.(%a+)%s*%(%s*([\"']?)([^\"']*)$")
  local named = func and NAMED_BY[func]
  if not named or (quote == "" and not named.ids) then return nil end
  if quote == "" and not typed:match("^%d*$") then return nil end
  local model = inventory_lists()
  local names = {}
  for _, record in ipairs(model and model[named[1]] or {}) do
    local name = quote == "" and record[named.ids] or record[named[2]]
    name = name ~= nil and tostring(name)
    if name and starts_with(name, typed) then names[#names + 1] = name end
  end
  table.sort(names)
  return for_readline(line, #line - #typed + 1, names)
end

-- The declared class a function returns: "lab.Node" for lab.node.
local function declared_result(declarations, func)
  local entry = declarations and declarations[func]
  local result = type(entry) == "table" and entry.returns and entry.returns[1]
  local class = result and declarations[result.type]
  if type(class) == "table" and class.is_type then return result.type end
  return nil
end

-- Candidates for `lab.node("pve1"):fr` (methods of the declared result) or
-- `lab.node("pve1").na` (its declared fields), or nil for other lines.
local function complete_call_result(line, declarations)
  local func, separator, prefix = line:match("([%a_][%w_%.]*)%s*%b()([:.])([%w_]*)$")
  local class = func and declared_result(declarations, func)
  if not class then return nil end
  local names = {}
  if separator == ":" then
    for _, member in ipairs(declarations.order) do
      local method = member:match("^" .. class:gsub("%p", "%%%0") .. ":([%w_]+)$")
      if method and starts_with(method, prefix) then names[#names + 1] = ":" .. method end
    end
  else
    for _, field in ipairs(declarations[class].fields or {}) do
      local name = field.name:gsub("%?$", "")
      if starts_with(name, prefix) then names[#names + 1] = "." .. name end
    end
  end
  table.sort(names)
  return for_readline(line, #line - #prefix, names)
end

--- Replacements for the word being completed at the end of `line`, sorted.
--- env: the global table (default _G); modules: module names the host
--- embeds, offered after `require "`; declared: dotted names from the
--- declaration files, offered where the value itself is not loaded yet;
--- declarations: the parsed files (labsh.help), for the methods of a
--- call's result. Inside `lab.node("`, `lab.guest("`, `lab.vlan(` and
--- `lab.service("` the inventory's names are offered.
function complete.candidates(line, env, modules, declared, declarations)
  local named = complete_inventory_name(line) or complete_call_result(line, declarations)
  if named then return named end
  env = env or _G
  local word = line:match("[%w_%.:]*$")
  local before = line:sub(1, #line - #word)
  if after_require(before) then
    return sorted_with_head(complete_module(word, modules), "")
  end

  -- In `a..b` only the part after the concatenation is a name.
  local head, name = word:match("^(.*%.%.)(.*)$")
  if not head then head, name = "", word end
  if name:find("[%.:]") then
    local path_head = name:match("^(.*[%.:])")
    return sorted_with_head(complete_path(name, env, declared), head .. path_head)
  end
  return sorted_with_head(complete_global(name, env), head)
end

return complete
