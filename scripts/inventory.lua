-- inventory: start and check an inventory of your own.
--
--   labsh -m inventory init     write the built-in homelab to
--                               $XDG_CONFIG_HOME/labsh/inventory.lua (never
--                               over an existing file), to edit from there
--   labsh -m inventory check    load the inventory labsh uses and report
--
-- --dry-run (before or after -m inventory) says what init would write and
-- writes nothing.
--
-- Exit status: 0 done, 1 refused or invalid, 2 usage.

require("labsh.cli").refuse_unsupported { name = "inventory" }

local files = require "labsh.files"
local host = require "labsh.host"

local function fail(message, status)
  io.stderr:write("inventory: ", message, "\n")
  os.exit(status or 1)
end

local function config_file()
  local base = os.getenv("XDG_CONFIG_HOME")
  if not base or base == "" then
    base = assert(os.getenv("HOME"), "HOME is not set") .. "/.config"
  end
  return base .. "/labsh", base .. "/labsh/inventory.lua"
end

local function write_new_file(path, text)
  local ok, err = files.write_atomically(path, text)
  if not ok then fail(("cannot write %s: %s"):format(path, err)) end
end

local function init()
  local directory, path = config_file()
  local existing = io.open(path, "r")
  if existing then
    existing:close()
    fail(("%s exists; labsh will not overwrite it"):format(path))
  end
  if lab.options.dry_run then
    print(("would write %s: the plan's homelab (--dry-run: nothing written)"):format(path))
    return
  end
  host.make_directories(directory)
  write_new_file(path, host.embedded("stdlib/labsh/homelab.lua"))
  print(("wrote %s: the plan's homelab, to edit; labsh uses it from now on"):format(path))
end

local function check()
  local ok, err = pcall(lab.inventory.load, lab.inventory.path())
  if not ok then fail(tostring(err)) end
  local summary = lab.inventory.summary()
  print(("%s: %d nodes, %d guests, %d VLANs, %d services"):format(
    summary.file, summary.nodes, summary.guests, summary.vlans, summary.services))
  for _, warning in ipairs(summary.warnings) do print("warning: " .. warning) end
end

local commands = { init = init, check = check }
local command = commands[(...)]
-- an argument this script does not know is refused, never ignored
if not command or select("#", ...) > 1 then
  fail("usage: labsh [--dry-run] -m inventory init|check", 2)
end
command()
