-- lab.inventory: which inventory labsh works on, and loading it.
--
-- The inventory is a Lua file that returns a table (stdlib/meta/inventory.d.lua
-- declares its fields). It is found, in order, at: --inventory FILE,
-- $LABSH_INVENTORY, $XDG_CONFIG_HOME/labsh/inventory.lua; without any of
-- them labsh uses the plan's homelab built into it (labsh.homelab).

local model = require "labsh.model"

local inventory = {}

local current  -- { file =, data = <validated model>, warnings =, model = <Swift side> }

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() end
  return f ~= nil
end

--- The inventory file labsh uses, or nil for the built-in homelab.
function inventory.path()
  local paths = lab.sys.locations()
  local chosen = lab.options.inventory or paths.inventory
  if chosen and chosen ~= "" then return chosen end
  local config = paths.config and paths.config .. "/inventory.lua"
  if config and exists(config) then return config end
  return nil
end

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

-- Reads an Ansible inventory (lab.ansible.load: through ansible-inventory
-- when installed, with group_vars/, host_vars/ and a labsh.yml overlay) and
-- validates the inventory it makes. Notes (vault variables left unread...)
-- join the warnings.
local function load_ansible(path)
  local imported = lab.ansible.load(path)
  local data, warnings, handle = model.validate(imported.inventory, path)
  for _, note in ipairs(imported.notes) do warnings[#warnings + 1] = path .. ": " .. note end
  for _, warning in ipairs(imported.warnings) do warnings[#warnings + 1] = path .. ": " .. warning end
  return { ansible = { reader = imported.reader, overlay = imported.overlay } }, data, warnings, handle
end

-- Evaluates an inventory file in the sandbox and validates what it returns;
-- an Ansible inventory goes through its import instead.
local function load_file(path)
  local text = require("labsh.files").read(path)
  if not text then
    local _, reason = io.open(path, "r")
    fail(("cannot read inventory %s"):format(reason or path), path)
  end
  if is_ansible(path, text) then return load_ansible(path) end
  local sandbox = require "labsh.sandbox"
  local results = table.pack(pcall(sandbox.inventory, text, path, BUDGET.seconds, BUDGET.bytes))
  if not results[1] then error(with_lines(with_job_hint(results[2]), path, text), 0) end
  if results.n == 1 then fail(path .. ": evaluation stopped", path) end  -- a stop held back by labsh
  local data, warnings, handle, jobs = table.unpack(results, 2, results.n)
  return { jobs = jobs }, data, warnings, handle
end

--- Loads and validates an inventory (the built-in one when `path` is nil)
--- and makes it the current one. Raises an error object of kind "inventory"
--- listing every problem. Returns a summary.
function inventory.load(path)
  local data, warnings, handle, name, extra
  if path then
    name = path
    extra, data, warnings, handle = load_file(path)
  else
    -- Validated when labsh was built (tools/homelab-model.lua); its Swift
    -- side is made on first use, see inventory.model.
    name = "(built-in homelab)"
    local built = require("labsh.homelab_model")()
    data, warnings = built.data, built.warnings
    extra = {}
  end
  current = { file = name, data = data, warnings = warnings, model = handle,
              jobs = extra.jobs, ansible = extra.ansible, built_in = path == nil }
  return inventory.summary()
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
  local data, warnings, handle, extra
  if base == nil then
    extra, data, warnings, handle = load_ansible(path)
  else
    data, warnings, handle = model.validate(lab.ansible.to_inventory(path, base), path)
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
  if not current then inventory.load(inventory.path()) end
  return current.data
end

--- The Swift side of the current inventory (policy decisions), for lab.net.
function inventory.model()
  inventory.current()
  if not current.model then
    local _, _, handle = model.validate(require "labsh.homelab", current.file)
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
