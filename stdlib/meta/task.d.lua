---@meta
-- Declarations of `lab.task` and `lab.playbook`, for editors and help().

---Idempotent tasks for lab.playbook. Each reads the host's state, changes
---only what differs and reports "ok", "changed", "failed" or "skipped"; in
---check mode (--dry-run) it reports what would change, with a unified diff
---for files, and changes nothing: only its reads of the host's state
---(commands sent with read_only = true) reach the host then. Every task also takes `name` (shown in
---the output), `notify` (handler name or names, run once at the end of the
---play where this task changed something), `when` (function(host, vars) ->
---boolean; false skips the host) and `sudo` (commands as root through sudo;
---default: the play's `sudo`).
lab.task = {}

---A task for lab.playbook, as the lab.task functions make it.
---@class lab.Task
---@field kind string
---@field name string

---The options every lab.task function takes besides its own.
---@class lab.TaskCommon
---@field name string?
---@field notify (string|string[])?
---@field when (fun(host: table, vars: table): boolean)?
---@field sudo boolean?

---A file's content, mode, owner and group; a directory; or nothing there.
---A new content is written beside the file and renamed over it, never half
---written; an existing file keeps its mode and owner unless given. Modes
---are octal strings ("0644"). state: "file" (default), "directory", "absent".
---secret = true: the content (a key, a token) never shows in a diff; it
---travels on stdin, never on a command line.
---@param args {path: string, content: string?, src: string?, mode: string?, owner: string?, group: string?, state: ("file"|"directory"|"absent")?, secret: boolean?}|lab.TaskCommon
---@return lab.Task
function lab.task.file(args) end

---One line in a file, found by a Lua pattern: the last line matching
---`regexp` becomes `line`; without a match `line` is added at the end (or
---after the last line matching `after`). state = "absent" removes every
---matching line. create = true makes a missing file.
---@param args {path: string, line: string?, regexp: string?, after: string?, state: ("present"|"absent")?, create: boolean?, mode: string?, owner: string?, group: string?}|lab.TaskCommon
---@return lab.Task
function lab.task.line(args) end

---A file rendered from a template (`{{ expression }}`, `{% statements %}`)
---with the play's vars, `host` (the inventory record), `inventory` and
---`lab` in scope, then written as lab.task.file writes content.
---@param args {path: string, text: string?, src: string?, vars: table?, mode: string?, owner: string?, group: string?, secret: boolean?}|lab.TaskCommon
---@return lab.Task
function lab.task.template(args) end

---Debian packages with apt: `lab.task.package { "chrony", "nftables" }`.
---state: "present" (default), "absent", "latest" (what `apt-get -s install`
---would upgrade). update_cache = true runs apt-get update before installing.
---@param args {[integer]: string, state: ("present"|"absent"|"latest")?, update_cache: boolean?}|lab.TaskCommon
---@return lab.Task
function lab.task.package(args) end

---A systemd unit: `lab.task.service { "ssh", state = "restarted" }`.
---state: "started", "stopped", "restarted", "reloaded" (the last two always
---act, as handlers want); enabled = true or false.
---@param args {[1]: string, state: ("started"|"stopped"|"restarted"|"reloaded")?, enabled: boolean?}|lab.TaskCommon
---@return lab.Task
function lab.task.service(args) end

---A local user: `lab.task.user { "deploy", shell = "/bin/bash", groups = {"sudo"} }`.
---Groups are added to, never taken away. state: "present" or "absent".
---@param args {[1]: string, state: ("present"|"absent")?, shell: string?, groups: string[]?, home: string?, system: boolean?}|lab.TaskCommon
---@return lab.Task
function lab.task.user(args) end

---A shell command, run only when needed: `creates` (skip when the path
---exists), `removes` (skip unless it exists), `unless` (skip when that
---command succeeds), `onlyif` (skip unless it succeeds). Guards and command
---go in one round trip. Reports changed when it ran (changed = false: ok,
---for commands that only read); a non-zero exit fails. In check mode the
---guards run (they must only read) and the command does not.
---@param args {[1]: string, creates: string?, removes: string?, unless: string?, onlyif: string?, changed: boolean?}|lab.TaskCommon
---@return lab.Task
function lab.task.command(args) end

---Reboots the host and waits until it is back: a new boot id, answering
---over SSH. command: default "systemctl reboot"; timeout: seconds (600).
---@param args {timeout: number?, command: string?}|lab.TaskCommon?
---@return lab.Task
function lab.task.reboot(args) end

---Whether `value` is a task.
---@param value any
---@return boolean
function lab.task.is(value) end

---A play: tasks run on hosts, as Ansible runs a playbook.
---@class lab.Play
---@field name string
---@field hosts string|table a selector as lab.ssh.exec takes it: "all", names, {role = "k8s-master"}, {tag = "proxmox"}
---@field tasks lab.Task[] in order; each runs on all hosts of the batch at once
---@field handlers table<string, lab.Task>? by name; or a list of named tasks
---@field serial integer? hosts per batch (default: all at once)
---@field max_fail_percentage number? stop the play when more of a batch fails
---@field vars table? names for templates and `when`
---@field sudo boolean? run commands as root through sudo
---@field parallel integer? hosts worked on at once (default 16)
---@field requires labsh.Requires? the playbook's manifest (as labsh.script's), declared by its first play; left out when a script with its own manifest runs the play
---@field version string? the playbook's version, for its manifest

---Runs a play and prints one line per host per task and a recap per host
---(ok, changed, unreachable, failed, skipped; planned for hosts never
---contacted). Before the tasks run, each host is asked for everything they
---read in one ssh session; a task an earlier task's change may affect
---reads its host again. In a real run the changes go to each host in
---batches (one session per command whose output a task needs, and one at
---the end); a task's lines print once the sessions with its changes have
---ended on every host. Check mode and max_fail_percentage keep the hosts
---in step. A host that fails or cannot
---be reached drops out; the others go on. Changes go through the mutation
---gate: --dry-run is check mode (state read, diffs shown, nothing changed;
---hosts without ssh access are listed as planned, never contacted), a
---person at a terminal confirms, cron passes --yes; the audit log records
---the play and every change. --format json prints one document for the
---run instead (play, hosts, tasks with each host's status, message and
---diff, stats, failed; {plays = [...]} for a script of several plays). Returns the recap {play, hosts, stats, failed, check};
---raises an error of kind "playbook" after the recap when a host failed,
---so a script exits non-zero. `labsh -m NAME` finds playbooks in
---scripts/playbooks/ too; --dry-run and --yes may follow the name. A
---playbook script takes --help, --limit PATTERN (as Ansible's: host
---names, globs `pve*`, groups (a role or kind), `!NAME` to leave out,
---comma-separated; a play it leaves without hosts is skipped) and --diff
---(a real run shows each changed file's diff too); any other argument is a
---usage error (exit 2, labsh.cli's contract).
---@param play lab.Play
---@return table recap
function lab.playbook(play) end
