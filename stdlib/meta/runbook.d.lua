---@meta
-- Declarations of `lab.runbook`, for editors (LuaLS) and help() at the prompt.

---One step of a runbook. run(ctx) makes the change; verify(ctx) answers
---whether it worked (false, nil or an error fail the step); rollback(ctx)
---undoes it; plan(ctx) describes it for --dry-run.
---@class lab.RunbookStep
---@field title string
---@field run fun(ctx: lab.RunbookContext): any
---@field verify (fun(ctx: lab.RunbookContext): boolean)?
---@field rollback fun(ctx: lab.RunbookContext)?
---@field plan (fun(ctx: lab.RunbookContext): string)?

---What steps see: params by name, targets, dry_run, name.
---@class lab.RunbookContext
---@field params table<string, string>
---@field targets string[]
---@field dry_run boolean
---@field name string

---What `lab.runbook{...}` takes: its name, parameters, targets and steps.
---@class lab.RunbookSpec
---@field name string
---@field description string?
---@field change "standard"|"normal"|"emergency"? normal (default) waits for the maintenance window unless --emergency
---@field params {name: string, help: string?, default: string?, required: boolean?}[]?
---@field targets string[]|fun(params: table): string[]? nodes or instances silenced in Alertmanager while it runs
---@field duration string|number? the silence's length (default "1h"); it is expired when the runbook ends
---@field steps lab.RunbookStep[]|fun(params: table): lab.RunbookStep[] a list, or made from the parameters
---@field args string[]? arguments instead of the script's `arg`

---How a runbook ended, and each step's status.
---@class lab.RunbookResult
---@field name string
---@field status "ok"|"failed"|"refused"|"declined"|"dry run"|"interrupted"
---@field state string? "changed", "rolled back", "nothing to roll back", "rollback failed at step N" or "rollback interrupted at step N"
---@field steps {title: string, status: string}[]
---@field error string?

---Runbooks: changes step by step through the mutation gate. `lab.runbook{...}`
---runs one with the script's arguments and exits (0 done or dry run, 1
---failed, refused or declined, 2 a usage error: one line naming it and the
---usage on stderr, 3 a rollback failed): --dry-run prints the plan and changes
---nothing; each step asks a person at a terminal (cron: --yes); a failed step
---rolls back the steps done, in reverse; a normal change outside the
---inventory's maintenance window is refused unless --emergency; targets are
---silenced in Alertmanager (when configured) for the run; one audit line
---records script, sha256, arguments, plan and result.
---@overload fun(spec: lab.RunbookSpec)
lab.runbook = {}

---Runs a runbook with `args` and returns its result, without exiting.
---@param spec lab.RunbookSpec
---@param args string[]?
---@return lab.RunbookResult
function lab.runbook.execute(spec, args) end

---The usage text: parameters and steps.
---@param spec lab.RunbookSpec
---@return string
function lab.runbook.usage(spec) end

---Parameters from script arguments (--name value, --name=value, name=value);
-----dry-run, --yes and --emergency set lab.options.
---@param spec lab.RunbookSpec
---@param args string[]
---@return table<string, string>
function lab.runbook.parse(spec, args) end

---The maintenance window open at `now` ({name, opens, closes}), or nil and
---the next opening (Unix seconds); schedules (cron or OnCalendar) are read
---in the inventory's site.timezone, whatever TZ says.
---@param now number?
---@return {name: string, opens: integer, closes: integer}?
---@return integer? next_open
function lab.runbook.window(now) end
