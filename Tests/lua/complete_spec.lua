local complete = require "labsh.complete"
local candidates = complete.candidates

-- A stand-in for the `lab` global: some submodules loaded, others announced
-- in __modules and loaded by an __index function on first use.
local function lab_env()
  local loads = {}
  local lab = setmetatable({ version = "0.1.0", nodes = {} }, {
    __modules = { "net", "http", "nodes" },
    __index = function(_, name) loads[#loads + 1] = name; return {} end,
  })
  local env = {
    lab = lab, print = print, pairs = pairs, string = string,
    host = "pve1", node = setmetatable({}, { __index = { start = print, stop = print, id = 7 } }),
    [1] = "not a name", ["not-ident"] = true, ["end"] = true,
  }
  return env, loads
end

test("plain words complete globals and keywords", function()
  local env = lab_env()
  assert_same(candidates("pr", env), { "print" })
  assert_same(candidates("x = p", env), { "pairs", "print" })
  assert_same(candidates("if x th", env), { "then" })
  assert_same(candidates("lo", env), { "local" })
  assert_same(candidates("zzz", env), {})
end)

test("an empty word lists every global name and keyword", function()
  local env = lab_env()
  local all = candidates("", env)
  assert_eq(#all, 22 + 6, "22 keywords and the 6 globals named by identifiers")
  assert_eq(all[1], "and")
end)

test("dotted words complete fields and announced submodules", function()
  local env, loads = lab_env()
  assert_same(candidates("lab.n", env), { "lab.net", "lab.nodes" })
  assert_same(candidates("lab.", env), { "lab.http", "lab.net", "lab.nodes", "lab.version" })
  assert_same(candidates("x = string.fo", env), { "string.format" })
  assert_same(loads, {}, "completion loaded a lazy module")
end)

test("unknown or unloaded paths give nothing and load nothing", function()
  local env, loads = lab_env()
  assert_same(candidates("lab.net.g", env), {})
  assert_same(candidates("nope.x", env), {})
  assert_same(candidates("host.x", env), {})
  assert_same(loads, {})
end)

test("method words complete from the metatable's __index table", function()
  local env = lab_env()
  assert_same(candidates("host:up", env), { "host:upper" })
  assert_same(candidates("node:st", env), { "node:start", "node:stop" })
  -- `id` is a field, not a method.
  assert_same(candidates("node:i", env), {})
  assert_same(candidates("node.i", env), { "node.id" })
end)

test("__index functions are never called", function()
  local called = false
  local env = { obj = setmetatable({}, { __index = function() called = true end }) }
  assert_same(candidates("obj.x", env), {})
  assert_same(candidates("obj:x", env), {})
  assert_same(candidates("obj.y.z", env), {})
  assert_eq(called, false)
end)

test("__pairs and __tostring are never called", function()
  local called = false
  local mark = function() called = true; return "" end
  local env = setmetatable({ t = setmetatable({ field = 1 }, { __pairs = mark, __tostring = mark }) },
                           { __pairs = mark })
  assert_same(candidates("t.f", env), { "t.field" })
  assert_same(candidates("t", env), { "t", "then", "true" })
  assert_eq(called, false)
end)

test("__index chains are followed through tables", function()
  local base = { greet = print }
  local middle = setmetatable({ wave = print }, { __index = base })
  local env = { obj = setmetatable({}, { __index = middle }) }
  assert_same(candidates("obj:", env), { "obj:greet", "obj:wave" })
end)

test("internal __names appear only when asked for", function()
  local env = { class = { __index = {}, new = print } }
  assert_same(candidates("class.", env), { "class.new" })
  assert_same(candidates("class.__", env), { "class.__index" })
end)

test("only the trailing word is completed", function()
  local env = lab_env()
  assert_same(candidates("print(lab.ve", env), { "lab.version" })
  assert_same(candidates('x = "a"..ho', env), { "..host" })
  assert_same(candidates("x = 1 + str", env), { "string" })
  assert_same(candidates("(x):up", env), {})
  assert_same(candidates("lab..ho", env), { "lab..host" })
end)

test("module names complete after require", function()
  local env = lab_env()
  local embedded = { "lab.net", "lab.nodes", "labsh.repl", "labsh.pretty" }
  assert_same(candidates('require "lab.n', env, embedded), { "lab.net", "lab.nodes" })
  assert_same(candidates("local r = require('labsh.rep", env, embedded), { "labsh.repl" })
  -- "labsh.comp": labsh.columns, loaded by the pretty printer, also starts with "labsh.c"
  assert_same(candidates('require"labsh.comp', env, embedded), { "labsh.complete" })
  assert_same(candidates('require "strin', env), { "string" })
end)

test("package.preload names complete after require", function()
  package.preload["spec.only.module"] = function() end
  assert_same(candidates('require "spec.o', {}), { "spec.only.module" })
  package.preload["spec.only.module"] = nil
end)

test("require is a whole word", function()
  local env = { prequire = print }
  assert_same(candidates('prequire "labsh.c', env), {})
  assert_same(candidates('prequire "pr', env), { "prequire" }, "globals, not modules")
end)

test("declared names complete before their module loads", function()
  local env = { lab = setmetatable({}, { __modules = { "sys" } }) }
  local declared = { "lab", "lab.sys", "lab.sys.pid", "lab.sys.hostname", "lab.Node:start" }
  assert_same(complete.candidates("lab.sys.", env, nil, declared), { "lab.sys.hostname", "lab.sys.pid" })
  assert_same(complete.candidates("lab.sys.p", env, nil, declared), { "lab.sys.pid" })
  assert_same(complete.candidates("x = lab.s", env, nil, declared), { "lab.sys" })
end)

test("objects with computed fields complete methods from __methods", function()
  local methods = { exec = function() end, guests = function() end }
  local node = setmetatable({}, { __index = function() error("never called") end, __methods = methods })
  local env = { node = node }
  assert_same(complete.candidates("node:g", env), { "node:guests" })
  assert_same(complete.candidates("node:", env), { "node:exec", "node:guests" })
end)
