---@meta
-- Declarations of the `lab` namespace, for editors (LuaLS) and for help()
-- at the labsh prompt. A test checks that every binding is declared here and
-- every declaration exists.

---The homelab at hand: labsh's one global. Submodules load on first use.
lab = {}

---labsh's version, e.g. "0.1.0".
---@type string
lab.version = ""

---labsh's own command-line options, as parsed. The options --dry-run,
---and likewise --yes, --emergency, --format and --inventory, mean the same
---after `-m NAME` as before it (up to a `--`: what follows is the script's).
---@class lab.Options
---@field dry_run boolean --dry-run: plan changes, make none (no program, no command on a host runs unless read_only = true)
---@field yes boolean --yes: do not ask before changes (for cron)
---@field emergency boolean --emergency: a normal change outside the maintenance window (§5.3)
---@field format "text"|"json"|"html" --format: output for people or machines; a script that cannot write it exits 2
---@field inventory string? --inventory FILE
---@field timeout number? --timeout SECONDS
---@field memory_limit integer? --memory-limit SIZE, in bytes
---@field script string? the script labsh runs, as Lua names its source ("@PATH", "=labsh:scripts/NAME.lua"); nil for -e code and at the prompt

---The options labsh was started with.
---@type lab.Options
lab.options = {}

---Facts about this process and host.
lab.sys = {}

---Process id of this labsh.
---@return integer pid
function lab.sys.pid() end

---This host's name (gethostname).
---@return string hostname
function lab.sys.hostname() end

---Wall-clock time in seconds since the Unix epoch, with sub-second precision.
---@return number seconds
function lab.sys.now() end

---Seconds on a clock that never jumps (CLOCK_MONOTONIC): for measuring durations.
---@return number seconds
function lab.sys.monotonic() end

---Whether file descriptor `fd` (0 stdin, 1 stdout, 2 stderr) is a terminal.
---@param fd integer
---@return boolean
function lab.sys.isatty(fd) end

---The width in columns of the terminal on file descriptor `fd` (default 1,
---stdout), or nil when it is not a terminal. Tables at the prompt fit it.
---@param fd integer?
---@return integer? columns
function lab.sys.columns(fd) end

---Where labsh keeps and finds things, computed once at start-up (a fresh
---table each call): config ($XDG_CONFIG_HOME/labsh, else ~/.config/labsh),
---state ($LABSH_STATE_DIR, else $XDG_STATE_HOME/labsh, else
---~/.local/state/labsh), data ($XDG_DATA_HOME/labsh, else
---~/.local/share/labsh), inventory ($LABSH_INVENTORY, or nil) and the script
---path: `overrides` ($LABSH_PATH, searched before the scripts inside labsh)
---and `system` (after them). Under `labsh -E` labsh's variables are ignored
---and only HOME is read; ignore_environment says so.
---@return {config: string?, state: string?, data: string?, inventory: string?, script_path: {overrides: string[], system: string[]}, ignore_environment: boolean}
function lab.sys.locations() end

---The inventory labsh works on: --inventory FILE, else $LABSH_INVENTORY, else
---$XDG_CONFIG_HOME/labsh/inventory.lua, else the plan's homelab built in.
lab.inventory = {}

---The inventory file in use, or nil for the built-in homelab.
---@return string? path
function lab.inventory.path() end

---Loads and validates an inventory file (nil: the built-in homelab) and makes
---it the current one. Raises an error object of kind "inventory" that lists
---every problem with its line and key path, e.g. `lab.lua:42: nodes[3].ram: ...`;
---the current inventory stays as it was.
---@param path string?
---@return table summary file, counts and warnings
function lab.inventory.load(path) end

---Loads an Ansible inventory (INI or YAML, with group_vars/ and host_vars/)
---as the current inventory, as `--inventory FILE` does (lab.ansible.load:
---labsh_* variables, the labsh.yml overlay beside it). With `base` (an
---inventory table or lab.inventory.model()), the older import: site, VLANs
---and policy from `base`.
---@param path string
---@param base table|userdata?
---@return table summary file, counts and warnings
function lab.inventory.from_ansible(path, base) end

---Makes the Proxmox VE cluster's guests the current inventory's: from
---/cluster/resources each guest's name, kind, node, vcpu, ram, disk, vmid and
---whether HA manages it; from the inventory what the cluster does not know
---(role, VLAN, address, tags, ssh, HA group; a guest new to the inventory
---takes VLAN and address from its config's net0 tag and ip, else it is left
---out). Cluster nodes the inventory lacks are added; everything else, the
---`proxmox` section too, stays. Checked by the inventory's own reader: an
---error object of kind "inventory" leaves the current inventory as it was.
---The summary's `pve` = {guests, nodes_added, left_out, matched_by_name};
---what was left out is in its warnings.
---@return table summary file, counts and warnings
function lab.inventory.from_pve() end

---The model lab.capacity and lab.sim compute on and where its figures come
---from ({nodes, guests}): `source` "inventory" (default: no network, the
---connector not loaded) or "live" (the inventory with the cluster's guests,
---as from_pve builds it, without making it current).
---@param source "inventory"|"live"?
---@return userdata model
---@return table sources
function lab.inventory.model_from(source) end

---The current inventory as plain data (nodes, guests, vlans, services, site),
---loading the configured one on first use.
---@return table model
function lab.inventory.current() end

---One section of the current inventory as plain data (`nodes`, `guests`,
---`vlans`, `services`, `site`...), as lab.inventory.current()[name]; of the
---built-in homelab only that section is made (a query of nodes starts faster).
---@param name string
---@return any section
function lab.inventory.section(name) end

---What is loaded: file, counts of nodes, guests, VLANs and services, warnings.
---@return table summary
function lab.inventory.summary() end

---The current inventory's `jobs` section (lab.job specs; kept out of the
---validated model since a job may hold a function), or {}. The built-in
---homelab's are the plan's schedules (stdlib/labsh/homelab_jobs.lua).
---@return lab.JobSpec[]
function lab.inventory.jobs() end

