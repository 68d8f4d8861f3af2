---@meta
-- Declarations of `lab.process`, for editors (LuaLS) and help() at the prompt.

---Local programs, run directly (posix_spawn, never through a shell).
lab.process = {}

---What a program did.
---@class lab.ProcessResult
---@field status integer? exit code; nil when a signal ended it, or when a dry run did not start it
---@field dry_run true? --dry-run did not start it (not read_only): status is nil, never a success
---@field signal integer? the signal that ended it
---@field stdout string what it wrote (the last max_output bytes)
---@field stderr string
---@field elapsed number seconds
---@field timed_out boolean ended by opts.timeout
---@field dropped integer? bytes dropped beyond max_output

---Runs a program and waits for it, reading its output as it comes.
---argv: the program and its arguments (a program without "/" is searched on
---PATH). env: variables to add (`false` removes one). stdin: bytes to write
---to it (default /dev/null). cwd: its working directory. timeout: seconds,
---then its process group gets SIGTERM and, 2 s later, SIGKILL (the result
---has timed_out = true). on_line(stream, line): called with "stdout" or
---"stderr" and each line (without "\n") while it runs; an error raised there
---stops the program and is raised again. max_output: bytes kept of each
---stream (default 16 MiB; beyond it the tail).
---keep_fd: one of labsh's descriptors that the program gets as its fd 3
---(every other stays closed): lab.job hands a run's lock down this way.
---The program runs in its own process group; Ctrl-C or --timeout stops the
---group and then labsh. A program that cannot be started raises
---`{kind = "process", message =, argv =, errno =}`. A non-zero exit is not
---an error: look at `status`.
---read_only = true says the program only reads (changes nothing outside
---labsh): under --dry-run only such a program runs. Any other is not
---started: "dry run: would run: ARGV" goes to stderr, the audit log
---records it, and the result is {dry_run = true, status = nil, stdout =
---"", stderr = ""}: test `status == 0`, never that stdout is empty.
---@param opts {argv: string[], env: table<string, string|false>?, stdin: string?, cwd: string?, timeout: number?, on_line: fun(stream: "stdout"|"stderr", line: string)?, max_output: integer?, read_only: boolean?}
---@return lab.ProcessResult result
function lab.process.run(opts) end

---Runs many programs at once, in one loop, and waits for all of them: for
---fan-out, e.g. ssh to many hosts. list: tables like run's (argv, env,
---stdin, cwd, timeout, max_output; no on_line: it goes in opts). At most
---opts.parallel (default 16) run at once, the next starting as soon as one
---ends; each timeout counts from that program's own start and stops only
---that program. opts.on_line(i, stream, line): each output line of the i-th
---program while it runs. opts.on_exit(i, result): the i-th program ended
---(result is the same table the returned list holds). An error raised in
---on_line or on_exit stops every program and is raised again once all are
---gone. Returns a result per list item, in order, like run's; a program that
---cannot be started gets the error object `{kind = "process", message =,
---argv =, errno =}` at its place instead of raising. Ctrl-C or --timeout
---stops every program and then labsh. Under --dry-run only the items with
---read_only = true run; the others get run's dry-run result (on_exit is
---called for them too, before the others start).
---@param list {argv: string[], env: table<string, string|false>?, stdin: string?, cwd: string?, timeout: number?, max_output: integer?, read_only: boolean?}[]
---@param opts {parallel: integer?, on_line: fun(i: integer, stream: "stdout"|"stderr", line: string)?, on_exit: fun(i: integer, result: lab.ProcessResult|table)?}?
---@return (lab.ProcessResult|table)[] results
function lab.process.run_all(list, opts) end
