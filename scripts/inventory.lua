-- inventory: start and check an inventory of your own.
--
--   labsh -m inventory init     write the built-in homelab to
--                               $XDG_CONFIG_HOME/labsh/inventory.lua (never
--                               over an existing file), to edit from there
--   labsh -m inventory check [FILE]
--                               load FILE (default: the inventory labsh
--                               uses, --inventory FILE) and report
--
-- --dry-run (before or after -m inventory) says what init would write and
-- writes nothing.
--
-- Exit status: 0 done, 1 refused or invalid, 2 usage.

local cli = require "labsh.cli"

local PARAMS = {
  name = "inventory",
  summary = "start an inventory of your own (init) or check one (check)",
  formats = { "text", "json" },
  commands = {
    { "init", "write the built-in homelab to $XDG_CONFIG_HOME/labsh/inventory.lua (never over a file)" },
    { "check", "load FILE (default: the inventory labsh uses) and report it",
      args = { { "FILE", "an inventory file", key = "file" } } },
  },
  exit = "0 done, 1 refused or invalid, 2 usage",
}
local opts = cli.parse({ ... }, PARAMS)

local files = require "labsh.files"
local host = require "labsh.host"

local function fail(message, status)
  io.stderr:write("inventory: ", message, "\n")
  os.exit(status or 1)
end

local function config_file()
  local dir = assert(lab.sys.paths().config, "HOME is not set")
  return dir, dir .. "/inventory.lua"
end

local function write_new_file(path, text)
  local ok, err = files.write_atomically(path, text)
  if not ok then fail(("cannot write %s: %s"):format(path, err)) end
end

-- A line for people, or the same as one JSON document.
local function say(text, data)
  print(cli.json() and lab.json.encode(data, { sort_keys = true }) or text)
end

local function init()
  local directory, path = config_file()
  local existing = io.open(path, "r")
  if existing then
    existing:close()
    fail(("%s exists; labsh will not overwrite it"):format(path))
  end
  if lab.options.dry_run then
    say(("would write %s: the plan's homelab (--dry-run: nothing written)"):format(path), { path = path, written = false })
    return
  end
  host.make_directories(directory)
  write_new_file(path, host.embedded("stdlib/labsh/homelab.lua"))
  say(("wrote %s: the plan's homelab, to edit; labsh uses it from now on"):format(path), { path = path, written = true })
end

local function check()
  local ok, err = pcall(lab.inventory.load, opts.file or lab.inventory.path())
  if not ok then fail(tostring(err)) end
  local summary = lab.inventory.summary()
  if cli.json() then
    summary.warnings = setmetatable(summary.warnings, lab.json.array)
    print(lab.json.encode(summary, { sort_keys = true }))
    return
  end
  print(("%s: %d nodes, %d guests, %d VLANs, %d services"):format(
    summary.file, summary.nodes, summary.guests, summary.vlans, summary.services))
  for _, warning in ipairs(summary.warnings) do print("warning: " .. warning) end
end

local commands = { init = init, check = check }
commands[opts.command]()
