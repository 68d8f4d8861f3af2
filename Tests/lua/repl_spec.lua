local repl = require "labsh.repl"

test("expressions compile to return their values", function()
  local fn = assert(repl.compile("1 + 1"))
  assert_eq(fn(), 2)
  local a, b = assert(repl.compile("'x', 3"))()
  assert_eq(a, "x")
  assert_eq(b, 3)
end)

test("statements compile as they are", function()
  local fn = assert(repl.compile("local t = {} t[1] = 5 return t[1] * 2"))
  assert_eq(fn(), 10)
  assert_eq(select("#", assert(repl.compile("local x = 1"))()), 0)
end)

test("an expression spread over several lines still returns", function()
  local fn = assert(repl.compile("{\n  1,\n  2,\n}"))
  assert_same(fn(), { 1, 2 })
end)

test("=expr is return expr", function()
  assert_eq(assert(repl.compile("=2 * 21"))(), 42)
  assert_eq(assert(repl.compile("=\n7"))(), 7)
  local fn, err = repl.compile("=2", false)
  assert_eq(fn, nil)
  assert_eq(err, "stdin:1: unexpected symbol near '='")
end)

test("unfinished input is incomplete", function()
  for _, source in ipairs({ "for i=1,2 do", "x = ", "f(", "t = {", "if x then\n  y()",
                            "s = [[long", "--[[ comment", "x = 'abc" }) do
    local fn, err, incomplete = repl.compile(source)
    assert_eq(fn, nil, source)
    assert_eq(incomplete, true, source)
    assert_eq(type(err), "string", source)
  end
end)

test("syntax errors are errors, named stdin like lua", function()
  local fn, err, incomplete = repl.compile("x = = 1")
  assert_eq(fn, nil)
  assert_eq(err, "stdin:1: unexpected symbol near '='")
  assert_eq(incomplete, false)
  assert_eq(select(3, repl.compile("x = 'abc\ndef'")), false, "a string cannot span lines")
end)

test("eval returns ok and all results", function()
  local results = table.pack(repl.eval("1, nil, 'three'"))
  assert_eq(results.n, 4)
  assert_eq(results[1], "ok")
  assert_eq(results[2], 1)
  assert_eq(results[3], nil)
  assert_eq(results[4], "three")
  assert_eq(select("#", repl.eval("local y = 2")), 1, "a statement gives just ok")
end)

test("eval reports incomplete input", function()
  assert_eq(select("#", repl.eval("for i=1,2 do")), 1)
  assert_eq(repl.eval("for i=1,2 do"), "incomplete")
  assert_eq(repl.eval("for i=1,2 do\nend"), "ok")
end)

test("eval reports compile errors without a traceback", function()
  local status, message = repl.eval("x = = 1")
  assert_eq(status, "error")
  assert_eq(message, "stdin:1: unexpected symbol near '='")
end)

test("runtime errors carry a traceback without the REPL's own frames", function()
  local status, message = repl.eval("local function boom() error('bang') end\nboom()")
  assert_eq(status, "error")
  assert_eq(message, table.concat({
    "stdin:1: bang",
    "stack traceback:",
    "\t[C]: in function 'error'",
    "\tstdin:1: in local 'boom'",
    "\tstdin:2: in main chunk",
  }, "\n"))
end)

test("error objects: __tostring is the message, others are named", function()
  local status, message = repl.eval(
    "error(setmetatable({}, { __tostring = function() return 'http: timeout' end }))")
  assert_eq(status, "error")
  assert_eq(message, "http: timeout")
  status, message = repl.eval("error({ code = 1 })")
  assert_eq(status, "error")
  assert_eq(message:match("^[^\n]*"), "(error object is a table value)")
  assert_eq(message:match("\n(.*)$"), "stack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk")
  status, message = repl.eval("error(42)")
  assert_eq(message:match("^[^\n]*"), "42")
end)

test("prompts follow _PROMPT and _PROMPT2", function()
  local saved1, saved2 = _PROMPT, _PROMPT2
  _PROMPT, _PROMPT2 = nil, nil
  assert_eq(repl.prompt(false), "labsh> ")
  assert_eq(repl.prompt(true), "  ...> ")
  _PROMPT, _PROMPT2 = "lab% ", 2
  assert_eq(repl.prompt(false), "lab% ")
  assert_eq(repl.prompt(true), "2")
  _PROMPT, _PROMPT2 = saved1, saved2
end)

-- Run repl.show with io.stdout swapped for a recorder.
local function shown(...)
  local written, real = {}, io.stdout
  io.stdout = { write = function(_, ...) for _, s in ipairs({ ... }) do written[#written + 1] = s end end }
  local ok, err = pcall(repl.show, ...)
  io.stdout = real
  assert(ok, err)
  return table.concat(written)
end

test("show prints results like the pretty printer, nothing for none", function()
  assert_eq(shown(), "")
  assert_eq(shown(nil), "nil\n")
  assert_eq(shown(1, "a", { 2 }), '1\t"a"\t{ 2 }\n')
end)

test("show uses colour only when repl.color is set", function()
  assert_eq(shown("a"), '"a"\n')
  repl.color = true
  local text = shown("a")
  repl.color = false
  assert_eq(text, '\27[32m"a"\27[0m\n')
end)
