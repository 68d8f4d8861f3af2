-- labsh.declaration: a manifest's `requires` declared to the host
-- (labsh.script, and a playbook's play). The host resolves its selectors
-- (CapabilitySelectors.swift) against the script's arguments as the
-- command line gave them and the inventory as it validated it: nothing a
-- script could change before it declares.

local capabilities = require "labsh.capabilities"

-- Whether a list of `requires` names a place of the inventory
-- ("monitoring:NAME", "proxmox", "target:NAME"), read raw as the host reads it.
local function names_inventory_in(list)
  if type(list) ~= "table" then return false end
  for _, entry in next, list do
    if entry == "proxmox" or (type(entry) == "string" and (entry:find("^monitoring:") or entry:find("^target:"))) then
      return true
    end
  end
  return false
end

-- Whether `requires` names the inventory: only then is it read before the
-- script starts, so a script that reaches nothing, or only what it names
-- itself, starts without it.
local function names_inventory(requires)
  local files = rawget(requires, "files")
  return names_inventory_in(rawget(requires, "net")) or names_inventory_in(rawget(requires, "secrets"))
    or names_inventory_in(rawget(requires, "hosts"))
    or (type(files) == "table" and (names_inventory_in(rawget(files, "read")) or names_inventory_in(rawget(files, "write"))))
end

--- Declares `requires` for the script `name` (`version` may be nil) run
--- with `arguments` (used when there is no script file: -e, the prompt).
return function(name, version, requires, arguments)
  capabilities.declare {
    script = name, version = version, requires = requires, arguments = arguments,
    source = lab.options.script,  -- labsh's own scripts: "@labsh:scripts/..."
    monitoring = type(requires) == "table" and names_inventory(requires) or nil,  -- the host reads the inventory
  }
end
