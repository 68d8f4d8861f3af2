---@meta
-- Declarations of `lab.cli`, the script contract, for editors (LuaLS) and
-- help() at the prompt. Every shipped script keeps it; a script of your own
-- gets the same habits with one call:
--
--   local opts = lab.cli.parse({ ... }, {
--     name = "nas-check", summary = "the NAS's disks, as a check",
--     formats = { "text", "json" },
--     args = { { "HOST", "the NAS", required = true } },
--     params = { { "--warn", "PERCENT", "warn above", type = "number", default = 80 } },
--     exit = "0 ok, 1 a disk is full, 2 usage",
--   })

---An option: `{ "--flag", "METAVAR" (nil: a flag without value), "help",
---type =, default =, required =, multiple =, choices =, convert = }`.
---Its value is `opts.flag` (dashes become underscores).
---@class lab.CliParam
---@field [1] string the option, "--name" or "-n"
---@field [2] string? what its value is, for the usage ("N", "FILE"); nil: a flag (true when given)
---@field [3] string? one line of help
---@field type "string"|"integer"|"count"|"number"|"time"|"duration"? how the value is read (default "string"); a value that is not one is a usage error
---@field choices string[]? the only values allowed
---@field convert fun(text: string): any? reads the value itself; an error or nil is a usage error
---@field default any? the value when not given
---@field required boolean? missing is a usage error
---@field multiple boolean? repeatable: the values in a list

---A positional argument: `{ "NAME", "help", key =, required =, multiple =,
---type =, choices = }`; its value is `opts[key]` (default: NAME in lower case).
---@class lab.CliArg
---@field [1] string
---@field [2] string?
---@field key string?
---@field required boolean?
---@field multiple boolean? takes the rest of the arguments, as a list
---@field type string?
---@field choices string[]?

---What a script takes and does.
---@class lab.CliDecl
---@field name string the name `labsh -m NAME` runs it under
---@field summary string? one line: what it does (the second line of --help)
---@field formats string[]? the --format values it writes ({"text"} by default); another is refused with exit 2
---@field params lab.CliParam[]?
---@field args lab.CliArg[]?
---@field commands {[1]: string, [2]: string?, params: lab.CliParam[]?, args: lab.CliArg[]?, hidden: boolean?}[]? subcommands: opts.command is the one given
---@field check string? a Monitoring Plugins check ("BACKUPS"): a usage error prints "BACKUPS UNKNOWN: ..." (under --format json {"name", "status": "UNKNOWN", "reason"}) and exits 3
---@field exit string? the exit status, stated in --help ("0 ok, 1 findings, 2 usage")
---@field notes string? more text at the end of --help

---The script contract (README, "Scripts"): declared options and arguments
---with types; --help prints the usage (led by the summary) and exits 0; a
---usage error prints one line naming the problem, then the usage, on stderr
---and exits 2 (3, UNKNOWN, for a check), never a traceback; --format json
---prints one JSON document on stdout.
lab.cli = {}

---Parses a script's arguments (`{ ... }`) against `decl` and returns the
---options; --help and usage errors exit here.
---@param args string[]
---@param decl lab.CliDecl
---@return table opts
function lab.cli.parse(args, decl) end

---Prints `message` as a usage error (one line, then the usage, on stderr)
---and exits 2, or 3 for a check.
---@param decl lab.CliDecl
---@param message string
function lab.cli.usage_error(decl, message) end

---The usage text --help prints.
---@param decl lab.CliDecl
---@return string
function lab.cli.usage(decl) end

---Prints the usage on stdout and exits 0.
---@param decl lab.CliDecl
function lab.cli.help(decl) end

---Exits 2 (3 for a check) when --format asks for what `decl.formats` does
---not hold; lab.cli.parse does it first.
---@param decl lab.CliDecl
function lab.cli.refuse_unsupported(decl) end

---Whether the output is JSON (--format json, before or after -m NAME).
---@return boolean
function lab.cli.json() end

---Whether the script runs as `labsh -m NAME` (labsh took its global
---options out of the arguments already).
---@return boolean
function lab.cli.started_by_name() end

---The description `labsh -m` lists and --help shows for a script that
---declares no summary: the first sentence of the text's first comment
---paragraph, "NAME:" left out (`-- nas-check: the NAS's disks, as a check.`).
---@param text string a script's text
---@param name string? its name
---@return string
function lab.cli.describe(text, name) end

---How each `type` reads a value: a function from the text to the value, or
---nil and what it expected. Add one of your own: `lab.cli.types.port =
---function(text) ... end`.
lab.cli.types = {}

---The text as it is.
---@param text string
---@return string
function lab.cli.types.string(text) end

---An integer ("-3", "10").
---@param text string
---@return integer? value
---@return string expected
function lab.cli.types.integer(text) end

---A whole number from 1 (counts, limits).
---@param text string
---@return integer? value
---@return string expected
function lab.cli.types.count(text) end

---Any number.
---@param text string
---@return number? value
---@return string expected
function lab.cli.types.number(text) end

---A time: Unix seconds or RFC 3339.
---@param text string
---@return number? seconds
---@return string expected
function lab.cli.types.time(text) end

---A duration: 30s, 15m, 2h, 7d.
---@param text string
---@return number? seconds
---@return string expected
function lab.cli.types.duration(text) end
