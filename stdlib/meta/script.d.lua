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
---are `*` globs; files are path prefixes.
---@class labsh.Requires
---@field hosts string[]? inventory hosts: names, or role:X, tag:X, kind:X, node:X
---@field net string[]? HTTP origins as host:port (lab.http, lab.pve)
---@field commands string[]? programs it runs (lab.process) and a remote command's program; "sh" for a shell line
---@field secrets string[]? env:NAME (os.getenv of anything but plain variables) and file:PATH references
---@field files { read: string[]?, write: string[]? }? path prefixes
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
