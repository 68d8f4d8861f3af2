---@meta
-- Declarations of `lab.process`, for editors (LuaLS) and help() at the prompt.

---Local programs, run directly (posix_spawn, never through a shell).
lab.process = {}

---What a program did.
---@class lab.ProcessResult
---@field status integer? exit code; nil when a signal ended it
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
---The program runs in its own process group; Ctrl-C or --timeout stops the
---group and then labsh. A program that cannot be started raises
---`{kind = "process", message =, argv =, errno =}`. A non-zero exit is not
---an error: look at `status`.
---@param opts {argv: string[], env: table<string, string|false>?, stdin: string?, cwd: string?, timeout: number?, on_line: fun(stream: "stdout"|"stderr", line: string)?, max_output: integer?}
---@return lab.ProcessResult result
function lab.process.run(opts) end
