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
-- Parsing: the parser lives in labsh.cli_parse, loaded when there is
-- something to read: a script run without arguments that declares none
-- starts without it.

--- Parses `args` against the declaration and returns the options table;
--- --help and usage errors exit here (see the top of this file). Refuses
--- a --format the script does not write first.
function cli.parse(args, decl)
  cli.refuse_unsupported(decl)
  if #args == 0 and not (decl.params or decl.args or decl.commands) then return {} end
  return require("labsh.cli_parse")(args, decl)
end

--- Whether the output is JSON (--format json, before or after -m NAME).
function cli.json()
  return lab.options.format == "json"
end

return cli
