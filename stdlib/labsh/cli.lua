-- labsh.cli: the declared parameters of a shipped script, its --help text
-- and the parsing of its arguments, in one place.
--
--   local opts = cli.parse({ ... }, {
--     name = "report", summary = "the daily operations report",
--     params = {
--       { "--backups", "SOURCE", "backup runs or restic snapshots as JSON" },
--       { "--cert", "HOST:PORT", "a TLS endpoint, repeatable", multiple = true },
--       { "--verbose", nil, "a flag: no value" },
--     },
--   })
--
-- opts.backups = "runs.json", opts.cert = {"127.0.0.1:8443"}, opts.verbose
-- = true (dashes become underscores). --dry-run, --yes and --emergency
-- after the script name set lab.options as before it. --help prints the usage and exits 0;
-- an unknown or incomplete argument raises an error naming it, with the usage.

local cli = {}

local function key(flag) return (flag:gsub("^%-+", ""):gsub("%-", "_")) end

--- The usage text of a script's declaration.
function cli.usage(decl)
  local lines = { ("usage: labsh [--format json] -m %s [options]"):format(decl.name) }
  if decl.summary then lines[#lines + 1] = "  " .. decl.summary end
  for _, p in ipairs(decl.params or {}) do
    local left = p[2] and (p[1] .. " " .. p[2]) or p[1]
    lines[#lines + 1] = ("  %-22s %s"):format(left, p[3] or "")
  end
  if decl.notes then lines[#lines + 1] = decl.notes end
  return table.concat(lines, "\n")
end

--- Parses `args` against the declaration; returns the options table.
function cli.parse(args, decl)
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
    -- labsh's own change options are accepted after the script name too
    local own = ({ ["--dry-run"] = "dry_run", ["--yes"] = "yes", ["--emergency"] = "emergency" })[a]
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
