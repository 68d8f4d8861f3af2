-- labsh.state: where labsh keeps what it remembers between runs (the job
-- database, the audit log, run-due's mark, the REPL's history).
--
-- What is in it decides what labsh does next and records what it did, so
-- the directory must be the user's alone: it is made 0700, and one that
-- others could write to or that belongs to someone else is refused.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local state = {}

--- The state directory, lab.sys.locations().state ($LABSH_STATE_DIR, else
--- $XDG_STATE_HOME/labsh, else ~/.local/state/labsh; under -E the last);
--- made 0700 where missing. Raises an error naming the directory and the fix
--- when it is not the user's or others may write to it.
function state.dir()
  local dir = lab.sys.locations().state
  if not dir then host.fail("state", "no state directory: set LABSH_STATE_DIR or HOME") end
  filesystem.state_directory(dir)
  return dir
end

--- Checks a SQLite database of the state directory before SQLite opens it
--- by name: the file (made 0600 if missing) and its -wal and -shm
--- companions must be the user's, not symbolic links, not writable by
--- others. Returns `path`.
function state.check_database(path)
  filesystem.state_file(path)
  filesystem.state_file(path .. "-wal", { create = false })
  filesystem.state_file(path .. "-shm", { create = false })
  return path
end

return state
