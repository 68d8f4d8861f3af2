-- labsh.targets: the hosts a playbook acts on, by name, from the
-- inventory's `targets` section (stdlib/meta/inventory.d.lua,
-- Inventory.Target). A playbook never names roles, hosts or VLANs itself:
-- it asks for "hypervisors" or "linux", and the inventory says which hosts
-- those are. A name the inventory leaves out falls back to the default
-- below, chosen by node and guest kind only; a name without a default
-- ("k8s_servers", "k8s_agents") picks no host, so a lab without
-- Kubernetes has none.

local targets = {}

-- Defaults by kind: no default names a role.
targets.defaults = {
  hypervisors = { kind = "hypervisor" },
  linux = { kind = { "hypervisor", "server", "sbc", "vm", "lxc" } },
}

-- A field of a selection as a list: one value or several.
local function as_list(value)
  if value == nil then return nil end
  return type(value) == "table" and value or { value }
end

local function contains(list, value)
  for _, v in ipairs(list) do if v == value then return true end end
  return false
end

--- Whether `host` (a node or guest record) is in `selection`: every field
--- given must match, a list by any of its values.
function targets.matches(selection, host)
  local roles, kinds, tags = as_list(selection.role), as_list(selection.kind), as_list(selection.tag)
  if not (roles or kinds or tags) then return false end
  if roles and not contains(roles, host.role) then return false end
  if kinds and not contains(kinds, host.kind) then return false end
  if tags then
    local any = false
    for _, tag in ipairs(host.tags or {}) do if contains(tags, tag) then any = true end end
    if not any then return false end
  end
  return true
end

--- The selection `name` stands for: the inventory's, else the default,
--- else nil. The second result says where it came from.
function targets.selection(name)
  local own = (lab.inventory.current().targets or {})[name]
  if own then return own, "the inventory's targets." .. name end
  if targets.defaults[name] then return targets.defaults[name], "the default for " .. name end
  return nil, "no target '" .. name .. "' in the inventory"
end

--- The node and guest records of target `name`, in inventory order (nodes
--- first); an empty list when it picks none. Second result: a line saying
--- which selection was used, for "nothing to do" messages.
function targets.hosts(name)
  local selection, source = targets.selection(name)
  local hosts = {}
  if selection then
    for _, node in ipairs(lab.nodes()) do
      if targets.matches(selection, node) then hosts[#hosts + 1] = node end
    end
    for _, guest in ipairs(lab.guests()) do
      if targets.matches(selection, guest) then hosts[#hosts + 1] = guest end
    end
  end
  return hosts, source
end

--- The names of target `name`'s hosts (for a play's `hosts`).
function targets.names(name)
  local hosts, source = targets.hosts(name)
  local names = {}
  for i, host in ipairs(hosts) do names[i] = host.name end
  return names, source
end

--- For a playbook's start: the names of target `name`'s hosts, or nil
--- after saying on stdout that there is nothing to do (the script then
--- returns, exit 0; --help still prints its usage). `playbook` names the
--- script in the message.
function targets.or_nothing(name, playbook)
  local names, source = targets.names(name)
  if #names == 0 then
    require("labsh.playbook").nothing_to_do(playbook,
      ("%s picks no host (set targets.%s in the inventory, see inventory.d.lua)"):format(source, name))
    return nil
  end
  return names
end

return targets
