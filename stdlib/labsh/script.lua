-- labsh.script: a script that says what it is and what it may touch
-- (README, "Writing a shared library"). A library script ends with:
--
--   return labsh.script {
--     name = "restart-stuck-vm",
--     version = "1.2.0",
--     description = "restart the guests whose agent stopped answering",
--     params = { { "--vmid", "ID", "the guest", type = "count" } },
--     requires = {
--       commands = { "qm" },                 -- programs it runs (lab.process)
--       net = { "proxmox" },                 -- host:port it reaches (lab.http), or a
--                                            -- selector: the inventory's PVE API
--       secrets = { "proxmox" },             -- env:/file: references it reads
--       files = { read = { "/etc/pve" }, write = { "/var/tmp/restart" } },
--       mutation = true,                     -- false: check mode, nothing changes
--     },
--     run = function(ctx, opts) ... end,
--   }
--
-- labsh declares `requires` to the host first: from then on the Swift
-- functions that run programs, reach the network, read secrets and write
-- files refuse anything else (for a library script, also anything an
-- operator has not granted). Then the options are read by the script
-- contract (labsh.cli: --help, usage errors, --format) and run(ctx, opts)
-- is called; an integer it returns is the exit status (`arguments =
-- "own"`: run gets the arguments as given, a runbook reads them itself).
-- ctx:drop(kind) gives a capability up for the rest of the run; nothing
-- gives one back. Selectors ("monitoring:prometheus", "target:linux",
-- "option:--out", ...) are resolved by the host when the script declares
-- (Sources/LabBindings/CapabilitySelectors.swift).

local capabilities = require "labsh.capabilities"

local Context = {}
Context.__index = Context

--- Gives up `kind` ("net", "commands", "mutation", ...) for the rest of
--- the run.
function Context:drop(kind)
  capabilities.drop(kind)
  if kind == "mutation" then lab.options.dry_run = true end
end

--- Whether `target` of `kind` may be touched now (for "mutation": whether
--- changes are made at all).
function Context:allows(kind, target)
  return capabilities.allows(kind, target)
end

--- A usage error, as the script contract says them (labsh.cli): `why`
--- and the usage on stderr, exit 2 (3 for a check).
function Context:usage_error(why)
  require("labsh.cli").usage_error(self.contract, why)
end

local function check(manifest)
  if type(manifest) ~= "table" then
    error("labsh.script: give the manifest as a table: labsh.script { name = ..., run = function(ctx, opts) ... end }", 3)
  end
  for _, key in ipairs { "name", "description" } do
    if type(manifest[key]) ~= "string" or manifest[key] == "" then
      error(("labsh.script: '%s' must be a non-empty string"):format(key), 3)
    end
  end
  if manifest.version ~= nil and type(manifest.version) ~= "string" then
    error("labsh.script: 'version' must be a string like \"1.2.0\"", 3)
  end
  if manifest.arguments ~= nil and manifest.arguments ~= "own" then
    error("labsh.script: 'arguments' is \"own\" (the script reads its arguments itself) or left out", 3)
  end
  if type(manifest.run) ~= "function" then
    error("labsh.script: 'run' must be a function(ctx, opts)", 3)
  end
end

-- The script's own arguments (`arg` as labsh sets it for the main chunk).
local function script_arguments()
  if type(arg) ~= "table" then return {} end
  return table.move(arg, 1, #arg, 1, {})
end

-- The options, read by the script contract (labsh.cli). With no arguments,
-- nothing declared to read or write and the default --format (text),
-- there is nothing it could read or refuse: the script starts without it.
local function options(arguments, contract)
  if #arguments == 0 and (lab.options.format or "text") == "text"
    and not (contract.params or contract.args or contract.commands or contract.formats) then
    return {}
  end
  return require("labsh.cli").parse(arguments, contract)
end

return function(manifest)
  check(manifest)
  local arguments = script_arguments()
  capabilities.declare {
    script = manifest.name, version = manifest.version, requires = manifest.requires,
    arguments = arguments,        -- what selectors read when there is no script file (-e, the prompt)
    source = lab.options.script,  -- labsh's own scripts ("@labsh:scripts/...") add no audit line
  }
  -- no mutation: check mode, as --dry-run (the host holds to it whatever
  -- lab.options says later)
  if not capabilities.allows("mutation") then lab.options.dry_run = true end
  local contract = {
    name = manifest.name,
    summary = manifest.description,
    formats = manifest.formats,
    args = manifest.args,
    params = manifest.params,
    commands = manifest.commands,
    exit = manifest.exit,
    check = manifest.check,
    notes = manifest.notes,
    globals = manifest.globals,
  }
  -- arguments = "own": the script reads them itself (a runbook: lab.runbook
  -- has its own contract) and run gets the list as given
  local opts = manifest.arguments == "own" and arguments or options(arguments, contract)
  local ctx = setmetatable({ name = manifest.name, version = manifest.version, contract = contract }, Context)
  local status = manifest.run(ctx, opts)
  if math.type(status) == "integer" then os.exit(status, true) end
  return status
end
