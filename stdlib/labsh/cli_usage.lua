-- labsh.cli_usage: the texts of the script contract (labsh.cli): a
-- script's usage for --help and usage errors, and the description the
-- script list shows. labsh.cli loads it when one is shown, so a script that
-- only parses its arguments starts without reading these.

local cli = require "labsh.cli"

local usage = {}

--- The first sentence of a script's first comment paragraph, its "NAME:"
--- left out: the description `labsh -m` lists (Sources/Shell/ScriptList).
function usage.describe(text, name)
  local words = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if not (line:find("^#!") and #words == 0) then
      local body = line:match("^%-%-(.*)$")
      if not body then break end
      body = body:match("^%s*(.-)%s*$")
      if body == "" then
        if #words > 0 then break end
      elseif body:find("^[%[%-]") then
        break
      else
        words[#words + 1] = body
      end
    end
  end
  local sentence = table.concat(words, " ")
  if name and sentence:sub(1, #name + 1) == name .. ":" then sentence = sentence:sub(#name + 2):match("^%s*(.*)$") end
  return sentence:match("^(.-%.) ") or sentence
end

-- The text of script NAME as `-m NAME` finds it: LABSH_PATH, embedded,
-- the XDG and system directories (a script whose main chunk ends in a tail
-- call, `return lab.playbook {...}`, is not on the stack to ask).
local function script_text(name)
  local files, host = require("labsh.files"), require("labsh.host")
  local data = os.getenv("XDG_DATA_HOME") or ((os.getenv("HOME") or "") .. "/.local/share")
  local before, after = {}, { data .. "/labsh", "/usr/local/share/labsh", "/usr/share/labsh" }
  for dir in (os.getenv("LABSH_PATH") or ""):gmatch("[^:]+") do before[#before + 1] = dir end
  local function on_disk(dirs)
    for _, dir in ipairs(dirs) do
      for _, rel in ipairs { name .. ".lua", name .. "/init.lua", "playbooks/" .. name .. ".lua" } do
        local text = files.read(dir .. "/" .. rel)
        if text then return text end
      end
    end
  end
  return on_disk(before) or host.embedded("scripts/" .. name .. ".lua")
    or host.embedded("scripts/playbooks/" .. name .. ".lua") or on_disk(after)
end

-- The description of the running script, from its first comment.
local function own_description(name)
  local text
  if cli.started_by_name() then
    text = script_text(arg[0])
  else
    local path = require("labsh.gate").script()
    text = path and path:sub(1, 6) ~= "labsh:" and require("labsh.files").read(path)
  end
  local sentence = text and usage.describe(text, name)
  return sentence ~= "" and sentence or nil
end

local function arg_words(args)
  local words = {}
  for _, a in ipairs(args or {}) do
    local word = a[1] .. (a.multiple and "..." or "")
    words[#words + 1] = a.required and word or ("[" .. word .. "]")
  end
  return table.concat(words, " ")
end

local function param_lines(lines, params)
  for _, p in ipairs(params or {}) do
    local left = p[2] and (p[1] .. " " .. p[2]) or p[1]
    local default = p.default ~= nil and type(p.default) ~= "table" and (" (default " .. tostring(p.default) .. ")") or ""
    lines[#lines + 1] = ("  %-24s %s%s%s"):format(left, p[3] or "", p.required and " (required)" or "", default)
  end
end

--- The usage text of a script's declaration: the usage line, the one-line
--- summary, commands, arguments, options, global options, exit status.
function usage.usage(decl)
  local formats = decl.formats or { "text" }
  local head = decl.commands and " COMMAND" or ""
  local rest = arg_words(decl.args)
  local lines = { ("usage: labsh -m %s%s [options]%s"):format(decl.name, head, rest ~= "" and (" " .. rest) or "") }
  local summary = decl.summary or own_description(decl.name)
  if summary then lines[#lines + 1] = "  " .. summary end
  if decl.commands then
    lines[#lines + 1] = "commands:"
    for _, c in ipairs(decl.commands) do
      if c.hidden then goto next_command end
      local words = arg_words(c.args)
      for _, p in ipairs(c.params or {}) do
        words = words .. (" [%s%s]"):format(p[1], p[2] and (" " .. p[2]) or "")
      end
      local left = c[1] .. (words ~= "" and (" " .. words:gsub("^ ", "")) or "")
      if #left > 24 then
        lines[#lines + 1] = "  " .. left
        lines[#lines + 1] = ("  %-24s %s"):format("", c[2] or "")
      else
        lines[#lines + 1] = ("  %-24s %s"):format(left, c[2] or "")
      end
      ::next_command::
    end
  end
  if decl.args and #decl.args > 0 then
    lines[#lines + 1] = "arguments:"
    for _, a in ipairs(decl.args) do lines[#lines + 1] = ("  %-24s %s"):format(a[1], a[2] or "") end
  end
  local params = {}
  for _, p in ipairs(decl.params or {}) do params[#params + 1] = p end
  for _, c in ipairs(decl.commands or {}) do
    for _, p in ipairs(c.params or {}) do params[#params + 1] = p end
  end
  if #params > 0 then
    lines[#lines + 1] = "options:"
    param_lines(lines, params)
  end
  lines[#lines + 1] = ("global options (before or after -m %s): --format %s%s"):format(decl.name,
    table.concat(formats, "|"), decl.globals or ", --dry-run, --yes, --inventory FILE")
  if decl.exit then lines[#lines + 1] = "exit status: " .. decl.exit end
  if decl.notes then lines[#lines + 1] = decl.notes end
  return table.concat(lines, "\n")
end

return usage
