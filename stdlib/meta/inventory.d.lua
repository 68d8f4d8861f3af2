---@meta
-- The inventory file format: a Lua file that returns an `Inventory` table.
-- Editors complete inventory files from these classes; labsh validates a
-- loaded inventory against the same fields (unknown keys are errors).
--
-- The file is data, evaluated in a sandbox of its own: the pure base
-- functions, string (no dump), table, math and utf8; no load, require,
-- print, io, os, debug or coroutine; at most 2 s and 256 MiB. What it
-- returns must be plain data: strings, numbers, booleans and tables
-- without metatables or cycles (no functions, also not in `jobs`).
--
-- Conventions:
--   * Sizes are strings with explicit units, SI and IEC kept apart:
--     "512GB" (10^9 bytes each), "16GiB" (2^30 bytes each), "1TB", "800MB".
--   * Durations are strings: "30s", "15m", "4h", "7d", "2w", "1h30m".
--   * Schedules are cron expressions ("0 2 * * 6") or macros ("@daily").
--   * Addresses are IPv4 or IPv6 text; subnets are CIDR prefixes.
--   * Names are lower-case identifiers with digits and "-": "pve1", "k8s-w1".
--     Node and guest names must be host names (letters, digits and inner "-",
--     dot-separated labels of 1-63 characters): they become DNS names, Ansible
--     hosts and ssh destinations. site.domain must be a DNS domain.
--   * Text is one line of UTF-8: a newline, carriage return, tab, NUL or other
--     control character is refused at load, with the field's path (an alert's
--     `expr` alone may hold newlines and tabs). Generated files (zones, UCI,
--     YAML, units) carry text as data, never as a directive.

