-- labsh.cli_parse: the parser of the script contract (labsh.cli, whose
-- head says what it reads and how it answers). labsh.cli loads it when
-- there is something to read: a script run without arguments that declares
-- none starts without it. Called as cli.parse(args, decl), which refuses
-- a --format the script does not write first.

local cli = require "labsh.cli"

-- "--backup-dir" -> "backup_dir", "HOST:PORT" -> "host_port"
local function key(word) return (word:gsub("^%-+", ""):lower():gsub("[^%w]+", "_")) end

local function arg_key(a) return a.key or key(a[1]) end

--- The text of `text` for `what` ("--count", "NAME") of type `spec.type`
--- (or spec.convert, spec.choices); nil and the problem when it is not one.
local function converted(spec, what, text)
  if spec.choices then
    for _, c in ipairs(spec.choices) do
      if c == text then return text end
    end
    return nil, ("%s must be %s, not '%s'"):format(what, table.concat(spec.choices, ", "), text)
  end
  if spec.convert then
    local ok, value = pcall(spec.convert, text)
    if ok and value ~= nil then return value end
    return nil, ("bad value for %s: '%s'%s"):format(what, text,
      ok and "" or (": " .. tostring(value):gsub("^[^\n]-:%d+: ", ""):match("^[^\n]*")))
  end
  local value, expected = cli.types[spec.type or "string"](text)
  if value == nil then return nil, ("%s must be %s, not '%s'"):format(what, expected, text) end
  return value
end

-- labsh's change options, which a script run from a file (not `-m NAME`)
-- takes after its name as labsh takes them before it.
local own_options = { ["--dry-run"] = "dry_run", ["--yes"] = "yes", ["--emergency"] = "emergency" }

-- labsh's options that take a value. After -m NAME one reaches a script
-- only when labsh could not read it (no value, or a bad one): it is a usage
-- error of the script, exit 2 (3 for a check), not labsh's exit 1.
local global_values = { ["--format"] = "text|json|html", ["--inventory"] = "FILE", ["--timeout"] = "SECONDS",
                        ["--memory-limit"] = "SIZE" }
local formats = { text = true, json = true, html = true }

-- A global option with a value that is not the script's own: refused with
-- what is wrong; --format from a script run as a file is taken, as labsh
-- takes it before the name. Returns the index of the next argument.
local function global_option(decl, flag, inline, args, i)
  local text = inline or args[i]
  if text == nil then cli.usage_error(decl, ("%s needs %s"):format(flag, global_values[flag])) end
  if flag == "--format" and not formats[text] then
    cli.usage_error(decl, ("--format must be text, json or html, not '%s'"):format(text))
  end
  if flag == "--format" and not cli.started_by_name() then
    lab.options.format = text
    cli.refuse_unsupported(decl)
    return inline and i or i + 1
  end
  if cli.started_by_name() then cli.usage_error(decl, ("bad value for %s: '%s'"):format(flag, text)) end
  cli.usage_error(decl, ("%s is labsh's own: give it before the script's name"):format(flag))
end

local function find_command(decl, word)
  for _, c in ipairs(decl.commands) do
    if c[1] == word then return c end
  end
end

local function command_names(decl)
  local names = {}
  for _, c in ipairs(decl.commands) do
    if not c.hidden then names[#names + 1] = c[1] end
  end
  return table.concat(names, ", ")
end

--- Parses `args` against the declaration `decl` and returns the options
--- table; --help and usage errors exit here (labsh.cli says how).
return function(args, decl)
  for _, a in ipairs(args) do
    if a == "--" then break end
    if a == "--help" or a == "-h" then cli.help(decl) end
  end
  local lift = not cli.started_by_name()
  local opts, positional = {}, {}
  local by_flag, params = {}, {}
  local function declare(list)
    for _, p in ipairs(list or {}) do
      by_flag[p[1]] = p
      params[#params + 1] = p
      if p.multiple then opts[key(p[1])] = {} end
      if p.default ~= nil then opts[key(p[1])] = p.default end
    end
  end
  declare(decl.params)
  local wanted = decl.args or {}  -- the positional arguments
  local i, only_words = 1, false
  if decl.commands then
    local word = args[1]
    if word == nil then cli.usage_error(decl, "which command? " .. command_names(decl)) end
    local command = find_command(decl, word)
    if not command then
      cli.usage_error(decl, ("unknown command '%s' (commands: %s)"):format(word, command_names(decl)))
    end
    opts.command = word
    declare(command.params)
    wanted = command.args or {}
    i = 2
  end
  while i <= #args do
    local a = args[i]
    i = i + 1
    if a == "--" and not only_words then
      lift, only_words = false, true  -- after it: "--yes" is not consent
    elseif lift and own_options[a] and not only_words then
      lab.options[own_options[a]] = true
    elseif a:match("^%-.") and not only_words and not tonumber(a) then
      local flag, inline = a:match("^(%-%-?[%w][%w%-]*)=(.*)$")
      flag = flag or a
      local p = by_flag[flag]
      if not p and global_values[flag] then
        i = global_option(decl, flag, inline, args, i)
        goto next_argument
      end
      if not p then cli.usage_error(decl, ("unknown option '%s'"):format(flag)) end
      local value = true
      if p[2] then
        local text = inline or args[i]
        if text == nil then cli.usage_error(decl, ("%s needs %s"):format(flag, p[2])) end
        if not inline then i = i + 1 end
        local problem
        value, problem = converted(p, flag, text)
        if value == nil then cli.usage_error(decl, problem) end
      elseif inline then
        cli.usage_error(decl, ("%s takes no value"):format(flag))
      end
      if p.multiple then table.insert(opts[key(flag)], value) else opts[key(flag)] = value end
    else
      positional[#positional + 1] = a
    end
    ::next_argument::
  end
  -- positional arguments, in their declared order; the last may take the rest
  local n = 1
  for _, spec in ipairs(wanted) do
    local k = arg_key(spec)
    if spec.multiple then
      opts[k] = {}
      while positional[n] do
        local value, problem = converted(spec, spec[1], positional[n])
        if value == nil then cli.usage_error(decl, problem) end
        opts[k][#opts[k] + 1] = value
        n = n + 1
      end
    elseif positional[n] then
      local value, problem = converted(spec, spec[1], positional[n])
      if value == nil then cli.usage_error(decl, problem) end
      opts[k] = value
      n = n + 1
    end
    if spec.required and (opts[k] == nil or (spec.multiple and #opts[k] == 0)) then
      cli.usage_error(decl, ("missing %s: %s"):format(spec[1], spec[2] or "required"))
    end
  end
  if positional[n] then cli.usage_error(decl, ("unexpected argument '%s'"):format(positional[n])) end
  for _, p in ipairs(params) do
    if p.required and opts[key(p[1])] == nil then
      cli.usage_error(decl, ("%s is required (%s)"):format(p[1], p[3] or p[2] or ""))
    end
  end
  return opts
end