---The current inventory's maintenance windows as the model validated
---them (name, schedule, duration in seconds, notes), or {}: the runbooks'
---change window (§5.3).
---@return {name: string, schedule: string?, duration: integer?, notes: string?}[]
function lab.inventory.maintenance() end

---A node of the inventory: its facts as fields (sizes in bytes), its lists
---and what it hosts as methods.
---@class lab.Node
---@field name string
---@field kind string hypervisor, workstation, gateway, switch or router
---@field cores integer?
---@field threads integer?
---@field ram integer? bytes
---@field storage integer bytes, all disks
---@field address string management address
local Node = {}

---The guests placed on this node.
---@return table[] guests
function Node:guests() end

---RAM committed to this node's guests, in bytes.
---@return integer bytes
function Node:allocated() end

---RAM left for more guests, in bytes (negative when overcommitted).
---@return integer bytes
function Node:free() end

---VLAN ids the node is attached to.
---@return integer[] ids
function Node:vlans() end

---The node's disks: {type =, size = bytes}.
---@return table[] disks
function Node:disks() end

---The node's GPUs: {model =, vram = bytes, purpose =}.
---@return table[] gpus
function Node:gpus() end

---The node's tags.
---@return string[] tags
function Node:tags() end

---Runs a shell command on the node over SSH (see lab.ssh.run) and returns
---its result; an ssh error (unreachable, auth, host_key, timeout, sudo,
---no_access) is raised. A non-zero exit is not an error: look at `status`.
---@param command string
---@param opts {timeout: number?, sudo: boolean?, user: string?, env: table<string, string>?, stdin: string?}?
---@return lab.ExecResult result
function Node:exec(command, opts) end

---Nodes matching a filter, e.g. `lab.nodes{kind = "hypervisor"}`,
---`lab.nodes{tag = "high-capacity"}`, `lab.nodes{vlan = 30}`; all without one.
---Keys: name, kind, role, cluster, tag, vlan (id or name), uplink, power,
---vendor, model, os, address, cores, threads, ram, storage; a value may be a
---list of accepted values. An unknown key, or a value no node has (a kind,
---role or tag misspelt), is an error with a did-you-mean, not an empty list.
---@param filter table?
---@return lab.Node[] nodes
function lab.nodes(filter) end

---The node called `name`; an error naming the nodes there are otherwise.
---@param name string
---@return lab.Node node
function lab.node(name) end

---A guest of the inventory (a VM or container) as plain data, sizes in bytes.
---@class lab.Guest
---@field name string
---@field kind string "vm" or "lxc"
---@field node string the node it runs on
---@field role string?
---@field vcpu integer
---@field ram integer bytes
---@field disk integer bytes
---@field vlan integer
---@field address string
---@field ha_group string?

---A VLAN of the inventory as plain data.
---@class lab.Vlan
---@field id integer
---@field name string
---@field zone string the firewall zone the policy names
---@field trust string
---@field subnet string
---@field gateway string
---@field purpose string?

---A service of the inventory as plain data.
---@class lab.Service
---@field name string
---@field tier integer 1, 2 or 3
---@field phase integer?
---@field runs_on string "k8s", or a node or guest name
---@field vlan integer
---@field slo number availability target in percent
---@field endpoint string?
---@field technology string?

---Guests (VMs, containers) matching a filter, e.g. `lab.guests{node = "pve4"}`,
---`lab.guests{role = "k8s-master"}`. Keys: name, kind, node, role, tag,
---vlan, ha_group, address, vcpu, ram, disk; checked as lab.nodes checks its own.
---@param filter table?
---@return lab.Guest[] guests
function lab.guests(filter) end