---@class Inventory
---@field site Inventory.Site
---@field nodes Inventory.Node[] physical machines: hypervisors, workstations, servers, NAS, single-board computers, gateway, switch, router
---@field guests Inventory.Guest[]? VMs and containers placed on nodes
---@field vlans Inventory.Vlan[]
---@field policy Inventory.Policy zone-to-zone firewall rules
---@field storage Inventory.Storage?
---@field services Inventory.Service[]?
---@field backups Inventory.Backup[]?
---@field alerts Inventory.Alert[]?
---@field capacity Inventory.Capacity?
---@field maintenance Inventory.Window[]?
---@field recovery Inventory.Recovery[]? RTO/RPO per service tier
---@field monitoring Inventory.Monitoring? where the live systems are
---@field jobs lab.JobSpec[]? scheduled jobs (lab.job specs whose `run` names a script: a function belongs in a job file; `labsh -m jobs`), kept out of the validated model
---@field alerting Inventory.Alerting? who hears of an alert: receivers and the route per severity
---@field ssh Inventory.SSH? how labsh reaches hosts over SSH (lab.exec, playbooks); without it labsh never connects
---@field targets table<string, Inventory.Target>? what playbooks and the simulation act on, by name (see Inventory.Target)
---@field ha_groups Inventory.HAGroup[]? Proxmox HA groups (PVE 9: HA rules) and the nodes each may use
---@field proxmox Inventory.Proxmox? the Proxmox VE cluster's API, for lab.pve
---@field roadmap Inventory.Phase[]? the plan in phases, in order, and where the homelab stands (the monthly review's Roadmap)

---@class Inventory.Site
---@field name string
---@field domain string internal DNS domain, e.g. "homelab.local"
---@field timezone string IANA zone for schedules and windows, e.g. "Europe/Berlin"
---@field upstream string? CIDR of the network outside the VLANs (the ISP side), e.g. "192.168.55.0/24"

---@class Inventory.Node
---@field name string a host name; a full one (web1.example.lan) must be in site.domain, else a warning
---@field kind "hypervisor"|"workstation"|"server"|"nas"|"sbc"|"gateway"|"switch"|"router" capacity: the CPU, RAM and disks of hypervisors, workstations, servers and sbcs (single-board computers) are guest capacity; a nas's disks are storage for others (capacity resource storage_nas), never guest capacity
---@field vendor string?
---@field model string?
---@field os string? e.g. "Proxmox VE 8", "Windows 10", "OpenWrt 23.05"
---@field cpu Inventory.Cpu?
---@field ram string? size, e.g. "32GiB"
---@field disks Inventory.Disk[]?
---@field gpus Inventory.Gpu[]?
---@field nics Inventory.Nic[]?
---@field role string? what it does, e.g. "proxmox", "k8s-gpu-worker", "router"
---@field cluster string? Proxmox cluster name, for cluster members
---@field address string management address
---@field vlans integer[]? VLAN ids the node is attached to
---@field tags string[]?
---@field notes string?
---@field uplinks string[]? topology: the nodes it connects through toward the core and the internet ("internet" for the ISP line; any other name must be a node's); two or more is a redundant uplink
---@field power string[]? topology: the power feeds (circuits, UPSes) it draws from; any one keeps it running
---@field ssh Inventory.SSH? this node's SSH settings over the inventory's `ssh` defaults
---@field assumed string[]? its fields that are assumptions, not facts (e.g. { "os", "address" }): vendor, model, os, cpu, ram, disks, gpus, nics, role, cluster, address, vlans, uplinks, power; each must be set. Figures computed from one are labelled assumed (report, capacity, lab.sim, reviews)

---@class Inventory.Cpu
---@field model string
---@field cores integer
---@field threads integer

---@class Inventory.Disk
---@field type "nvme"|"ssd"|"hdd"|"emmc"|"sd"
---@field size string

---@class Inventory.Gpu
---@field model string
---@field vram string? size
---@field purpose string? e.g. "training", "inference"

---@class Inventory.Nic
---@field name string? e.g. "eth0", "port1"
---@field speed string link speed: "1GbE", "2.5GbE", "10GbE"
---@field count integer? identical ports, default 1

---@class Inventory.Guest
---@field name string
---@field kind "vm"|"lxc"
---@field node string the node it runs on
---@field vcpu integer
---@field ram string size
---@field disk string size
---@field role string? e.g. "k8s-master", "k8s-worker", "k8s-gpu-worker"
---@field ha_group string? Proxmox HA group: one of `ha_groups` when that section is given
---@field vlan integer
---@field address string
---@field tags string[]?
---@field ssh Inventory.SSH? this guest's SSH settings over the inventory's `ssh` defaults
---@field assumed string[]? its fields that are assumptions, not facts (e.g. { "vcpu", "ram" }): kind, node, vcpu, ram, disk, role, ha_group, vlan, address, vmid; each must be set. CPU, RAM and storage figures and failure verdicts computed from one are labelled assumed
---@field vmid integer? its Proxmox VMID (100-999999999); without it lab.pve matches the guest by name

---@class Inventory.Vlan
---@field id integer 1..4094
---@field name string
---@field subnet string CIDR
---@field gateway string address inside the subnet
---@field purpose string?
---@field zone string firewall zone the policy names, e.g. "management"
---@field trust "critical"|"high"|"medium"|"low"|"isolated" the security zone: "critical" is management (the gateway's own services, never banned by fail2ban); the report checks every policy rule that denies from one trust level to another
---@field public boolean? reached from the internet (a DMZ): its services are public, so the simulation wants them a path to the internet (default false)

---@class Inventory.Policy
---@field default "deny"|"allow" what no rule matches gets (the plan: deny)
---@field rules Inventory.Rule[] first match wins
---@field boundaries Inventory.Boundary[]? what the report's Policy section checks; without it, every rule that denies between two zones of different trust (a "*" stands for each zone), expected denied

---A zone pair the report checks, whatever the rules say.
---@class Inventory.Boundary
---@field from string zone name
---@field to string zone name
---@field expect "allow"|"deny"
---@field why string? shown in the report

---Named host selections. Each field must match; a list matches any of its
---values. The names the shipped playbooks and the simulation read:
---  hypervisors   proxmox-setup (default {kind = "hypervisor"})
---  linux         security-hardening and monitoring-deploy (default: nodes
---                of kind hypervisor, server and sbc, and every guest)
---  k8s_servers   k8s-bootstrap's servers and the simulation's etcd members (guests)
---  k8s_agents    k8s-bootstrap's agents and the simulation's workers (guests)
---A lab without k8s_servers has no Kubernetes: k8s-bootstrap has nothing to
---do and the simulation and reports leave Kubernetes out. A role or tag no
---node or guest has is warned about (a misspelt one would pick no host in
---silence); a kind that is no kind is an error. Example:
---  targets = { hypervisors = { role = "pve" }, linux = { kind = { "hypervisor", "vm", "lxc" } } }
---@class Inventory.Target
---@field role (string|string[])? the host's `role`
---@field kind (string|string[])? the node's kind or the guest's ("vm", "lxc")
---@field tag (string|string[])? any of the host's tags

---@class Inventory.Phase
---@field phase integer its number; phases are listed in order
---@field name string
---@field status "done"|"current"|"planned" one phase at most is current
---@field items string[]? what it delivers

---@class Inventory.HAGroup
---@field name string what guests name in `ha_group`
---@field nodes (string|Inventory.HAMember)[] the nodes its guests may run on; a plain name has priority 0

---@class Inventory.HAMember
---@field node string
---@field priority integer? higher first (Proxmox's node:priority), default 0

---@class Inventory.Rule
---@field from string zone name or "*"
---@field to string zone name, "internet" or "*"
---@field action "allow"|"deny"
---@field ports (integer|string)[]? 22, 443, "8000-8100"; all ports when absent
---@field proto "tcp"|"udp"|"icmp"|"any"? default "any"
---@field note string? why the rule exists

---@class Inventory.Storage
---@field classes Inventory.StorageClass[]? Kubernetes storage classes
---@field tiers Inventory.StorageTier[]?
---@field locations Inventory.StorageLocation[]? where copies of data live (3-2-1)

---@class Inventory.StorageClass
---@field name string "local-path", "ceph-rbd", "nfs", "local-static"
---@field kind "local"|"replicated"|"shared"|"dedicated"
---@field status "active"|"planned"
---@field notes string?

---@class Inventory.StorageTier
---@field name "hot"|"warm"|"cold"
---@field media string e.g. "nvme", "ssd", "hdd/cloud"
---@field use string what belongs there

---@class Inventory.StorageLocation
---@field name string what backups name in `target` and `copies`, e.g. "pbs", "s3"
---@field medium string e.g. "ssd", "hdd", "cloud", "tape": 3-2-1 wants two different ones
---@field offsite boolean outside the site: 3-2-1 wants one
---@field prune "restic"|"pbs"? how retention is applied there; "pbs" for a Proxmox Backup Server (default restic)
---@field description string?

---@class Inventory.Service
---@field name string
---@field tier 1|2|3
---@field runs_on string "k8s", or a node or guest name
---@field vlan integer
---@field endpoint string? "dns.homelab.local:53", "https://grafana.homelab.local"; an https endpoint on port 6443 is the Kubernetes API, whose name k8s-bootstrap puts in the servers' certificate
---@field probe Inventory.Probe?
---@field slo number? availability target in percent; default from the tier
---@field phase integer? the stage the plan gives the service (§2.2: 1, or 2 for "Phase 2" services); where the homelab stands is `roadmap`
---@field technology string? e.g. "BIND9"
---@field addresses string[]? its own addresses on its `vlan` (a LoadBalancer or virtual IP, one per instance): the DNS zone's records; a DNS service's are its name servers, the first the primary. Without them the service is reached through what it runs on, which must have an address on that VLAN

---@class Inventory.Probe
---@field kind "http"|"tcp"|"dns"|"icmp"
---@field target string URL, host:port, name or address
---@field expect string|integer? HTTP status, DNS answer

---@class Inventory.Backup
---@field name string
---@field resource string what is backed up, e.g. "VM/LXC", "K8s etcd" (a resource naming etcd gives k8s-bootstrap its snapshot schedule and retention)
---@field schedule string cron ("0 1 * * *", "@daily") or systemd OnCalendar ("Mon..Fri 02:00")
---@field retention string duration kept, e.g. "30d"; keep-within when `keep` is absent
---@field keep table<string, integer>? restic/PBS-style counts: {daily = 30, monthly = 12}
---@field target string where it goes: a storage location's name when `storage.locations` is given
---@field rpo string? recovery point objective, e.g. "1h"; default the tier's
---@field tier 1|2|3? the recovery tier whose RPO it must meet
---@field copies string[]? every storage location holding the data, the live copy included
---@field grace string? how late a run may be, e.g. "30m"; default a quarter of the interval, at most 1h

---@class Inventory.Alert
---@field name string
---@field severity "P1"|"P2"|"P3"|"P4"
---@field expr string? PromQL on node_exporter metrics
---@field check string? a labsh check, where no metric exists
---@field ["for"] string? duration the condition must hold
---@field summary string shown as written: "{{" is no Prometheus template here (labels and annotations neither)
---@field runbook string? http(s) link; becomes the runbook_url annotation
---@field labels table<string, string>? extra Prometheus labels (severity, response and rule are set by labsh)
---@field annotations table<string, string>? extra annotations (summary and runbook_url come from the rule)
---@field model Inventory.AlertModel? how the model judges it without Prometheus

---Judging a rule from the model: the capacity baseline's usage figure.
---@class Inventory.AlertModel
---@field usage "cpu"|"ram"|"storage"|"network" the row of capacity.baseline whose `usage` percentage is compared
---@field above number the percentage above which the rule fires

---@class Inventory.Alerting
---@field receivers Inventory.Receiver[]
---@field route table<string, string> severity ("P1".."P4", and optionally "default") -> receiver name
---@field email Inventory.AlertEmail? the SMTP relay, needed by email receivers

---@class Inventory.Receiver
---@field name string
---@field webhook string|Inventory.Webhook? the URL Alertmanager posts to, or the URL with a bearer token
---@field email string? one address, like "ops@example.org" (no list, no display name)

---@class Inventory.Webhook
---@field url string
---@field bearer string? "file:PATH" only: Alertmanager reads it

---@class Inventory.AlertEmail
---@field smarthost string host:port
---@field from string one address, like "alertmanager@example.org"
---@field user string?
---@field password string? "file:PATH" only: Alertmanager reads it
---@field require_tls boolean? default true

---@class Inventory.Capacity
---@field target_band number[] {low, high} percent of capacity to stay in, the plan's {70, 85}
---@field growth table<string, number> percent per 12 months: compute, memory, storage, network
---@field baseline table<string, table>? the plan's §5.4 table as written: cpu/ram/storage/network = {allocated =, available =, usage =}
---@field stated table<string, table>? totals the plan states, per node kind or "all": {cores =, ram =, storage =} as written ("112GB", "50+"); `labsh -m lint` compares them with the nodes
---@field expansion Inventory.Expansion[]?

---@class Inventory.Expansion
---@field phase integer
---@field when string e.g. "2026-Q1"
---@field items string[]

---@class Inventory.Window
---@field name string
---@field schedule string? cron expression of the start, absent for "as needed"
---@field duration string?
---@field notes string?

---@class Inventory.Recovery
---@field tier 1|2|3
---@field rto string duration
---@field rpo string duration

---@class Inventory.Monitoring
---@field prometheus (string|Inventory.Endpoint)? URL, or URL with credentials
---@field alertmanager (string|Inventory.Endpoint)?
---@field pushgateway (string|Inventory.Endpoint)?
---@field textfile_dir string? node_exporter textfile collector directory

---The Proxmox VE cluster's API (lab.pve). Any node answers; when one cannot
---be reached (or answers 595/596) the next URL is tried. Credentials are
---references, never secrets: a token, or a user and password (ticket auth).
---@class Inventory.Proxmox
---@field urls (string|Inventory.ProxmoxURL)[] "https://NODE:8006" of one or more nodes
---@field token string? reference to USER@REALM!TOKENID=SECRET: "env:PVE_TOKEN"
---@field user string? USER@REALM for ticket auth, with password
---@field password string? password reference: "file:/etc/labsh/pve.pass"
---@field ca_file string? PEM bundle that verifies every URL without its own
---@field insecure boolean? skip TLS verification of URLs with no fingerprint or CA (warned once per run)
---@field timeout number? seconds for one API request (default 30)

---@class Inventory.ProxmoxURL
---@field url string "https://10.0.10.11:8006"
---@field fingerprint string? SHA-256 of the node's certificate, "AB:CD:..." (labsh -m pve trust URL)
---@field ca_file string? PEM bundle to verify this node with

---A live system and how to reach it. Secrets are references, "env:NAME" or
---"file:PATH" (its first line), read when labsh connects: never the secret.
---@class Inventory.Endpoint
---@field url string "http://..." or "https://..."
---@field ca_file string? PEM bundle to verify the server with
---@field insecure boolean? skip TLS verification (labsh warns)
---@field bearer string? token reference: "env:PROM_TOKEN"
---@field user string? basic auth user, with password
---@field password string? password reference: "file:/etc/labsh/prom.pass"

---How labsh reaches hosts over SSH: the inventory's `ssh` section holds the
---defaults for every host, a node's or guest's `ssh` table overrides them.
---labsh runs the system's OpenSSH client with BatchMode and host key checking on.
---@class Inventory.SSH
---@field host string? only in a host's own table: name or address to connect to (default: the host's address)
---@field user string? login user (default: ssh's own choice)
---@field port integer? default 22
---@field key string? private key reference: "file:/etc/labsh/id_ed25519" (used in place), or "env:NAME" (the key itself, written to a private 0600 file while labsh runs)
---@field known_hosts string? known_hosts file to check host keys against
---@field config string? ssh_config file to read, or "none" (default: the user's own)
---@field jump string? a node or guest to connect through, e.g. the bastion in the Management VLAN
---@field connect_timeout integer? seconds (default 10)
---@field sudo_password string? reference to the password for `sudo = true`: "env:SUDO_PASS"
---@field host_key_checking "yes"|"accept-new"|"no"? default "yes"; "no" is loud, never silent
