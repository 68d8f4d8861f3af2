-- labsh.repl: how the interactive prompt compiles, runs and shows input.
--
-- The host owns the terminal (readline, history, signals); this module owns
-- the Lua side, and follows the standard `lua` 5.4 interpreter so that what
-- works at a `lua` prompt works the same here:
--   * an expression prints its values: `1 + 1` shows 2;
--   * `=expr` is `return expr` (Lua 5.2 habit, still accepted by `lua`);
--   * input that stops early (`for i = 1, 2 do`) asks for more lines;
--   * errors carry a traceback, and the chunk is named "stdin".

local pretty = require "labsh.pretty"

local repl = {}

--- Set by the host: colour results when stdout is a terminal.
repl.color = false

local CHUNK_NAME = "=stdin"

-- Lua reports a chunk that ended too early as an error "near <eof>"; more
-- lines may complete it.
local function is_incomplete(message)
  return message:sub(-#"<eof>") == "<eof>"
end

-- Compile a chunk; an error says whether more input could fix it.
local function compile_chunk(source)
  local fn, message = load(source, CHUNK_NAME)
  if fn then return fn end
  return nil, message, is_incomplete(message)
end

--- Compile REPL input (possibly several lines joined by "\n").
--- Returns the function, or nil, the error message and whether the input is
--- merely incomplete. `first_line_eq` (default true) allows the `=expr`
--- shorthand; pass false to compile text that is not the first line.
-- An expression compiled to return its values as the arguments of a call
-- rather than as `return f()`: a tail call drops the chunk's frame, and an
-- error a function raises at its caller (error(msg, 2), "bad argument" to
-- lab.nodes) would then name no line instead of stdin:1. nil when the text
-- is not an expression.
local function compile_expression(expression)
  if not load("return " .. expression .. ";", CHUNK_NAME) then return nil end
  return load("return (function(...) return ... end)(" .. expression .. "\n)", CHUNK_NAME)
end

function repl.compile(source, first_line_eq)
  if first_line_eq ~= false and source:sub(1, 1) == "=" then
    local fn = compile_expression(source:sub(2))
    if fn then return fn end
    return compile_chunk("return " .. source:sub(2))
  end
  -- Try it as an expression first so its values print; like `lua`, the ";"
  -- stops "return f" from swallowing anything after the expression.
  local fn = compile_expression(source)
  if fn then return fn end
  return compile_chunk(source)
end

----------------------------------------------------------------------------
-- Running

-- Drop the frames below the user's chunk: xpcall and this module are how
-- the REPL runs code, not where the error happened.
local function trim_traceback(text)
  local head, frames = text:match("^(.-\nstack traceback:\n)(.*)$")
  if not head then return text end
  local kept = {}
  for frame in frames:gmatch("[^\n]+") do
    if frame:find("labsh/repl.lua", 1, true)
       or frame:find("[C]: in function 'xpcall'", 1, true) then
      break
    end
    kept[#kept + 1] = frame
  end
  return head .. table.concat(kept, "\n")
end

-- The message for an error, as the `lua` interpreter's message handler
-- builds it: strings and numbers get a traceback; an object with
-- __tostring is its own message; anything else is named by its type.
local function message_handler(err)
  if type(err) == "string" or type(err) == "number" then
    return trim_traceback(debug.traceback(tostring(err), 2))
  end
  local mt = getmetatable(err)
  if type(mt) == "table" and rawget(mt, "__tostring") then
    local ok, text = pcall(tostring, err)
    if ok and type(text) == "string" then return text end
  end
  return trim_traceback(debug.traceback(
    ("(error object is a %s value)"):format(type(err)), 2))
end

local function outcome(ok, ...)
  if ok then return "ok", ... end
  return "error", (...)
end

--- Compile and run REPL input. Returns "incomplete"; or "error" and the
--- message (with traceback when it ran); or "ok" and the chunk's results.
function repl.eval(source)
  local fn, message, incomplete = repl.compile(source)
  if not fn then
    if incomplete then return "incomplete" end
    return "error", message
  end
  return outcome(xpcall(fn, message_handler))
end

----------------------------------------------------------------------------
-- Showing

--- Print results as the prompt shows them; nothing for no values.
function repl.show(...)
  local n = select("#", ...)
  if n == 0 then return end
  local text = pretty.results_with({ color = repl.color }, n, ...)
  io.stdout:write(text, "\n")
end

--- The prompt, which the user may set in _PROMPT / _PROMPT2 as with `lua`.
function repl.prompt(continuation)
  local custom
  if continuation then custom = _PROMPT2 else custom = _PROMPT end
  if custom ~= nil then return tostring(custom) end
  return continuation and "  ...> " or "labsh> "
end

--- One round of the prompt: run the input and print what it gave.
--- Returns "incomplete", "ok" or "error" so the host knows which prompt
--- comes next.
function repl.step(source)
  local result = table.pack(repl.eval(source))
  local status = result[1]
  if status == "ok" then
    repl.show(table.unpack(result, 2, result.n))
  elseif status == "error" then
    io.stdout:flush()
    io.stderr:write(result[2], "\n")
  end
  return status
end

----------------------------------------------------------------------------
-- Help and completion, both read from the declaration files

local declarations_text = ""
local parsed_declarations

local function declarations()
  parsed_declarations = parsed_declarations
    or require("labsh.help").parse(declarations_text)
  return parsed_declarations
end

--- Define the global `help`. `text` is the text of stdlib/meta/*.d.lua,
--- which the host passes in; it is parsed on first use.
function repl.install_help(text)
  declarations_text = text
  local help = require "labsh.help"
  _G.help = function(...)
    io.stdout:write(help.help((...), declarations()), "\n")
  end
end

--- Completion candidates for the word before the cursor: globals, fields,
--- methods, module names, declared names not loaded yet (values only: a
--- type such as lab.Node is no field of lab), and inventory names inside
--- the quotes of lab.node("...
function repl.complete(line, modules)
  local complete = require "labsh.complete"
  return complete.candidates(line, _G, modules, declarations().values, declarations())
end

return repl
