local help = require "labsh.help"

local DECLARATIONS = [[
---@meta
---The labsh namespace: the homelab and its live connections.
lab = {}
---labsh version string, e.g. "0.1.0".
---@type string
lab.version = ""
---Process and host facts.
lab.sys = {}
---Process id of this labsh, cached at start.
---@return integer pid
function lab.sys.pid() end

---Fetch a URL.
---
---Raises an error object on failure.
---@param url string the address
---@param opts? table<string, any> # timeout, headers
---@return lab.Response response
---@return string|nil # the error message
function lab.http.get(url,opts) end

-- A plain comment ends a doc block.
---Forgotten text.

lab.undocumented = 0

---A node in the inventory.
---@class lab.Node : lab.Object
---@field name string host name
---@field cpus integer
local Node = {}
---Start it.
---@param force? boolean
function Node:start(force) end
]]

local decls = help.parse(DECLARATIONS)

-- A live `lab` holding some of the declared values.
local function live_lab()
  local lab = { version = "0.1.0", sys = { pid = function() return 1 end } }
  lab.http = { get = function() end }
  return lab
end

test("parse finds every declaration in order", function()
  assert_same(decls.order, { "lab", "lab.version", "lab.sys", "lab.sys.pid",
    "lab.http.get", "lab.undocumented", "lab.Node", "lab.Node:start" })
end)

test("parse collects signature, doc, params and returns", function()
  local pid = decls["lab.sys.pid"]
  assert_eq(pid.name, "lab.sys.pid")
  assert_eq(pid.signature, "lab.sys.pid()")
  assert_eq(pid.doc, "Process id of this labsh, cached at start.")
  assert_same(pid.params, {})
  assert_same(pid.returns, { { type = "integer", name = "pid", desc = "" } })

  local get = decls["lab.http.get"]
  assert_eq(get.signature, "lab.http.get(url, opts)")
  assert_eq(get.doc, "Fetch a URL.\n\nRaises an error object on failure.")
  assert_same(get.params, {
    { name = "url", type = "string", desc = "the address" },
    { name = "opts?", type = "table<string, any>", desc = "timeout, headers" },
  })
  assert_same(get.returns, {
    { type = "lab.Response", name = "response", desc = "" },
    { type = "string|nil", name = "", desc = "the error message" },
  })
end)

test("values show their type; detached comments are not docs", function()
  assert_eq(decls["lab.version"].signature, "lab.version: string")
  assert_eq(decls["lab"].signature, "lab")
  assert_eq(decls["lab.undocumented"].signature, "lab.undocumented: integer")
  assert_eq(decls["lab.undocumented"].doc, "")
end)

test("classes and their methods are entries", function()
  assert_eq(decls["lab.Node"].signature, "class lab.Node : lab.Object")
  assert_eq(decls["lab.Node:start"].signature, "lab.Node:start(force)")
end)

test("render shows signature, description, parameters, returns", function()
  assert_eq(help.render(decls["lab.http.get"]), table.concat({
    "lab.http.get(url, opts)",
    "",
    "Fetch a URL.",
    "",
    "Raises an error object on failure.",
    "",
    "Parameters:",
    "  url    string              the address",
    "  opts?  table<string, any>  timeout, headers",
    "",
    "Returns:",
    "  lab.Response  response",
    "  string|nil              the error message",
  }, "\n"))
  assert_eq(help.render(decls["lab.Node"]), table.concat({
    "class lab.Node : lab.Object",
    "",
    "A node in the inventory.",
    "",
    "Fields:",
    "  name  string   host name",
    "  cpus  integer",
  }, "\n"))
end)

test("find_name walks loaded fields, shortest name first", function()
  local lab = live_lab()
  lab.alias = { deeper = { pid = lab.sys.pid } }
  assert_eq(help.find_name(lab.sys.pid, lab, "lab"), "lab.sys.pid")
  assert_eq(help.find_name(lab, lab, "lab"), "lab")
  assert_eq(help.find_name(print, lab, "lab"), nil)
end)

test("find_name stops at depth 4, survives cycles, loads nothing", function()
  local target = function() end
  local loads = 0
  local lab = setmetatable({ a = { b = { c = { d = { e = target } } } } },
                           { __index = function() loads = loads + 1 end })
  lab.a.b.c.x = target
  lab.a.self = lab
  assert_eq(help.find_name(target, lab, "lab"), "lab.a.b.c.x")
  lab.a.b.c.x = nil
  assert_eq(help.find_name(target, lab, "lab"), nil, "lab.a.b.c.d.e is too deep")
  assert_eq(loads, 0)
end)

-- Issue 15: types (classes) are listed apart from values, since there is
-- no lab.Node to use; they used to be mixed in with lab's fields.
test("help() gives an overview of lab", function()
  assert_eq(help.help(nil, decls, live_lab()), table.concat({
    "The labsh namespace: the homelab and its live connections.",
    "",
    '  lab.version       labsh version string, e.g. "0.1.0".',
    "  lab.sys           Process and host facts.",
    "  lab.undocumented",
    "",
    'Types (what functions take and return; help("lab.Node") describes one):',
    "  lab.Node  A node in the inventory.",
    "",
    'help(lab.x) or help("lab.x.y") describes one entry.',
  }, "\n"))
end)

test("help(value) finds the value's name", function()
  local lab = live_lab()
  assert_eq(help.help(lab.sys.pid, decls, lab), help.render(decls["lab.sys.pid"]))
  assert_eq(help.help(lab.sys, decls, lab), table.concat({
    "lab.sys",
    "",
    "Process and host facts.",
    "",
    "Members:",
    "  lab.sys.pid  Process id of this labsh, cached at start.",
  }, "\n"))
end)

test("help(object) uses the class its metatable names", function()
  local node = setmetatable({}, { __name = "lab.Node" })
  local text = help.help(node, decls, live_lab())
  assert_eq(text:match("^[^\n]*"), "class lab.Node : lab.Object")
  assert_eq(text:match("Members:\n(.*)$"), "  lab.Node:start  Start it.")
end)

test("help(\"name\") looks the name up", function()
  assert_eq(help.help("lab.sys.pid", decls, {}), help.render(decls["lab.sys.pid"]))
end)

test("unknown things get a friendly answer", function()
  local lab = live_lab()
  assert_eq(help.help("lab.nope", decls, lab), "no help for lab.nope; help() lists what is documented")
  assert_eq(help.help("order", decls, lab), "no help for order; help() lists what is documented")
  assert_eq(help.help(print, decls, lab), "no help for this function value; help() lists what is documented")
  lab.extra = {}
  assert_eq(help.help(lab.extra, decls, lab), "no help for lab.extra; help() lists what is documented")
end)
