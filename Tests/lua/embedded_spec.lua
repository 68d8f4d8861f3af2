-- The stdlib as labsh embeds it (Sources/EmbedTool): bytecode in a 7-bit
-- form put together again while Lua reads it (Sources/CLuaShim/embedded.c),
-- without local variable names (EmbedTool/LocalNames.swift). Every module
-- must load from it, and tracebacks must still point at stdlib lines.
-- Runs under labsh only.

local function stdlib_modules()
  local names = {}
  local list = assert(io.popen("cd stdlib && find lab labsh -name '*.lua' | sort"))
  for path in list:lines() do
    names[#names + 1] = (path:gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", "."))
  end
  list:close()
  assert(#names > 40, "found only " .. #names .. " stdlib files")
  return names
end

test("every stdlib module loads from the embedded bytecode", function()
  assert(os.getenv("LABSH_PATH") == nil, "LABSH_PATH would load the files, not the embedded copies")
  for _, name in ipairs(stdlib_modules()) do
    local ok, module, from = pcall(require, name)
    assert(ok, name .. ": " .. tostring(module))
    assert(from == nil or from:match("^:swift:") or from:match("^stdlib/"), name .. " came from " .. tostring(from))
  end
end)

test("a traceback into the stdlib names its file and line", function()
  local ok, trace = xpcall(lab.node, debug.traceback, "no-such-node")
  assert(not ok)
  assert(trace:find("labsh:stdlib/labsh/query.lua:%d+: in "), trace)
end)
