---@meta
-- Declarations of `lab.restic`, for editors (LuaLS) and help() at the prompt.

---restic repositories. `lab.restic(repo, opts)` is `lab.restic.open(repo, opts)`.
lab.restic = {}

---A restic repository: `repo` as restic takes it (a path, sftp:, rest:,
---s3:...). opts.password: "env:NAME" or "file:PATH", handed to restic in its
---environment, never on the command line (without it restic's own
---RESTIC_PASSWORD* settings apply); opts.env: more variables for restic;
---opts.timeout: seconds per restic run (default a day); opts.restic: the
---binary (default "restic" on PATH). Failures raise error objects of kind
---"restic" with exit_code, stderr (its tail) and a message that says what
---failed: a wrong password, no repository, a locked one, restic missing.
---@param repo string
---@param opts {password: string?, env: table<string, string>?, timeout: number?, restic: string?}?
---@return lab.ResticRepository repository
function lab.restic.open(repo, opts) end

---A restic repository, from lab.restic(repo, opts).
---@class lab.ResticRepository
---@field repo string
local ResticRepository = {}

---The snapshots, as `restic snapshots --json` gives them (times as restic
---prints them). filter: host, tag, path (each a string or a list).
---@param filter {host: string|string[]?, tag: string|string[]?, path: string|string[]?}?
---@return table[] snapshots
function ResticRepository:snapshots(filter) end

---Backs up paths; returns restic's summary (snapshot_id, files_new,
---data_added...; incomplete = true and `errors` when some files could not be
---read). A progress bar shows on a terminal. Honours --dry-run (returns nil).
---@param paths string|string[]
---@param opts {tags: string|string[]?, host: string?, exclude: string|string[]?, time: string?}?
---@return table? summary
function ResticRepository:backup(paths, opts) end

---Applies a retention policy (see lab.backup.prune) with the rules of the
---installed restic: labsh decides, shows the plan, asks (a terminal) or
---needs --yes (cron), honours --dry-run and opts.dry_run, writes the audit
---log, and deletes exactly the chosen IDs with `restic forget ID...`.
---opts.prune: run `restic prune` afterwards. Returns keep, remove, reasons,
---groups, semantics and `removed` (IDs deleted; empty when none were).
---@param policy lab.RetentionPolicy
---@param opts {dry_run: boolean?, group_by: string?, prune: boolean?}?
---@return table result
function ResticRepository:forget(policy, opts) end

---`restic check`; read_data or read_data_subset ("1/10", "5%") also read
---the data. Returns {ok =, output =, errors =}; ok is false when restic
---found damage.
---@param opts {read_data: boolean?, read_data_subset: string?}?
---@return {ok: boolean, output: string, errors: string}
function ResticRepository:check(opts) end

---Restores a snapshot (an ID or "latest") into `target`; opts.include
---limits it, opts.verify makes restic re-read every restored file and check
---it against the snapshot's hashes. Honours --dry-run (returns nil).
---@param snapshot string
---@param target string
---@param opts {include: string|string[]?, verify: boolean?}?
---@return table? result
function ResticRepository:restore(snapshot, target, opts) end

---The files and directories of a snapshot (`restic ls --json`): path,
---name, type, size, mode, mtime each; and the snapshot itself.
---@param snapshot string an ID or "latest"
---@return table[] nodes
---@return table snapshot
function ResticRepository:ls(snapshot) end

---`restic stats --json`: total_size, total_file_count...
---@param opts {mode: string?}?
---@return table stats
function ResticRepository:stats(opts) end

---The installed restic's version, e.g. "0.14.0".
---@return string version
function ResticRepository:version() end

---The lab.backup.prune semantics matching the installed restic:
---"restic-0.14" before 0.16, else "restic".
---@return string semantics
function ResticRepository:semantics() end
