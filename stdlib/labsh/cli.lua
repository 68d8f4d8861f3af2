-- labsh.cli: the contract every script keeps, in one place: declared
-- options and arguments with types, --help, usage errors and --format.
--
--   local opts = cli.parse({ ... }, {
--     name = "report",                       -- labsh -m report
--     summary = "the daily operations report",  -- one line, for --help
--                                            -- (default: the script's first comment sentence)
--     formats = { "text", "json" },          -- what --format it writes (default: text)
--     args = { { "NAME", "the job to run", required = true } },
--     params = {
--       { "--backups", "SOURCE", "backup runs or restic snapshots as JSON" },
--       { "--cert", "HOST:PORT", "a TLS endpoint, repeatable", multiple = true },
--       { "--count", "N", "how many", type = "count", default = 1 },
--       { "--verbose", nil, "a flag: no value" },
--     },
--     exit = "0 all ok, 1 a section is critical or failed, 2 usage",
--   })
--
-- opts.backups = "runs.json", opts.cert = {"127.0.0.1:8443"}, opts.count = 3,
-- opts.verbose = true (dashes become underscores), opts.name = "backup"
-- (an argument's key: its metavariable in lower case, or `key =`).
-- A script with subcommands declares `commands = { { "run", "run a job now",
-- args = {...}, params = {...} }, ... }` and gets opts.command (`hidden =
-- true`: accepted, not shown).
--
-- The contract (README, "Scripts"):
--   --help (or -h) prints the usage, led by the one-line summary, and exits 0;
--   a usage error (unknown option, missing or badly typed value, missing
--   required argument) prints ONE line naming the problem, then the usage,
--   on stderr and exits 2, never a traceback; a Monitoring Plugins check
--   (`check = "BACKUPS"`) prints "BACKUPS UNKNOWN: problem" on stdout and
--   exits 3 instead;
--   --format json, when declared, prints one JSON document on stdout and
--   nothing else there; a --format the script does not declare is refused
--   with exit 2 before it does anything.
--
-- labsh's global options (--dry-run, --yes, --emergency, --format,
-- --inventory, --timeout, --memory-limit) mean the same before and after
-- `-m NAME`: labsh takes them out of a script's arguments up to a `--`, and
-- leaves one it cannot read for parse to refuse. A script run from a file
-- takes --dry-run, --yes, --emergency and --format after its name here.
-- `--` ends the options (labsh leaves it in the arguments, as lua does):
-- every word after it is a positional argument, "--dry-run" included.

local cli = {}

--- Whether labsh has taken its global options out of the script's
--- arguments already: the script runs as `-m NAME`.
function cli.started_by_name()
  return type(arg) == "table" and arg[-1] == "-m"
end

-- The status of a usage error: 3 (UNKNOWN) for a check, else 2.
local function usage_status(decl) return decl.check and 3 or 2 end

--- Exits with status 2 (3 for a check), before the script does anything,
--- when a global option asks for what the script cannot do: --format
--- other than decl.formats (default {"text"}). decl.name names the script.
function cli.refuse_unsupported(decl)
  local formats = decl.formats or { "text" }
  local format = lab.options.format or "text"
  for _, f in ipairs(formats) do
    if f == format then return end
  end
  if decl.check then io.stdout:write(("%s UNKNOWN: --format %s is not supported\n"):format(decl.check, format)) end
  io.stderr:write(("labsh -m %s: --format %s is not supported (it writes %s)\n")
    :format(decl.name or "?", format, table.concat(formats, " or ")))
  os.exit(usage_status(decl), true)
end

----------------------------------------------------------------------------
-- Types: each turns the text of a value into the value, or answers nil and
-- what it expected.

local function integer(text) return math.tointeger(tonumber(text)) end

cli.types = {
  string = function(text) return text end,
  integer = function(text) return integer(text), "an integer" end,
  count = function(text)
    local n = integer(text)
    return n and n >= 1 and n or nil, "a whole number from 1"
  end,
  number = function(text) return tonumber(text), "a number" end,
  time = function(text)
    local ok, t = pcall(require("labsh.times").parse, text)
    return ok and t or nil, "a time (Unix seconds or RFC 3339)"
  end,
  duration = function(text)
    local ok, d = pcall(require("labsh.times").duration, text)
    return ok and d or nil, "a duration (30s, 15m, 2h, 7d)"
  end,
}

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

----------------------------------------------------------------------------
-- Usage: the texts live in labsh.cli_usage, loaded when one is shown
-- (--help, a usage error, the script list): a script that only parses its
-- arguments starts without them.

--- The first sentence of a script's first comment paragraph, its "NAME:"
--- left out: the description `labsh -m` lists (Sources/Shell/ScriptList).
function cli.describe(text, name) return require("labsh.cli_usage").describe(text, name) end

--- The usage text of a script's declaration: the usage line, the one-line
--- summary, commands, arguments, options, global options, exit status.
function cli.usage(decl) return require("labsh.cli_usage").usage(decl) end

--- A usage error: one line naming the problem and the usage on stderr
--- (a check's status line on stdout), exit 2 (3 for a check). What the
--- user typed may hold a newline or an escape sequence: shown escaped.
function cli.usage_error(decl, message)
  message = require("labsh.pretty").escape(message)
  if decl.check and cli.json() then  -- what --format json asked for: one JSON document
    io.stdout:write(lab.json.encode({ name = decl.check, status = "UNKNOWN", reason = message }, { sort_keys = true }), "\n")
  elseif decl.check then
    io.stdout:write(("%s UNKNOWN: %s\n"):format(decl.check, message))
  end
  io.stderr:write(("labsh -m %s: %s\n%s\n"):format(decl.name, message, cli.usage(decl)))
  io.stderr:flush()
  os.exit(usage_status(decl), true)
end

--- Prints the usage on stdout and exits 0.
function cli.help(decl)
  print(cli.usage(decl))
  os.exit(0, true)
end

----------------------------------------------------------------------------
-- Parsing

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

--- Parses `args` against the declaration and returns the options table;
--- --help and usage errors exit here (see the top of this file). Refuses
--- a --format the script does not write first.
function cli.parse(args, decl)
  cli.refuse_unsupported(decl)
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

--- Whether the output is JSON (--format json, before or after -m NAME).
function cli.json()
  return lab.options.format == "json"
end

return cli
