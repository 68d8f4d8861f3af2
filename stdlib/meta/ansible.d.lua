---@meta
-- Declarations of `lab.ansible`: the model as an Ansible YAML inventory and
-- Ansible YAML inventories read back. A test checks that every binding is
-- declared here and every declaration exists.

---Ansible inventories: export the model for `ansible-inventory -i FILE`, read
---an INI or YAML inventory as Ansible does (with `group_vars/` and `host_vars/`
---beside it), turn one into an inventory (`labsh --inventory hosts.ini` does).
---
---Reading goes through Ansible itself, `ansible-inventory -i FILE --list`, when
---it is on PATH ($LABSH_ANSIBLE_INVENTORY names another program; only its yaml
---and ini plugins are enabled, so an executable inventory is never run);
---otherwise through the built-in reader, which a test keeps in agreement with
---Ansible: INI (`[g]`, `[g:vars]`, `[g:children]`, Python-literal values), YAML
---(`all`, `hosts`, `vars`, `children`, anchors, aliases, `<<` merge keys, flow
---mappings, block scalars, `!vault`), host ranges (`pve[1:3]`, `node[01:10]`),
---and group_vars/host_vars files (NAME, NAME.yml, NAME.yaml, NAME.json) and
---directories. Vault-encrypted values are never decrypted: they read as
---`{__ansible_vault = ciphertext}` and an import leaves them unread, with a note
---(a whole vault-encrypted vars file is skipped by the built-in reader).
---Malformed files raise an error object of kind "ansible" with `file` and `line`.
---
---What labsh needs beyond Ansible comes, per host, from the first of: the host
---variable `labsh_FIELD` (labsh_name, labsh_kind, labsh_address, labsh_role,
---labsh_vlan, labsh_vlans, labsh_ram, labsh_vcpu, labsh_disk, labsh_node,
---labsh_storage, labsh_disk_type, labsh_tags, labsh_sudo_password...); the
---overlay's `hosts.HOST.FIELD`, then `groups.GROUP.FIELD`; the plain variable
---`gen ansible` writes (kind, vlan, vlans, ram_bytes, vcpu, disk_bytes,
---storage_bytes, cpu_model/cores/threads, gpus, host_tags, role, cluster...);
---for the kind, a group name with a kind in it (`proxmox`, `pve` →
---hypervisor, `nas`, `servers`, `switches`...); for VLANs, groups named
---`vlan_<id>` or `vlan<id>`, then the overlay's VLAN whose subnet holds the
---address. A host with kind vm or lxc,
---or a node, is a guest. The address is labsh_address, else `ansible_host` or
---the host's name when it is an IP; a name is kept as the ssh host and is
---resolved only with `resolve_names: true` in the overlay.
---
---The overlay is `labsh.yml` (or `labsh.yaml`) beside the inventory, else the
---variable `labsh_overlay` of `all` (`gen ansible` writes it): `site`,
---`vlans`, `policy`, `ssh` (defaults) and any other inventory section, plus
---`hosts:`, `groups:` and `resolve_names:`. Without it: site "homelab" in
---domain home.arpa (or the domain the FQDN host names share:
---lab.example.org for pve1.lab.example.org, with a note), UTC, no VLANs, a
---deny-all policy. An import is never checked against the built-in homelab.
---
---Ansible's connection variables become the host's ssh table: ansible_host (a
---name) → host, ansible_user → user, ansible_port → port,
---ansible_ssh_private_key_file → key "file:PATH"; a become password is never
---copied (set labsh_sudo_password to env:NAME or file:PATH). An imported
---inventory has an `ssh` section, so labsh connects to its hosts.
lab.ansible = {}

---The current inventory (or `model`, from lab.inventory.model()) as an Ansible
---YAML inventory: every node and guest a host under `all.hosts` with
---`ansible_host` (management or guest address) and vars (kind, role, cluster,
---vlan/vlans, zone, node, vcpu, ram_bytes, host_tags...); groups per kind and
---role (`hypervisor`, `proxmox`, `k8s_master`...), `zone_<zone>` with its
---`vlan_<id>` children. `all` carries the variable `labsh_overlay` (site,
---VLANs, policy), so `labsh --inventory` on the export gives back the same
---model: `gen ansible` → import → `gen ansible` is the same text. Sorted: the same model gives the same text. Text
---holding a brace is tagged `!unsafe`, so Ansible never expands it as Jinja
---(reading the file back takes the tag as plain text).
---@param model userdata?
---@return string yaml
function lab.ansible.export(model) end

---Reads an Ansible inventory file (INI or YAML) as Ansible does: `{hosts =
---{[name] = {name, vars, groups}}, groups = {[name] = {name, hosts, children,
---vars}}, warnings = {...}, reader = "ansible"|"builtin"}`. A host's vars are
---what Ansible gives it (all's, then its groups' from parent to child, then
---group_vars/ and host_vars/, then its own); its groups include those it is in
---through children, without "all" (Ansible's group_names). Nulls are absent
---(nil). With ansible-inventory, a group's own `vars` are empty (Ansible merges
---them into the hosts). `opts.reader`: "ansible" or "builtin" (default:
---Ansible when installed).
---@param path string
---@param opts {reader: "ansible"|"builtin"?}?
---@return table inventory
function lab.ansible.import(path, opts) end

---Reads an Ansible inventory and makes the inventory table labsh validates
---(see above for where each field comes from): `{inventory =, notes = {...},
---warnings = {...}, reader =, overlay = PATH?}`. Everything missing (kinds,
---addresses, guests' sizes and VLANs, names that are no host names) is
---raised at once, one line per problem naming all its hosts, with an example
---of the fix. `opts.overlay`: the overlay file instead of labsh.yml beside.
---@param path string
---@param opts {reader: "ansible"|"builtin"?, overlay: string?}?
---@return table imported
function lab.ansible.load(path, opts) end

---The `labsh.yml` overlay of the current inventory (or `model`): its site,
---VLANs and policy, which Ansible has no place for, as a file to keep beside
---an Ansible inventory of your own (`export` embeds the same as the variable
---`labsh_overlay` of `all`; a labsh.yml beside the file wins over it).
---@param model userdata?
---@return string yaml
function lab.ansible.overlay(model) end

---lab.ansible.import for text (INI or YAML, told by content) instead of a
---file, always with the built-in reader; `name` goes in error messages.
---@param text string
---@param name string?
---@return table inventory
function lab.ansible.parse(text, name) end

---The older import (lab.ansible.load is the one `--inventory` uses): an
---Ansible YAML inventory as an inventory table, to check with lab.inventory's
---validation; the first problem is raised. A host with kind "vm" or
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
