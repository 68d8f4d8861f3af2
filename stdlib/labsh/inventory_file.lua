-- Reading an inventory file for lab.inventory: a Lua inventory evaluated
-- in a sandbox, or an Ansible one imported; both validated by labsh.model.

local model = require "labsh.model"

local inventory_file = {}

-- An inventory file is data, and may come from anyone: it is evaluated in
-- a Lua state of its own (labsh.sandbox, Sources/CLuaShim/sandbox.c) with
-- only the pure libraries (base without load/dofile/print, string without
-- dump, table, math, utf8), within a time and memory budget, and what it
-- returns must be plain data (strings, numbers, booleans, tables). Nothing
-- it changes there is seen here.
local BUDGET = { seconds = 2, bytes = 256 * 1024 * 1024 }

-- Point each error at its line in the file: "file:12: nodes[3].ram: ...".
local function with_lines(err, path, text)
  if type(err) ~= "table" or err.kind ~= "inventory" then return err end
  local locate = require "labsh.locate"  -- only on this path: errors are rare
  local lines = locate.lines(text)
  local prefix = path .. ": "
  local function annotate(message)
    if message:sub(1, #prefix) ~= prefix then return message end
    local rest = message:sub(#prefix + 1)
    local line = locate.line(lines, rest:match("^(.-): ") or "")
    return line and ("%s:%d: %s"):format(path, line, rest) or message
  end
  local messages = {}
  for i, message in ipairs(err.errors or { err.message }) do messages[i] = annotate(message) end
  err.errors = messages
  err.message = table.concat(messages, "\n")
  return err
end

local function fail(message, path)
  require("labsh.host").fail("inventory", message, { file = path })
end

-- A job of an inventory names what it runs: a function cannot come out
-- of the sandbox, so say where such a job belongs.
local function with_job_hint(err)
  if type(err) == "table" and err.reason == "data" and err.message:match(": jobs%[%d+%][^:]*: function values") then
    err.message = err.message .. " (an inventory's job runs a script: run = \"NAME\" or {NAME, args...}; "
      .. "a job that runs a function belongs in a job file, jobs/NAME.lua)"
  end
  return err
end

-- An Ansible inventory (INI or YAML) is told from a Lua one by its name,
-- else by its content: a Lua inventory returns its table (`return {`, or
-- `return` starting a line) or starts with a Lua comment or `local`.
local function is_lua(text)
  return text:find("%f[%w_]return%s*[{(]") or text:find("^%s*return%f[^%w_]") or text:find("\n%s*return%f[^%w_]")
    or text:find("^%s*%-%-") or text:find("^%s*local%s")
end

local function is_ansible(path, text)
  if path:match("%.lua$") then return false end
  if path:match("%.ya?ml$") or path:match("%.ini$") or path:match("%.json$") then return true end
  return not is_lua(text)
end

--- Reads an Ansible inventory (lab.ansible.load: through ansible-inventory
-- when installed, with group_vars/, host_vars/ and a labsh.yml overlay) and
--- validates the inventory it makes. Notes (vault variables left unread...)
--- join the warnings. Returns extra ({ansible =}), data, warnings, handle.
function inventory_file.load_ansible(path)
  local imported = lab.ansible.load(path)
  local data, warnings, handle = model.validate(imported.inventory, path)
  for _, note in ipairs(imported.notes) do warnings[#warnings + 1] = path .. ": " .. note end
  for _, warning in ipairs(imported.warnings) do warnings[#warnings + 1] = path .. ": " .. warning end
  return { ansible = { reader = imported.reader, overlay = imported.overlay } }, data, warnings, handle
end

--- Evaluates an inventory file in the sandbox and validates what it returns;
--- an Ansible inventory goes through its import instead. Returns extra
--- ({jobs =} or {ansible =}), data, warnings, handle; raises an error object
--- of kind "inventory" pointing at the file's lines.
function inventory_file.load(path)
  local text = require("labsh.files").read(path)
  if not text then
    local _, reason = io.open(path, "r")
    fail(("cannot read inventory %s"):format(reason or path), path)
  end
  if is_ansible(path, text) then return inventory_file.load_ansible(path) end
  local sandbox = require "labsh.sandbox"
  local results = table.pack(pcall(sandbox.inventory, text, path, BUDGET.seconds, BUDGET.bytes))
  if not results[1] then error(with_lines(with_job_hint(results[2]), path, text), 0) end
  if results.n == 1 then fail(path .. ": evaluation stopped", path) end  -- a stop held back by labsh
  local data, warnings, handle, jobs = table.unpack(results, 2, results.n)
  return { jobs = jobs }, data, warnings, handle
end

return inventory_file
