-- labsh.pve_inventory: the inventory as the Proxmox VE cluster has it.
-- lab.inventory.from_pve() makes it the current inventory; the model's
-- live source (lab.capacity.report, lab.sim.fail and n_minus_1 with
-- { source = "live" }) computes on it without changing what is current.
--
-- What comes from the cluster (/cluster/resources, /cluster/status):
--   * the guests on its nodes: name, kind, node, vcpu (maxcpu), ram
--     (maxmem), disk (maxdisk), vmid; HA-managed or not (hastate);
--   * the nodes the inventory lacks: address, CPUs and RAM.
-- What comes from the inventory: everything else, and what the cluster
-- does not know of a guest it already lists (role, VLAN, address, tags,
-- ssh, its HA group). A guest new to the inventory takes its VLAN and
-- address from its config (net0's tag, ipconfig0's or net0's ip); without
-- them it is left out, and said so in the warnings.
-- The result goes through the inventory's own Swift reader and checks.

local pve = require "lab.pve"
local rules = require "labsh.pve"

local inventory = {}

-- Fields an inventory guest keeps when the cluster lists it.
local KEPT = { "role", "vlan", "address", "tags", "ssh", "assumed" }

-- A guest of the validated model as an inventory file writes it: sizes as text.
local function as_written(g)
  local copy = {}
  for k, v in pairs(g) do copy[k] = v end
  copy.ram, copy.disk = tostring(g.ram), tostring(g.disk)
  return copy
end

-- The cluster's HA manager looks after the guest (hastate set, not ignored).
local function ha_managed(r)
  return type(r.hastate) == "string" and r.hastate ~= "" and r.hastate ~= "ignored"
end

-- VLAN and address of a guest the inventory does not list, from its config.
local function from_config(client, r)
  local kind = r.type == "lxc" and "lxc" or "qemu"
  local ok, config = pcall(client.get, client, ("/nodes/%s/%s/%d/config"):format(rules.segment(r.node), kind, r.vmid))
  if not ok or type(config) ~= "table" then return nil, nil end
  local net0 = tostring(config.net0 or "")
  local ip = tostring(config.ipconfig0 or ""):match("ip=([%d%.:a-fA-F]+)") or net0:match("ip=([%d%.:a-fA-F]+)")
  return tonumber(net0:match("tag=(%d+)")), ip
end

-- The inventory's guest `g` as the cluster runs it (`r`).
local function guest_of(r, g, client, notes, haveGroups)
  local guest = {
    name = r.name or ("vm" .. r.vmid), kind = r.type == "lxc" and "lxc" or "vm", node = r.node,
    vcpu = math.max(1, math.tointeger(r.maxcpu) or 1), ram = tostring(math.tointeger(r.maxmem) or 0),
    disk = tostring(math.tointeger(r.maxdisk) or 0), vmid = r.vmid,
  }
  if g then
    for _, key in ipairs(KEPT) do guest[key] = g[key] end
  else
    guest.vlan, guest.address = from_config(client, r)
    if not (guest.vlan and guest.address) then
      notes[#notes + 1] = ("guest %s (VMID %d on %s): not in the inventory and its config names no VLAN tag "
        .. "and address (net0 tag=, ipconfig0 ip=): left out; add it to the inventory"):format(guest.name, r.vmid, r.node)
      return nil
    end
  end
  if ha_managed(r) then
    guest.ha_group = g and g.ha_group
    if not guest.ha_group then
      if haveGroups then
        notes[#notes + 1] = ("guest %s: HA-managed in the cluster but given no ha_group in the inventory: "
          .. "modelled without HA"):format(guest.name)
      else
        guest.ha_group = "proxmox"
      end
    end
  end
  return guest
end

-- A node of the cluster the inventory lacks, as an inventory node: its
-- kind and role as the inventory's other members of the cluster (`like`)
-- have them, never a name labsh would assume.
local function node_of(r, member, cluster_name, like)
  local cores = math.max(1, math.tointeger(r.maxcpu) or 1)
  return { name = r.node, kind = like and like.kind or "hypervisor", role = like and like.role or "hypervisor",
           os = "Proxmox VE", cluster = cluster_name,
           address = member.ip, cpu = { model = "unknown", cores = cores, threads = cores },
           ram = tostring(math.tointeger(r.maxmem) or 0) }
end

--- The inventory `base` (lab.inventory.current()) and its Swift model
--- `handle` with the cluster's guests. Returns data, warnings, handle and
--- what came from where: {guests =, nodes_added =, left_out =, matched_by_name =}.
function inventory.build(base, handle, client)
  client = client or pve.client()
  local status = pve.status(client)
  local members = {}
  for _, n in ipairs(status.nodes) do members[n.name] = n end
  local known_nodes, like = {}, nil
  for _, n in ipairs(base.nodes) do
    known_nodes[n.name] = true
    if members[n.name] and not like then like = n end
  end
  local inventory_guest = require("labsh.pve_model").matcher(base.guests or {})
  local haveGroups = base.ha_groups ~= nil and #base.ha_groups > 0
  local guests, nodes, notes, taken = {}, {}, {}, {}
  local origin = { guests = 0, nodes_added = {}, left_out = {}, matched_by_name = {} }
  -- Guests of nodes outside the cluster are not Proxmox's: they stay.
  for _, g in ipairs(base.guests or {}) do
    if not members[g.node] then guests[#guests + 1] = as_written(g) end
  end
  local resources = pve.resources(nil, client)
  for _, r in ipairs(resources) do
    if r.type == "node" and members[r.node] and not known_nodes[r.node] then
      if members[r.node].ip then
        nodes[#nodes + 1] = node_of(r, members[r.node], status.name, like)
        origin.nodes_added[#origin.nodes_added + 1] = r.node
      else
        notes[#notes + 1] = ("node %s: in the cluster, not in the inventory, and /cluster/status gives no ip: left out")
          :format(r.node)
      end
    end
  end
  local added = {}
  for _, n in ipairs(nodes) do added[n.name] = true end
  for _, r in ipairs(resources) do
    if (r.type == "qemu" or r.type == "lxc") and r.template ~= 1 then
      local g = inventory_guest(r)
      if g and not g.vmid then origin.matched_by_name[#origin.matched_by_name + 1] = g.name end
      local guest = (known_nodes[r.node] or added[r.node]) and guest_of(r, g, client, notes, haveGroups)
      if guest then
        if g then taken[g] = true end
        guests[#guests + 1] = guest
        origin.guests = origin.guests + 1
      else
        if not (known_nodes[r.node] or added[r.node]) then
          notes[#notes + 1] = ("guest %s (VMID %d): its node %s is in neither the inventory nor the cluster's status: left out")
            :format(tostring(r.name), r.vmid, r.node)
        end
        origin.left_out[#origin.left_out + 1] = r.name or ("VMID " .. r.vmid)
      end
    end
  end
  -- The inventory's guests on cluster nodes that the cluster does not have.
  for _, g in ipairs(base.guests or {}) do
    if members[g.node] and not taken[g] then
      notes[#notes + 1] = ("guest %s: in the inventory on %s, not in the cluster: left out"):format(g.name, g.node)
    end
  end
  local data, warnings, model = rules.inventory(handle, { guests = guests, nodes = nodes }, "proxmox")
  for _, note in ipairs(notes) do warnings[#warnings + 1] = "proxmox: " .. note end
  return data, warnings, model, origin
end

--- The model of `base` with the cluster's guests, for lab.capacity and
--- lab.sim's source = "live", and where its figures come from:
--- {nodes =, guests =, warnings =}.
function inventory.live(base, handle)
  local client = pve.client()
  local _, warnings, model, origin = inventory.build(base, handle, client)
  local url = client.config.servers[client.current].url
  local nodes = "inventory"
  if #origin.nodes_added > 0 then
    nodes = ("inventory, proxmox %s (%s)"):format(url, table.concat(origin.nodes_added, ", "))
  end
  return model, { nodes = nodes, guests = ("proxmox %s /cluster/resources (%d guests, HA from hastate)")
    :format(url, origin.guests), warnings = warnings }
end

return inventory