---The guest called `name`; an error naming the guests there are otherwise.
---@param name string
---@return lab.Guest guest
function lab.guest(name) end

---VLANs matching a filter, e.g. `lab.vlans{trust = "high"}`; all without
---one. Keys: id, name, zone, trust, subnet, gateway, purpose; an unknown
---key, or a value no VLAN has, is an error with a did-you-mean.
---@param filter table?
---@return lab.Vlan[] vlans
function lab.vlans(filter) end

---The VLAN with this id or name.
---@param id_or_name integer|string
---@return lab.Vlan vlan
function lab.vlan(id_or_name) end

---Services matching a filter, e.g. `lab.services{tier = 1}`. Keys: name,
---tier, phase, runs_on, vlan, technology, slo, endpoint; checked as lab.nodes
---checks its own (`tier = "1"` is an error: tiers are numbers).
---@param filter table?
---@return lab.Service[] services
function lab.services(filter) end

---The service called `name`.
---@param name string
---@return lab.Service service
function lab.service(name) end

---Totals computed from the per-node facts, per node kind and for all:
---nodes, cores, threads, ram and storage in bytes.
---@return table[] rows
function lab.totals() end

---The Swift side of the current inventory: policy decisions (`:decide(from,
---to, port, proto)` between places, `:matrix()`). lab.net is the friendly way to ask.
---@return userdata model
function lab.inventory.model() end

---The error budget of an availability target over 30 days, exact: for a tier
---(1, 2, 3), a service name, or a percentage. `lab.slo(1).budget` is "3h 36m".
---lab.slo is also a table: lab.slo.report() measures attainment (stdlib/meta/slo.d.lua).
---@param what integer|string|number
---@return table budget target, window, seconds, budget
function lab.slo(what) end

---The zero-trust policy of the current inventory. Places are zone names, VLAN
---ids or names, node or guest names, or "internet".
lab.net = {}

---May traffic go from `from` to `to`? The first matching rule decides; traffic
---no rule matches is denied ("default deny"), whatever policy.default says.
---@param from string|integer
---@param to string|integer
---@param port integer?
---@param proto string? "tcp", "udp", "icmp" or "any"
---@return boolean allowed
---@return string reason the rule that decided, or "default deny"
function lab.net.allows(from, to, port, proto) end

---The answer of lab.net.allows as one line, e.g.
---"k8s -> management: denied (rule 7: k8s → management denied (Isolation boundary))".
---@param from string|integer
---@param to string|integer
---@param port integer?
---@param proto string?
---@return string
function lab.net.why(from, to, port, proto) end

---Zone × zone: a row per source zone, with "allowed", "denied" or "partly" per
---destination.
---@return table[] rows
function lab.net.matrix() end

---Addresses and prefixes, IPv4 and IPv6, exact.
lab.ipam = {}

---A prefix's facts: network, prefix, family, netmask, first and last host,
---addresses and usable hosts. Host bits set are an error naming the network.
---@param cidr string
---@return table
function lab.ipam.parse(cidr) end

---Does the prefix contain the address (or the other prefix)?
---@param cidr string
---@param address_or_cidr string
---@return boolean
function lab.ipam.contains(cidr, address_or_cidr) end

---Do two prefixes share any address?
---@param a string
---@param b string
---@return boolean
function lab.ipam.overlaps(a, b) end

---Usable hosts in a prefix (IPv4: without network and broadcast; /31 is 2).
---@param cidr string
---@return integer|number
function lab.ipam.hosts(cidr) end

---The reverse-pointer name of an address, e.g. "5.10.168.192.in-addr.arpa.".
---@param address string
---@return string
function lab.ipam.ptr(address) end

---The reverse DNS zones that cover a prefix (octet or nibble aligned).
---@param cidr string
---@return string[]
function lab.ipam.reverse_zones(cidr) end

---The first free host address; nil when none is left.
---`lab.ipam.next_free(vlan)`: of an inventory VLAN (its id, name, subnet or
---lab.vlan record), skipping every address the inventory uses
---(lab.ipam.used()); an unknown VLAN is an error with did-you-mean.
---`lab.ipam.next_free(cidr, used, gateway)`: of any prefix, skipping the
---`used` addresses and the gateway.
---@param cidr string|integer|lab.Vlan a prefix, or a VLAN of the inventory
---@param used string[]?
---@param gateway string?
---@return string? address
function lab.ipam.next_free(cidr, used, gateway) end

---The addresses the inventory gives out: nodes', guests', every VLAN's
---gateway, and service endpoints and probe targets written as addresses.
---(The inventory models no DHCP range or reservation.)
---@return string[]
function lab.ipam.used() end
