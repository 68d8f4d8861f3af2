---@meta
-- Declarations of `lab.ssh` and `lab.exec`, for editors (LuaLS) and help().

---Commands and files on inventory hosts over SSH, with the system's OpenSSH
---client. How to reach a host comes from the inventory (its `ssh` section
---and the host's own `ssh` table); a host with neither is never contacted.
---Connections run with BatchMode and host key checking on, and one master
---connection per host (ControlPersist 60 s, sockets in a private 0700
---directory) serves every command. Keys and sudo passwords are secret
---references: never on a command line, never in output.
---Under --dry-run no command runs on a host and nothing is copied: each is
---said on stderr ("dry run: would run on pve1: CMD") and recorded in the
---audit log. A command that only reads says so with opts.read_only = true
---and runs (playbooks' check mode reads the hosts this way).
lab.ssh = {}

---What a command did on a host.
---@class lab.ExecResult
---@field host string
---@field status integer? exit status; nil when a signal ended it
---@field signal integer?
---@field stdout string
---@field stderr string
---@field elapsed number seconds
---@field dry_run true? --dry-run did not send it: status nil, ok() false, listed by failed()
local ExecResult = {}

---Whether the command exited 0 (false when a dry run did not send it).
---@return boolean
function ExecResult:ok() end

---A host's command could not run: kind "ssh", `reason` one of
---"unreachable", "auth", "host_key", "timeout", "sudo", "no_access", "local".
---@class lab.SSHError
---@field kind "ssh"
---@field reason string
---@field host string
---@field message string
---@field stderr string?

---Runs `command` (a shell command line) on every host `targets` selects,
---at most `opts.parallel` (default 16) at once, and returns one outcome per
---host in order, also by name (`results.pve1`): a lab.ExecResult, or a
---lab.SSHError for a host where it could not run. One host's failure never
---stops the others. targets: "all", a name, a list of names or nodes, or a
---filter as lab.nodes takes it ({tag = "k8s"}, {role = "k8s-worker"}),
---applied to nodes and guests. opts: timeout (seconds), sudo (as root),
---user (as this user, through sudo), env, stdin, stream = true (print
---output lines as they come, prefixed by host), read_only = true (it only
---reads: it runs under --dry-run too). `results:failed()` lists the hosts
---that failed or where it did not run. A progress bar shows on a terminal.
---@param targets string|table
---@param command string
---@param opts {parallel: integer?, stream: boolean?, timeout: number?, sudo: boolean?, user: string?, env: table<string, string>?, stdin: string?, read_only: boolean?}?
---@return lab.ExecResult[] results
function lab.ssh.exec(targets, command, opts) end

---lab.ssh.exec, at the top of `lab`: `lab.exec({role = "k8s-worker"}, "uptime")`.
---@param targets string|table
---@param command string
---@param opts table?
---@return lab.ExecResult[] results
function lab.exec(targets, command, opts) end

---Runs `command` on one host and returns its lab.ExecResult or its
---lab.SSHError, never raising for the host's failure. Inside a playbook
---task the hosts' commands run together. Under --dry-run only a command
---with read_only = true runs; any other gives a result with dry_run = true.
---@param target string|table a host name, node or guest
---@param command string
---@param opts {timeout: number?, sudo: boolean?, user: string?, env: table<string, string>?, stdin: string?, read_only: boolean?}?
---@return lab.ExecResult|lab.SSHError outcome
function lab.ssh.run(target, command, opts) end

---The host names a selector picks, in inventory order (see lab.ssh.exec).
---@param selector string|table
---@return string[] names
function lab.ssh.hosts(selector) end

---How labsh reaches a host: the inventory's ssh defaults with the host's
---own settings over them (host defaults to its address); nil and why when
---the inventory gives no ssh access.
---@param target string|table
---@return table? access
---@return string? why
function lab.ssh.access(target) end

---Copies the local file `src` to `dst` on the host (scp over its master
---connection). Raises a lab.SSHError when it fails. Under --dry-run it
---copies nothing, says so and returns nil, "dry run".
---@param target string|table
---@param src string
---@param dst string
---@return true|nil copied
---@return "dry run"? why not
function lab.ssh.copy(target, src, dst) end

---Copies the file `src` on the host to the local path `dst`. Under a dry
---run it fetches nothing and returns nil, "dry run".
---@param target string|table
---@param src string
---@param dst string
---@return true|nil copied
---@return "dry run"? why not
function lab.ssh.fetch(target, src, dst) end

---Closes the master connections to the hosts a selector picks (default:
---all), e.g. after a host's key changed.
---@param targets string|table?
function lab.ssh.close(targets) end

---`text` quoted as one word for a POSIX shell, for building commands.
---@param text string
---@return string quoted
function lab.ssh.quote(text) end
