-- The `lab` namespace and its declarations (stdlib/meta/lab.d.lua) must
-- match both ways: nothing bound without a declaration, nothing declared
-- that is not there. Runs under labsh only (`lab` is labsh's global).

local help = require "labsh.help"
local host = require "labsh.host"

local function declarations()
  local parts = {}
  for _, path in ipairs(host.embedded_paths()) do
    if path:match("^stdlib/meta/.*%.d%.lua$") then parts[#parts + 1] = host.embedded(path) end
  end
  return help.parse(table.concat(parts, "\n"))
end

-- Every name reachable from `lab`, loading every lazy submodule on the way.
local function bound_names()
  local names = {}
  local function walk(value, name, depth)
    names[name] = true
    if type(value) ~= "table" or depth > 3 then return end
    if name == "lab.options" then return end  -- data, declared as a class
    for key, child in next, value do
      if type(key) == "string" then walk(child, name .. "." .. key, depth + 1) end
    end
  end
  for _, module in ipairs(getmetatable(lab).__modules) do
    local _ = lab[module]  -- load it
  end
  walk(lab, "lab", 0)
  return names
end

test("every binding is declared", function()
  local decls = declarations()
  local missing = {}
  for name in pairs(bound_names()) do
    if not decls[name] then missing[#missing + 1] = name end
  end
  table.sort(missing)
  assert_eq(table.concat(missing, ", "), "", "bound but not declared")
end)

-- Classes (lab.Node, lab.Options) describe values, not fields of `lab`.
local function is_class_member(name)
  return name:match("^lab%.%u") ~= nil
end

test("every declaration is bound", function()
  local bound = bound_names()
  local extra = {}
  for _, name in ipairs(declarations().order) do
    if (name:match("^lab[%.:]") or name == "lab") and not is_class_member(name) then
      if not bound[name] then extra[#extra + 1] = name end
    end
  end
  table.sort(extra)
  assert_eq(table.concat(extra, ", "), "", "declared but not bound")
end)

test("declared methods of lab.Node exist, and only those", function()
  local node = lab.nodes()[1]
  local declared, missing = {}, {}
  for _, name in ipairs(declarations().order) do
    local method = name:match("^lab%.Node:(.+)$")
    if method then
      declared[method] = true
      if type(node[method]) ~= "function" then missing[#missing + 1] = method end
    end
  end
  for method in next, getmetatable(node).__methods do
    if not declared[method] then missing[#missing + 1] = "undeclared " .. method end
  end
  table.sort(missing)
  assert_eq(table.concat(missing, ", "), "", "lab.Node methods")
end)

test("help() reads the declarations", function()
  local decls = declarations()
  local text = help.help(lab.sys.pid, decls)
  assert(text:find("lab.sys.pid()", 1, true), text)
  assert(text:find("Process id of this labsh.", 1, true), text)
  local overview = help.help(nil, decls)
  assert(overview:find("lab.sys", 1, true), overview)
end)

test("lazy submodules are listed but not loaded until used", function()
  local names = getmetatable(lab).__modules
  assert(#names >= 1)
  for _, name in ipairs(names) do
    assert_eq(type(name), "string", "module name")
  end
end)

test("a Swift module loads on first use inside a coroutine too", function()
  local out, rc = run_labsh([[-e "print(coroutine.wrap(function() return type(lab.ipam.contains) end)())"]])
  assert_eq(rc, 0)
  assert_eq(out, "function\n")
end)

test("Swift objects come back to the coroutine that asked for them", function()
  local handle = coroutine.wrap(function()
    local _, _, model = require("labsh.model").validate(require "labsh.homelab", "homelab")
    return model
  end)()
  assert_eq(type(handle), "userdata")
  assert_eq(coroutine.wrap(function() return (lab.net.allows("management", "k8s", 22)) end)(), true)
end)
