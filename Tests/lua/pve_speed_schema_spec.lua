-- The API schema read as calls need it (labsh.pve skims the embedded text
-- and parses one path's part on first use) says the same as the whole
-- schema decoded by lab.json: every path, every method, every parameter
-- with its type and whether it is required, every return type. A path
-- whose text the skim cut wrongly would fail to parse or lose operations.
-- Runs under labsh only.

local rules = require "labsh.pve"

local root = os.getenv("LABSH_ROOT") or "."

local function whole_schema()
  local f = assert(io.open(root .. "/schemas/pve-api-9.1.json", "rb"))
  local text = f:read("a")
  f:close()
  return lab.json.decode(text)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function truthy(value) return value == 1 or value == "1" or value == true end

test("every path's operations, parameters and return types are the whole schema's", function()
  local paths, checked = whole_schema().paths, 0
  for _, template in ipairs(sorted_keys(paths)) do
    -- A template names itself: its {variables} are literal segments here.
    local help = rules.help(template)
    for _, method in ipairs(sorted_keys(paths[template])) do
      local op = paths[template][method]
      local head = ("parameters of %s %s:\n"):format(method, template)
      local from = help:find(head, 1, true)
      assert(from, template .. ": no " .. method .. " in\n" .. help)
      local block = help:sub(from + #head):match("^(.-)\n  needs: ")
      local properties = op.parameters and op.parameters.properties or {}
      for _, name in ipairs(sorted_keys(properties)) do
        local p = properties[name]
        local line = block:match("\n?  " .. name:gsub("%p", "%%%0") .. " ([^\n]*)")
        assert(line, ("%s %s: parameter %s missing in\n%s"):format(method, template, name, block))
        assert(line:find("^" .. (p.type or "string")), ("%s %s %s: type %s"):format(method, template, name, line))
        assert_eq(line:find(" required", 1, true) ~= nil, not truthy(p.optional), method .. " " .. template .. " " .. name)
        checked = checked + 1
      end
      if op.returns and op.returns.type then
        assert(help:find("returns: " .. op.returns.type, from, true), template .. " " .. method .. " returns")
      end
    end
  end
  assert(checked > 2500, "the parameters of the whole API: " .. checked)
end)

test("a path that is not in the schema is refused with a suggestion", function()
  local ok, err = pcall(rules.check, "GET", "/cluster/resource")
  assert(not ok)
  assert(tostring(err.message or err):find("no such API path: /cluster/resource (did you mean '/cluster/resources'?)", 1, true),
    tostring(err.message or err))
end)
