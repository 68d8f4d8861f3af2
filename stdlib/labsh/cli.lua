-- labsh.cli: the declared parameters of a shipped script, its --help text
-- and the parsing of its arguments, in one place.
--
--   local opts = cli.parse({ ... }, {
--     name = "report", summary = "the daily operations report",
--     formats = { "text", "json" },  -- what --format it writes (default: text)
--     params = {
--       { "--backups", "SOURCE", "backup runs or restic snapshots as JSON" },
--       { "--cert", "HOST:PORT", "a TLS endpoint, repeatable", multiple = true },
--       { "--verbose", nil, "a flag: no value" },
--     },
--   })
--
-- opts.backups = "runs.json", opts.cert = {"127.0.0.1:8443"}, opts.verbose
-- = true (dashes become underscores). --help prints the usage and exits 0;
-- an unknown or incomplete argument raises an error naming it, with the usage.
--
-- labsh's global options (--dry-run, --yes, --emergency, --format,
-- --inventory) mean the same before and after `-m NAME`: labsh takes them
-- out of a script's arguments up to a `--`. A script that cannot honour one
-- refuses it with exit 2 before doing anything (cli.refuse_unsupported).

local cli = {}

--- Whether labsh has taken its global options out of the script's
--- arguments already: the script runs as `-m NAME`.
function cli.started_by_name()
  return type(arg) == "table" and arg[-1] == "-m"
end

--- Exits with status 2, before the script does anything, when a global
--- option asks for what the script cannot do: --format other than
--- decl.formats (default {"text"}). decl.name names the script.
function cli.refuse_unsupported(decl)
  local formats = decl.formats or { "text" }
  local format = lab.options.format or "text"
  for _, f in ipairs(formats) do
    if f == format then return end
  end
  io.stderr:write(("labsh -m %s: --format %s is not supported (it writes %s)\n")
    :format(decl.name or "?", format, table.concat(formats, " or ")))
  os.exit(2)
end

local function key(flag) return (flag:gsub("^%-+", ""):gsub("%-", "_")) end

--- The usage text of a script's declaration.
function cli.usage(decl)
  local formats = decl.formats or { "text" }
  local lines = { ("usage: labsh%s -m %s [options]"):format(
    #formats > 1 and (" [--format %s]"):format(table.concat(formats, "|")) or "", decl.name) }
  if decl.summary then lines[#lines + 1] = "  " .. decl.summary end
  for _, p in ipairs(decl.params or {}) do
    local left = p[2] and (p[1] .. " " .. p[2]) or p[1]
    lines[#lines + 1] = ("  %-22s %s"):format(left, p[3] or "")
  end
  if decl.notes then lines[#lines + 1] = decl.notes end
  return table.concat(lines, "\n")
end

-- labsh's change options, which a script run from a file (not `-m NAME`)
-- takes after its name as labsh takes them before it.
local own_options = { ["--dry-run"] = "dry_run", ["--yes"] = "yes", ["--emergency"] = "emergency" }

--- Parses `args` against the declaration; returns the options table.
--- Refuses a --format the script does not write first (exit 2).
function cli.parse(args, decl)
  cli.refuse_unsupported(decl)
  local lift = not cli.started_by_name()
  local by_flag, opts = {}, {}
  for _, p in ipairs(decl.params or {}) do
    by_flag[p[1]] = p
    if p.multiple then opts[key(p[1])] = {} end
    if p.default ~= nil then opts[key(p[1])] = p.default end
  end
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--help" or a == "-h" then
      print(cli.usage(decl))
      os.exit(0)
    end
    -- `--` ends labsh's options: "--yes" after it is not consent
    if a == "--" and lift then
      lift = false
      i = i + 1
      goto continue
    end
    local own = lift and own_options[a]
    if own then
      lab.options[own] = true
      i = i + 1
      goto continue
    end
    local flag, inline = a:match("^(%-%-?[%w%-]+)=(.*)$")
    flag = flag or a
    local p = by_flag[flag]
    if not p then error(("unexpected argument '%s'\n%s"):format(a, cli.usage(decl)), 0) end
    local value = true
    if p[2] then
      value = inline or args[i + 1]
      if value == nil then error(("%s needs %s\n%s"):format(flag, p[2], cli.usage(decl)), 0) end
      if not inline then i = i + 1 end
      if p.convert then value = p.convert(value) end
    end
    if p.multiple then table.insert(opts[key(flag)], value) else opts[key(flag)] = value end
    i = i + 1
    ::continue::
  end
  return opts
end

return cli
