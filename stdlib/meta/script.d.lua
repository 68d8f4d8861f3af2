---@meta
-- Declarations of `labsh.script`, a script's manifest, for editors (LuaLS)
-- and help() at the prompt. A library script ends with it (README,
-- "Writing a shared library"):
--
--   return labsh.script {
--     name = "restart-stuck-vm", version = "1.2.0",
--     description = "restart the guests whose agent stopped answering",
--     requires = { hosts = { "pve*" }, proxmox = { "VM.PowerMgmt" }, mutation = true },
--     run = function(ctx, opts) ... end,
--   }

---What a script may touch; anything else is refused by the host. Patterns
---are `*` globs; files are path prefixes. Selectors name places of the
---inventory and of the operator's command line, resolved by the host when
---the script declares (an unknown one is an error): "option:--NAME" (what
---the operator gave that option, literally) in hosts, net, commands,
---secrets and files; see each field for the others.
---@class labsh.Requires
---@field hosts string[]? inventory hosts: names, or role:X, tag:X, kind:X, node:X, target:NAME (the hosts the inventory's target picks)
---@field net string[]? HTTP origins as host:port (lab.http, lab.pve), or monitoring:prometheus|alertmanager|pushgateway, proxmox, arguments (each URL among the script's arguments)
---@field commands string[]? programs it runs (lab.process) and a remote command's program; "sh" for a shell line; "labsh" for this labsh
---@field secrets string[]? env:NAME (os.getenv of anything but plain variables) and file:PATH references; proxmox, monitoring:NAME (the inventory's references)
---@field files { read: string[]?, write: string[]? }? path prefixes; config (labsh's configuration directory), arguments (each argument as a path), monitoring:textfile_dir
---@field proxmox string[]? Proxmox VE privileges, as the API schema lists them per call ("VM.Audit")
---@field mutation boolean? false (default): check mode, nothing changes

---A script's manifest: the script contract (lab.cli.parse's declaration)
---and what it may touch.
---@class labsh.ScriptManifest
---@field name string as `labsh -m NAME` runs it
---@field version string? "1.2.0"
---@field description string one line, for --help and the script list
---@field params lab.CliParam[]? its options
---@field args lab.CliArg[]? its arguments
---@field formats string[]? what --format it writes
---@field exit string? what its exit codes mean, for --help
---@field requires labsh.Requires? what it may touch (nothing when left out)
---@field arguments "own"? the script reads its arguments itself (a runbook: lab.runbook does); run gets them as a list
---@field check string? a Monitoring Plugins check's name: a usage error is its UNKNOWN, exit 3
---@field run fun(ctx: labsh.ScriptContext, opts: table): integer? the script; an integer returned is the exit status

---What run(ctx, opts) is given.
---@class labsh.ScriptContext
---@field name string
---@field version string?
local ScriptContext = {}

---Gives `kind` ("hosts", "net", "commands", "secrets", "files.read",
---"files.write", "proxmox", "mutation") up for the rest of the run.
---@param kind string
function ScriptContext:drop(kind) end

---A usage error as the script contract says them: `why` and the usage on stderr, exit 2 (3 for a check).
---@param why string
function ScriptContext:usage_error(why) end

---Whether `target` of `kind` may be touched now ("mutation": whether changes are made).
---@param kind string
---@param target string?
---@return boolean
function ScriptContext:allows(kind, target) end

labsh = {}

---Declares the script's manifest to the host, reads its options by the
---script contract (--help, usage errors, --format) and calls
---`run(ctx, opts)`. From the declaration on, every effect outside
---`requires` (and, for a library script, outside what an operator grants in
---CONFIG/grants/LIBRARY.lua or with --grant) is an error naming the script,
---its line, the target and the fix; and labsh's libraries are read-only.
---@param manifest labsh.ScriptManifest
---@return any
function labsh.script(manifest) end
