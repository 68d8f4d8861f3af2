---@meta
-- Declarations of `lab.ansible`: the model as an Ansible YAML inventory and
-- Ansible YAML inventories read back. A test checks that every binding is
-- declared here and every declaration exists.

---Ansible YAML inventories: export the model for `ansible-inventory -i FILE`,
---read one back (`all`, `hosts`, `vars`, nested `children`, ranges such as
---`pve[1:3]`, `node[01:10]`, `rack[a:c]`), turn one into an inventory table.
---Malformed files raise an error object of kind "ansible" with `file` and
---`line`; YAML beyond what inventories use (anchors, aliases, tags other
---than `!unsafe` before a quoted string, block scalars, several documents) is
---refused, naming the line.
lab.ansible = {}

---The current inventory (or `model`, from lab.inventory.model()) as an Ansible
---YAML inventory: every node and guest a host under `all.hosts` with
---`ansible_host` (management or guest address) and vars (kind, role, cluster,
---vlan/vlans, zone, node, vcpu, ram_bytes, host_tags...); groups per kind and
---role (`hypervisor`, `proxmox`, `k8s_master`...), `zone_<zone>` with its
---`vlan_<id>` children. Sorted: the same model gives the same text. Text
---holding a brace is tagged `!unsafe`, so Ansible never expands it as Jinja
---(reading the file back takes the tag as plain text).
---@param model userdata?
---@return string yaml
function lab.ansible.export(model) end

---Reads an Ansible YAML inventory file as Ansible does: `{hosts = {[name] =
---{name, vars, groups}}, groups = {[name] = {name, hosts, children, vars}},
---warnings = {...}}`. A host's vars are what Ansible gives it (all's, then its
---groups' from parent to child, then its own); its groups include those it is
---in through children, without "all" (Ansible's group_names). YAML nulls are
---absent (nil).
---@param path string
---@return table inventory
function lab.ansible.import(path) end

---lab.ansible.import for text instead of a file; `name` goes in error messages.
---@param text string
---@param name string?
---@return table inventory
function lab.ansible.parse(text, name) end

---An Ansible YAML inventory as an inventory table (the format of inventory
---files), to check with lab.inventory's validation. A host with kind "vm" or
---"lxc", or a `node` var, becomes a guest (it needs node, vcpu, ram_bytes,
---disk_bytes); every other host a node, its kind from its `kind` var or its
---group names (`proxmox` → hypervisor, `switches` → switch). The address is
---`ansible_host` (an error naming the host if it is missing or not an IP).
---Ansible has no site, VLANs or firewall policy: they come from `base`, an
---inventory table or a lab.inventory.model(), by default the current inventory.
---@param path string
---@param base table|userdata?
---@return table inventory
function lab.ansible.to_inventory(path, base) end
