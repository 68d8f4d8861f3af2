-- lab.inventory: which inventory labsh works on, and loading it.
--
-- The inventory is a Lua file that returns a table (stdlib/meta/inventory.d.lua
-- declares its fields). It is found, in order, at: --inventory FILE,
-- $LABSH_INVENTORY, $XDG_CONFIG_HOME/labsh/inventory.lua; without any of
-- them labsh uses the plan's homelab built into it (labsh.homelab).

local inventory = {}

-- The validator (Swift): the built-in homelab is validated already, so a
-- query of it need not load this.
local function model() return require "labsh.model" end

local current  -- { file =, data = <validated model>, warnings =, model = <Swift side> }

-- Before the current inventory is replaced: refused to a library script
-- (it runs on the operator's inventory), and the host's checks read the new one.
local function inventory_changes(how) require("labsh.capabilities").inventory_changes(how) end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

--- The inventory file labsh uses, or nil for the built-in homelab.
function inventory.path()
  local paths = require "labsh.locations"  -- lab.sys.locations(), without building lab.sys
  local chosen = lab.options.inventory or paths.inventory
  if chosen and chosen ~= "" then return chosen end
  local config = paths.config and paths.config .. "/inventory.lua"
  if config and exists(config) then return config end
  return nil
end

-- Makes the inventory at `path` (nil: the built-in one) the current one.
local function open(path)
  local data, warnings, handle, name, extra
  if path then
    name = path
    extra, data, warnings, handle = require("labsh.inventory_file").load(path)
  else
    -- Validated when labsh was built (tools/homelab-model.lua); its
    -- sections are read on first use (inventory.section), its Swift side
    -- made on first use (inventory.model).
    name = "(built-in homelab)"
    local built = require "labsh.homelab_model"
    data, warnings = {}, built.warnings
    extra = { unread = {} }
    for _, section in ipairs(built.sections) do extra.unread[section] = true end
  end
  current = { file = name, data = data, warnings = warnings, model = handle, unread = extra.unread,
              jobs = extra.jobs, ansible = extra.ansible, built_in = path == nil }
end

--- Loads and validates an inventory (the built-in one when `path` is nil)
--- and makes it the current one. Raises an error object of kind "inventory"
--- listing every problem. Returns a summary.
function inventory.load(path)
  inventory_changes("lab.inventory.load")
  open(path)
  return inventory.summary()
end

-- Makes a section of the built-in homelab not read yet.
local function read_section(name)
  current.data[name] = require("labsh.homelab_model." .. name)()
  current.unread[name] = nil
end

--- The current inventory's `jobs` section (lab.job specs), or {}.
function inventory.jobs()
  inventory.current()
  -- the built-in homelab's jobs are not part of its model: read when asked
  if current.built_in and not current.jobs then current.jobs = require("labsh.homelab_jobs") end
  return current.jobs or {}
end

--- The current inventory's maintenance windows (§5.3) as the model
--- validated them: name, schedule, duration in seconds, notes; or {}.
function inventory.maintenance()
  return require("labsh.schedule").windows(inventory.model())
end

--- Loads an Ansible inventory (INI or YAML, with group_vars/ and host_vars/)
--- as the current inventory, as `--inventory FILE` does: its hosts become
--- nodes and guests, what labsh needs beyond Ansible comes from labsh_*
--- variables and the labsh.yml overlay beside it (lab.ansible.load). With
--- `base` (an inventory table or lab.inventory.model()), the older import:
--- site, VLANs and policy from `base`. Returns a summary, like load.
function inventory.from_ansible(path, base)
  inventory_changes("lab.inventory.from_ansible")
  local data, warnings, handle, extra
  if base == nil then
    extra, data, warnings, handle = require("labsh.inventory_file").load_ansible(path)
  else
    data, warnings, handle = model().validate(lab.ansible.to_inventory(path, base), path)
    extra = {}
  end
  current = { file = path, data = data, warnings = warnings, model = handle, ansible = extra.ansible }
  return inventory.summary()
end

--- Makes the Proxmox VE cluster's guests (and the nodes the inventory lacks)
--- the current inventory's, from /cluster/resources: everything else, the
--- `proxmox` section too, stays the current inventory's (labsh.pve_inventory
--- says which fields come from where). Validated by the inventory's reader;
--- what was left out is in the summary's warnings. Returns a summary, like load.
function inventory.from_pve()
  inventory_changes("lab.inventory.from_pve")
  local base, file = inventory.current(), current.file
  local data, warnings, handle, origin = require("labsh.pve_inventory").build(base, inventory.model())
  current = { file = file .. " + proxmox", data = data, warnings = warnings, model = handle, jobs = inventory.jobs(),
              pve = origin }
  return inventory.summary()
end

--- The model lab.capacity and lab.sim compute on, and where its figures
--- come from ({nodes =, guests =}): `source` "inventory" (the default: no
--- network) or "live", the current inventory with the Proxmox VE cluster's
--- guests, allocations and HA state (labsh.pve_inventory; needs `proxmox`).
function inventory.model_from(source, func)
  if source == nil or source == "inventory" then
    return inventory.model(), { nodes = "inventory", guests = "inventory" }
  elseif source == "live" then
    return require("labsh.pve_inventory").live(inventory.current(), inventory.model())
  end
  error(("%s: source must be \"inventory\" or \"live\", not %s"):format(func or "lab.inventory.model_from",
    require("labsh.blame").shown(source)), 3)
end

--- The current inventory's model, loading the configured one on first use.
function inventory.current()
  if not current then open(inventory.path()) end
  if current.unread then
    for name in pairs(current.unread) do read_section(name) end
    current.unread = nil
  end
  return current.data
end

--- One section of the current inventory's model (`nodes`, `vlans`...), as
--- inventory.current()[name]; a query of nodes need not make the rest.
function inventory.section(name)
  if not current then open(inventory.path()) end
  if current.unread and current.unread[name] then read_section(name) end
  return current.data[name]
end

--- The Swift side of the current inventory (policy decisions), for lab.net.
function inventory.model()
  inventory.current()
  if not current.model then
    -- its own copy of the source: what a script changed in require's is not the homelab
    local _, _, handle = model().validate(model().builtin(), current.file)
    current.model = handle
  end
  return current.model
end

--- What is loaded: file, counts and warnings.
function inventory.summary()
  local data = inventory.current()
  return {
    file = current.file,
    nodes = #data.nodes,
    guests = #data.guests,
    vlans = #data.vlans,
    services = #data.services,
    warnings = current.warnings,
    ansible = current.ansible,  -- {reader =, overlay =} for an Ansible inventory
    pve = current.pve,          -- from_pve: {guests =, nodes_added =, left_out =, matched_by_name =}
  }
end

return inventory
