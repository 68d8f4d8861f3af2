-- labsh.complete: Tab completion for the REPL.
--
-- The host asks for candidates with the line up to the cursor and replaces
-- the trailing word (letters, digits, `_`, `.`, `:`) with the one chosen.
--
-- Completion runs on every Tab press, so it must be harmless: it never runs
-- user code and never loads a lazy module. It only reads raw fields (rawget,
-- next), reads metatables (getmetatable), and follows an __index only when
-- that is a plain table. It never calls tostring, pairs or an __index
-- function, any of which could run arbitrary code.

local complete = {}

local MAX_INDEX_CHAIN = 8  -- __index tables followed before giving up

local KEYWORDS = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
  "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
  "true", "until", "while",
}

local IS_KEYWORD = {}
for _, word in ipairs(KEYWORDS) do IS_KEYWORD[word] = true end

-- Captured at load so a user who rebinds `package` cannot change our sources.
local loaded_modules, preloaded_modules = package.loaded, package.preload

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

--- Replacements for the word being completed at the end of `line`, sorted.
--- env: the global table (default _G); modules: module names the host
--- embeds, offered after `require "`; declared: dotted names from the
--- declaration files, offered where the value itself is not loaded yet.
function complete.candidates(line, env, modules, declared)
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
