-- labsh.state: where labsh keeps what it remembers between runs (the job
-- database, the audit log, run-due's mark).

local state = {}

--- $LABSH_STATE_DIR, else $XDG_STATE_HOME/labsh, else ~/.local/state/labsh.
function state.dir()
  local dir = os.getenv("LABSH_STATE_DIR")
  if dir and dir ~= "" then return dir end
  local base = os.getenv("XDG_STATE_HOME")
  if not base or base == "" then base = (os.getenv("HOME") or "") .. "/.local/state" end
  return base .. "/labsh"
end

return state
