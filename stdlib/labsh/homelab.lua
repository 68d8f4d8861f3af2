-- The built-in default inventory: the homelab of homelab-plan.md, written in
-- the format declared in stdlib/meta/inventory.d.lua.
--
-- labsh uses it when there is no --inventory FILE, no LABSH_INVENTORY and no
-- $XDG_CONFIG_HOME/labsh/inventory.lua; `labsh -m inventory init` copies it
-- there as a starting point.
--
-- Every figure comes from the plan, cited by section (§). Where the plan is
-- silent (host names, addresses, VM sizes, versions, times), the value is a
-- plausible choice and its line says `-- assumption:`; a node's or guest's
-- `assumed = { "ram", ... }` names such fields for labsh, which labels every
-- figure computed from them as assumed (report, capacity, sim, reviews).
--
-- Units: the plan writes memory as "20GB"; memory is sold in binary units,
-- so RAM and VRAM are written in GiB here. Disks keep the plan's SI figures
-- ("512GB", "1TB"). Guest disks are in GiB, as Proxmox sizes them.
-- CPU core/thread counts are the makers' specifications of each CPU model.
--
-- Totals (cores, RAM, storage) are computed from the nodes below, never
-- copied: the plan's own totals (§5.4, with §1.1's split in a comment) are
-- kept in capacity.baseline so `labsh -m lint` can report where they
-- disagree with the nodes (they do: 48 cores vs "50+", Proxmox RAM 116GiB
-- vs 112GB, Proxmox disks 3.5TB vs 2.9TB, gateway RAM 2GiB vs 4GB).

return {

  -- Site. assumption: the plan names no time zone; Europe/Berlin is a choice.
  site = {
    name     = "homelab",
    domain   = "homelab.local",              -- §2.2: DNS zone homelab.local
    timezone = "Europe/Berlin",              -- assumption
    upstream = "192.168.55.0/24",            -- §1.2: the ISP side (router .1, gateway .95)
  },

  nodes = {
    -- §1.1: the five Proxmox nodes (cluster "homelab", OS version: assumptions).
    -- Management addresses pve1..pve5 = 192.168.10.11-15 on VLAN 10: assumptions.
    {
      name    = "pve1",
      kind    = "hypervisor",
      vendor  = "Lenovo",
      model   = "ThinkPad T480s",
      os      = "Proxmox VE 8",                                  -- assumption
      cpu     = { model = "Intel Core i5-8250U", cores = 4, threads = 8 },
      ram     = "20GiB",
      disks   = { { type = "ssd", size = "512GB" } },
      role    = "proxmox",
      cluster = "homelab",                                       -- assumption
      address = "192.168.10.11",                                 -- assumption
      uplinks = { "sw1" },                                       -- §1.2 topology: one switch port
      power   = { "mains" },                                     -- assumption: one household circuit, no UPS yet (§11)
      vlans   = { 10, 30 },
      tags    = { "proxmox", "k8s-host" },
      assumed = { "os", "cluster", "address", "power" },
    },
    {
      name    = "pve2",
      kind    = "hypervisor",
      vendor  = "Lenovo",
      model   = "ThinkCentre M720q",
      os      = "Proxmox VE 8",                                  -- assumption
      cpu     = { model = "Intel Core i5-8400T", cores = 6, threads = 6 },
      ram     = "16GiB",
      disks   = { { type = "ssd", size = "500GB" } },
      role    = "proxmox",
      cluster = "homelab",                                       -- assumption
      address = "192.168.10.12",                                 -- assumption
      uplinks = { "sw1" },                                       -- §1.2 topology: one switch port
      power   = { "mains" },                                     -- assumption: one household circuit, no UPS yet (§11)
      vlans   = { 10, 30 },
      tags    = { "proxmox", "k8s-host" },
      assumed = { "os", "cluster", "address", "power" },
    },
    {
      name    = "pve3",
      kind    = "hypervisor",
      vendor  = "HP",
      model   = "EliteDesk 800 G4",
      os      = "Proxmox VE 8",                                  -- assumption
      cpu     = { model = "Intel Core i5-8500", cores = 6, threads = 6 },
      ram     = "16GiB",
      disks   = { { type = "nvme", size = "512GB" } },
      role    = "proxmox",
      cluster = "homelab",                                       -- assumption
      address = "192.168.10.13",                                 -- assumption
      uplinks = { "sw1" },                                       -- §1.2 topology: one switch port
      power   = { "mains" },                                     -- assumption: one household circuit, no UPS yet (§11)
      vlans   = { 10, 30 },
      tags    = { "proxmox", "k8s-host" },
      assumed = { "os", "cluster", "address", "power" },
    },
    {
      name    = "pve4",
      kind    = "hypervisor",
      vendor  = "GMKtec",
      model   = "NucBox M5 Plus",
      os      = "Proxmox VE 8",                                  -- assumption
      cpu     = { model = "AMD Ryzen 7 5825U", cores = 8, threads = 16 },
      ram     = "32GiB",
      disks   = { { type = "ssd", size = "1TB" } },
      role    = "proxmox",
      cluster = "homelab",                                       -- assumption
      address = "192.168.10.14",                                 -- assumption
      uplinks = { "sw1" },                                       -- §1.2 topology: one switch port
      power   = { "mains" },                                     -- assumption: one household circuit, no UPS yet (§11)
      vlans   = { 10, 30 },
      tags    = { "proxmox", "k8s-host", "high-capacity" },
      assumed = { "os", "cluster", "address", "power" },
    },
    {
      name    = "pve5",
      kind    = "hypervisor",
      vendor  = "BOSGAME",
      model   = "P4 Plus",
      os      = "Proxmox VE 8",                                  -- assumption
      cpu     = { model = "AMD Ryzen 7 5825U", cores = 8, threads = 16 },
      ram     = "32GiB",
      disks   = { { type = "ssd", size = "1TB" } },
      role    = "proxmox",
      cluster = "homelab",                                       -- assumption
      address = "192.168.10.15",                                 -- assumption
      uplinks = { "sw1" },                                       -- §1.2 topology: one switch port
      power   = { "mains" },                                     -- assumption: one household circuit, no UPS yet (§11)
      vlans   = { 10, 30 },
      tags    = { "proxmox", "k8s-host", "high-capacity" },
      assumed = { "os", "cluster", "address", "power" },
    },

    -- §1.1: the HP Z440 AI/GPU workstation (Windows 10, "Intel 12-Core", 48GB).
    {
      name    = "z440",
      kind    = "workstation",
      vendor  = "HP",
      model   = "Z440",
      os      = "Windows 10",
      -- assumption: the plan says only "Intel 12-Core"; the E5-2690 v3 is a
      -- 12-core Xeon the Z440 supports.
      cpu     = { model = "Intel Xeon E5-2690 v3", cores = 12, threads = 24 },
      ram     = "48GiB",
      -- assumption: two disks chosen to add up to the plan's 752GB (§1.1 totals).
      disks   = {
        { type = "nvme", size = "512GB" },
        { type = "ssd",  size = "240GB" },
      },
      gpus    = {
        { model = "NVIDIA GeForce RTX 3060", vram = "12GiB", purpose = "training" },
        { model = "NVIDIA Tesla P4",         vram = "8GiB",  purpose = "inference" },
      },
      role    = "ai-workstation",
      address = "192.168.10.20",                                 -- assumption
      uplinks = { "sw1" },                                       -- assumption: cabled to the core switch
      power   = { "mains" },                                     -- assumption
      vlans   = { 10, 30 },
      tags    = { "gpu", "windows", "ai" },
      assumed = { "cpu", "disks", "address", "uplinks", "power" },
      notes   = "AI/ML workloads, GPU-accelerated computing, database workloads on K8s (§1.1)",
    },

    -- §1.2: the Raspberry Pi 5 OpenWRT gateway (2GB RAM, 128GB NVMe, ZP593 HAT).
    -- Its address is its WAN side on the ISP network 192.168.55.0/24, which is
    -- upstream and not one of the plan's VLANs; on VLAN 10 it is 192.168.10.1.
    {
      name    = "gw1",
      kind    = "gateway",
      vendor  = "Raspberry Pi",
      model   = "Raspberry Pi 5",
      os      = "OpenWrt 24.10",                                 -- assumption
      cpu     = { model = "Broadcom BCM2712 (Cortex-A76)", cores = 4, threads = 4 },
      ram     = "2GiB",
      disks   = { { type = "nvme", size = "128GB" } },
      nics    = {
        { name = "eth0", speed = "1GbE" },                       -- on-board port
        { name = "eth1", speed = "2.5GbE" },                     -- ZDE ZP593 HAT
      },
      role    = "gateway",
      address = "192.168.55.95",
      uplinks = { "isp-router" },                                -- §1.2: Internet -> ISP router -> OpenWRT
      power   = { "mains" },                                     -- assumption
      vlans   = { 1, 10, 20, 30, 50 },
      tags    = { "openwrt", "spof" },
      assumed = { "os", "power" },
      notes   = "ZDE ZP593 HAT (2.5GbE + NVMe); VLAN routing, firewall, NAT, DHCP (§1.2)",
    },

    -- §1.2: the core switch, TP-Link TL-SG108E (8 x 1GbE, 802.1Q).
    {
      name    = "sw1",
      kind    = "switch",
      vendor  = "TP-Link",
      model   = "TL-SG108E",
      nics    = { { name = "port", speed = "1GbE", count = 8 } },
      role    = "switch",
      address = "192.168.10.2",                                  -- assumption
      uplinks = { "gw1" },                                       -- §1.2: gateway -> managed switch
      power   = { "mains" },                                     -- assumption
      vlans   = { 1, 10, 20, 30, 50 },
      tags    = { "spof" },
      assumed = { "address", "power" },
      notes   = "Managed L2 switching, VLAN tagging (§1.2)",
    },

    -- §1.2: the ISP router, upstream of the gateway (not on any plan VLAN).
    {
      name    = "isp-router",
      kind    = "router",
      role    = "isp-router",
      address = "192.168.55.1",
      uplinks = { "internet" },                                  -- §11: one internet connection
      power   = { "mains" },                                     -- assumption
      notes   = "Home network gateway; upstream network 192.168.55.0/24 (§1.2)",
      assumed = { "power" },
    },
  },

  -- §2.1: Kubernetes node distribution as guests.
  -- assumption: every size and address below (VLAN 30: masters .11-.13,
  -- workers .21-.27, GPU worker .30). Each node keeps >= 2GiB for itself.
  -- `assumed` says so to labsh: figures computed from these sizes (CPU and
  -- RAM allocation, failure verdicts) are labelled "assumed" in reports.
  guests = {
    { name = "k8s-m1", kind = "vm", node = "pve1", vcpu = 2, ram = "4GiB",  disk = "40GiB",  role = "k8s-master", ha_group = "k8s-masters", vlan = 30, address = "192.168.30.11", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-w1", kind = "vm", node = "pve1", vcpu = 4, ram = "14GiB", disk = "200GiB", role = "k8s-worker", ha_group = "k8s-workers", vlan = 30, address = "192.168.30.21", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-m2", kind = "vm", node = "pve2", vcpu = 2, ram = "4GiB",  disk = "40GiB",  role = "k8s-master", ha_group = "k8s-masters", vlan = 30, address = "192.168.30.12", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-w2", kind = "vm", node = "pve2", vcpu = 4, ram = "10GiB", disk = "200GiB", role = "k8s-worker", ha_group = "k8s-workers", vlan = 30, address = "192.168.30.22", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-m3", kind = "vm", node = "pve3", vcpu = 2, ram = "4GiB",  disk = "40GiB",  role = "k8s-master", ha_group = "k8s-masters", vlan = 30, address = "192.168.30.13", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-w3", kind = "vm", node = "pve3", vcpu = 4, ram = "10GiB", disk = "200GiB", role = "k8s-worker", ha_group = "k8s-workers", vlan = 30, address = "192.168.30.23", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-w4", kind = "vm", node = "pve4", vcpu = 6, ram = "14GiB", disk = "300GiB", role = "k8s-worker", ha_group = "k8s-workers", vlan = 30, address = "192.168.30.24", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-w5", kind = "vm", node = "pve4", vcpu = 6, ram = "14GiB", disk = "300GiB", role = "k8s-worker", ha_group = "k8s-workers", vlan = 30, address = "192.168.30.25", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-w6", kind = "vm", node = "pve5", vcpu = 6, ram = "14GiB", disk = "300GiB", role = "k8s-worker", ha_group = "k8s-workers", vlan = 30, address = "192.168.30.26", assumed = { "vcpu", "ram", "disk", "address" } },
    { name = "k8s-w7", kind = "vm", node = "pve5", vcpu = 6, ram = "14GiB", disk = "300GiB", role = "k8s-worker", ha_group = "k8s-workers", vlan = 30, address = "192.168.30.27", assumed = { "vcpu", "ram", "disk", "address" } },
    -- assumption: the Z440 runs Windows 10, so its GPU worker is modelled as a
    -- VM on it (on Windows 10 most plausibly WSL2, which passes CUDA through;
    -- Hyper-V device assignment needs Windows Server). Not in a Proxmox HA group.
    { name = "k8s-gpu1", kind = "vm", node = "z440", vcpu = 8, ram = "32GiB", disk = "400GiB", role = "k8s-gpu-worker",
      vlan = 30, address = "192.168.30.30", tags = { "gpu" }, assumed = { "node", "vcpu", "ram", "disk", "address" } },
  },

  -- §1.2: the five VLANs. assumption: each gateway is .1 (the OpenWRT gateway).
  vlans = {
    { id = 1,  name = "lan",        subnet = "192.168.2.0/24",  gateway = "192.168.2.1",  zone = "lan",        trust = "low",      purpose = "Untagged default VLAN" },
    { id = 10, name = "management", subnet = "192.168.10.0/24", gateway = "192.168.10.1", zone = "management", trust = "critical", purpose = "Infrastructure admin (Proxmox, Switch)" },
    { id = 20, name = "ops",        subnet = "192.168.20.0/24", gateway = "192.168.20.1", zone = "ops",        trust = "high",     purpose = "Monitoring, DNS, Logging" },
    { id = 30, name = "k8s",        subnet = "192.168.30.0/24", gateway = "192.168.30.1", zone = "k8s",        trust = "medium",   purpose = "Kubernetes cluster" },
    { id = 50, name = "dmz",        subnet = "192.168.50.0/24", gateway = "192.168.50.1", zone = "dmz",        trust = "isolated", purpose = "Public-facing services", public = true },
  },

  -- §4.1: the OpenWRT firewall rules; first match wins, anything else denied.
  -- "*" includes the internet, so "All VLANs" is spelled out zone by zone.
  -- As the plan writes them, nothing lets LAN, Management or Ops out to the
  -- internet, nor Ops into the DMZ (its services go unmonitored): default deny.
  policy = {
    default = "deny",
    rules = {
      { from = "management", to = "lan",        action = "allow", note = "Admin access" },
      { from = "management", to = "ops",        action = "allow", note = "Admin access" },
      { from = "management", to = "k8s",        action = "allow", note = "Admin access" },
      { from = "management", to = "dmz",        action = "allow", note = "Admin access" },
      { from = "ops",        to = "management", action = "allow", note = "Monitoring" },
      { from = "ops",        to = "k8s",        action = "allow", note = "Monitoring" },
      -- K8s may reach only Ops and the internet; the boundary is explicit.
      { from = "k8s",        to = "management", action = "deny",  note = "Isolation boundary" },
      { from = "k8s",        to = "ops",        action = "allow", note = "Services, updates" },
      { from = "k8s",        to = "internet",   action = "allow", note = "Services, updates" },
      { from = "dmz",        to = "internet",   action = "allow", note = "Public services" },
      -- after the internet allow: "*" here stands for "All internal VLANs"
      { from = "dmz",        to = "*",          action = "deny",  note = "Isolation" },
    },
    -- §1.2 and §4.1: the zero-trust boundaries the report checks whatever
    -- the rules above say (without this list, it checks the deny rules).
    boundaries = {
      { from = "k8s",        to = "management", expect = "deny",  why = "workloads never reach the management network" },
      { from = "dmz",        to = "management", expect = "deny",  why = "public services are isolated from management" },
      { from = "dmz",        to = "lan",        expect = "deny",  why = "public services are isolated from the LAN" },
      { from = "dmz",        to = "ops",        expect = "deny",  why = "public services are isolated from ops" },
      { from = "dmz",        to = "k8s",        expect = "deny",  why = "public services are isolated from the cluster" },
      { from = "lan",        to = "management", expect = "deny",  why = "user devices do not reach management" },
      { from = "management", to = "ops",        expect = "allow", why = "management reaches everything it administers" },
      { from = "ops",        to = "k8s",        expect = "allow", why = "monitoring scrapes the cluster" },
    },
  },

  -- What the playbooks and the failure simulation act on, by the plan's
  -- roles (§1.1, §2.1): see Inventory.Target in stdlib/meta/inventory.d.lua.
  targets = {
    hypervisors = { role = "proxmox" },
    linux       = { role = { "proxmox", "k8s-master", "k8s-worker", "k8s-gpu-worker" } },
    k8s_servers = { role = "k8s-master" },
    k8s_agents  = { role = { "k8s-worker", "k8s-gpu-worker" } },
  },

  -- §1.1 "HA" and §2.1: the Proxmox HA groups. assumption: each group may
  -- use the nodes its guests are placed on above, all at the same priority.
  ha_groups = {
    { name = "k8s-masters", nodes = { "pve1", "pve2", "pve3" } },
    { name = "k8s-workers", nodes = { "pve1", "pve2", "pve3", "pve4", "pve5" } },
  },

  storage = {
    -- §2.1: Kubernetes storage classes (Ceph RBD "when implemented"). NFS
    -- is shared storage, which §1.1 says is "To be implemented (Ceph or
    -- NFS)" and §8 schedules for Phase 1: planned, not active. assumption:
    -- local-path and local-static count as active (the cluster's own disks),
    -- though §8 deploys Kubernetes itself in Phase 2 (only Phase 0 is current).
    classes = {
      { name = "local-path",   kind = "local",      status = "active",  notes = "Fast local NVMe storage" },
      { name = "ceph-rbd",     kind = "replicated", status = "planned", notes = "Replicated block storage; Ceph 3x replication is Phase 2 (§1.3)" },
      { name = "nfs",          kind = "shared",     status = "planned", notes = "Shared filesystem storage; shared storage is to be implemented (§1.1, §8 Phase 1)" },
      { name = "local-static", kind = "dedicated",  status = "active",  notes = "For databases requiring dedicated volumes" },
    },
    -- §1.3: storage tiers.
    tiers = {
      { name = "hot",  media = "nvme",      use = "databases, active VMs" },
      { name = "warm", media = "ssd",       use = "general workloads" },
      { name = "cold", media = "hdd/cloud", use = "archives and backups" },
    },
    -- §5.1: where copies of data live, for the 3-2-1 rule ("2 different
    -- media types (local + cloud)", "1 offsite"). The live data counts as
    -- one copy. assumption: every medium and offsite flag below; the NAS
    -- and the S3 storage are Phase 2 (§1.3), the Git remote is hosted.
    locations = {
      { name = "primary",        medium = "ssd",   offsite = false, description = "The data where it lives: local NVMe/SSD on the nodes (§1.3)" },
      { name = "pbs",            medium = "hdd",   offsite = false, prune = "pbs", description = "Proxmox Backup Server (§5.1)" },
      { name = "backup-storage", medium = "hdd",   offsite = false, description = "Dedicated backup storage: the NAS for backups (§1.3, §10)" },
      { name = "s3",             medium = "cloud", offsite = true,  description = "S3-compatible storage: object storage, the offsite repository (§1.3)" },
      { name = "git",            medium = "cloud", offsite = true,  description = "Git repository (§3.3)" },
    },
  },

  -- §6: the service catalogue with tiers (SLO 99.5 / 99 / 95, always written),
  -- enriched from §2.2 (technology; VLAN 20 infra and monitoring, 30 apps,
  -- 50 public). The network devices' management interfaces are on VLAN 10.
  -- assumption: every endpoint and probe below. Services on VLANs 20 and 50
  -- that run on k8s are reached through LoadBalancer addresses in those VLANs
  -- (`addresses`; assumption: one shared address per VLAN, .10, and the VPN
  -- its own); DNS has two, its primary and secondary name servers (§2.2 HA).
  -- `phase` is the plan's service stage (§2.2 marks some "Phase 2"), not the
  -- roadmap: by §8 only Phase 0 (foundation) is current, so none of these
  -- runs yet; Kubernetes and its services come in §8 Phases 2-3.
  services = {
    -- §6.1 Tier 1: critical (99.5%)
    { name = "dns",           tier = 1, slo = 99.5, runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.53", "192.168.20.54" }, technology = "BIND9",
      endpoint = "dns.homelab.local:53",               probe = { kind = "dns", target = "dns.homelab.local" } },
    { name = "identity",      tier = 1, slo = 99.5, runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "FreeIPA/Keycloak",
      endpoint = "https://sso.homelab.local",          probe = { kind = "http", target = "https://sso.homelab.local/", expect = 200 } },
    { name = "k8s-api",       tier = 1, slo = 99.5, runs_on = "k8s",  vlan = 30, phase = 1, technology = "K3s/RKE2",
      endpoint = "https://k8s-api.homelab.local:6443", probe = { kind = "http", target = "https://k8s-api.homelab.local:6443/readyz", expect = 200 } },
    { name = "prometheus",    tier = 1, slo = 99.5, runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "Prometheus",
      endpoint = "https://prometheus.homelab.local",   probe = { kind = "http", target = "https://prometheus.homelab.local/-/healthy", expect = 200 } },
    { name = "grafana",       tier = 1, slo = 99.5, runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "Grafana",
      endpoint = "https://grafana.homelab.local",      probe = { kind = "http", target = "https://grafana.homelab.local/api/health", expect = 200 } },
    -- assumption: Alertmanager is part of "Monitoring" (§2.2 Alerting).
    { name = "alertmanager",  tier = 1, slo = 99.5, runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "Alertmanager",
      endpoint = "https://alertmanager.homelab.local", probe = { kind = "http", target = "https://alertmanager.homelab.local/-/healthy", expect = 200 } },
    -- Network infrastructure: probed on VLAN 10 (the gateway is 192.168.10.1 there).
    { name = "openwrt",       tier = 1, slo = 99.5, runs_on = "gw1",  vlan = 10, phase = 1, technology = "OpenWrt",
      endpoint = "https://gw1.homelab.local",          probe = { kind = "icmp", target = "192.168.10.1" } },
    { name = "switch",        tier = 1, slo = 99.5, runs_on = "sw1",  vlan = 10, phase = 1, technology = "TP-Link TL-SG108E",
      endpoint = "http://sw1.homelab.local",           probe = { kind = "icmp", target = "192.168.10.2" } },

    -- §6.2 Tier 2: important (99%)
    { name = "harbor",        tier = 2, slo = 99,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "Harbor",
      endpoint = "https://harbor.homelab.local",       probe = { kind = "http", target = "https://harbor.homelab.local/api/v2.0/health", expect = 200 } },
    { name = "gitlab",        tier = 2, slo = 99,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "GitLab CE",
      endpoint = "https://gitlab.homelab.local",       probe = { kind = "http", target = "https://gitlab.homelab.local/users/sign_in", expect = 200 } },
    { name = "argocd",        tier = 2, slo = 99,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "ArgoCD",
      endpoint = "https://argocd.homelab.local",       probe = { kind = "http", target = "https://argocd.homelab.local/healthz", expect = 200 } },
    { name = "loki",          tier = 2, slo = 99,   runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "Loki",
      endpoint = "https://loki.homelab.local",         probe = { kind = "http", target = "https://loki.homelab.local/ready", expect = 200 } },
    { name = "cert-manager",  tier = 2, slo = 99,   runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "cert-manager",
      endpoint = "cert-manager.homelab.local:9402",    probe = { kind = "tcp", target = "cert-manager.homelab.local:9402" } },
    { name = "velero",        tier = 2, slo = 99,   runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "Velero",
      endpoint = "velero.homelab.local:8085",          probe = { kind = "tcp", target = "velero.homelab.local:8085" } },
    -- assumption: PBS is co-installed on pve5 until the dedicated backup server
    -- of §5.4 Phase 2 exists (so pve5's own guests lack a copy elsewhere).
    { name = "pbs",           tier = 2, slo = 99,   runs_on = "pve5", vlan = 10, phase = 1, technology = "Proxmox Backup Server",
      endpoint = "https://pve5.homelab.local:8007",    probe = { kind = "http", target = "https://pve5.homelab.local:8007/", expect = 200 } },

    -- §6.3 Tier 3: standard (95%)
    { name = "staging",       tier = 3, slo = 95,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "Kubernetes namespace",
      endpoint = "https://staging.homelab.local",      probe = { kind = "http", target = "https://staging.homelab.local/", expect = 200 } },
    { name = "test",          tier = 3, slo = 95,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "Kubernetes namespace",
      endpoint = "https://test.homelab.local",         probe = { kind = "http", target = "https://test.homelab.local/", expect = 200 } },
    { name = "dev-databases", tier = 3, slo = 95,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "PostgreSQL/MongoDB/Redis",
      endpoint = "dev-db.homelab.local:5432",          probe = { kind = "tcp", target = "dev-db.homelab.local:5432" } },
    { name = "experimental",  tier = 3, slo = 95,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "Kubernetes namespace",
      endpoint = "https://experimental.homelab.local", probe = { kind = "http", target = "https://experimental.homelab.local/", expect = 200 } },

    -- §2.2 services the §6 catalogue does not list. assumption: their tiers.
    { name = "vault",         tier = 2, slo = 99,   runs_on = "k8s",  vlan = 20, phase = 1, addresses = { "192.168.20.10" }, technology = "HashiCorp Vault",
      endpoint = "https://vault.homelab.local",        probe = { kind = "http", target = "https://vault.homelab.local/v1/sys/health", expect = 200 } },
    { name = "tracing",       tier = 3, slo = 95,   runs_on = "k8s",  vlan = 20, phase = 2, addresses = { "192.168.20.10" }, technology = "Jaeger/Tempo",
      endpoint = "https://tracing.homelab.local",      probe = { kind = "http", target = "https://tracing.homelab.local/ready", expect = 200 } },
    { name = "databases",     tier = 2, slo = 99,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "PostgreSQL/MongoDB/Redis",
      endpoint = "db.homelab.local:5432",              probe = { kind = "tcp", target = "db.homelab.local:5432" } },
    { name = "messaging",     tier = 3, slo = 95,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "NATS",
      endpoint = "nats.homelab.local:4222",            probe = { kind = "tcp", target = "nats.homelab.local:4222" } },
    { name = "ml-platform",   tier = 3, slo = 95,   runs_on = "k8s",  vlan = 30, phase = 1, technology = "Kubeflow/MLflow",
      endpoint = "https://ml.homelab.local",           probe = { kind = "http", target = "https://ml.homelab.local/", expect = 200 } },
    { name = "ingress",       tier = 2, slo = 99,   runs_on = "k8s",  vlan = 50, phase = 1, addresses = { "192.168.50.10" }, technology = "NGINX Ingress Controller",
      endpoint = "https://ingress.homelab.local",      probe = { kind = "http", target = "https://ingress.homelab.local/healthz", expect = 200 } },
    { name = "web-apps",      tier = 3, slo = 95,   runs_on = "k8s",  vlan = 50, phase = 1, addresses = { "192.168.50.10" }, technology = "External web services",
      endpoint = "https://www.homelab.local",          probe = { kind = "http", target = "https://www.homelab.local/", expect = 200 } },
    { name = "vpn",           tier = 2, slo = 99,   runs_on = "k8s",  vlan = 50, phase = 2, addresses = { "192.168.50.20" }, technology = "WireGuard",
      endpoint = "vpn.homelab.local:51820",            probe = { kind = "icmp", target = "vpn.homelab.local" } },
  },

  -- §5.1: the backup schedule table. assumption: every time of day below.
  -- `target` is where the schedule writes, `copies` every place the data
  -- lives (the live copy included): the table names one place per resource,
  -- so the 3-2-1 check reports where the table falls short of §5.1's rule.
  backups = {
    -- "Retention: 30 daily, 12 monthly" (PBS) keeps a year, longer than the
    -- table's "30 days"; both are written as the plan states them.
    { name = "vm-lxc",         resource = "VM/LXC",         schedule = "0 1 * * *",    retention = "30d", target = "pbs",
      rpo = "24h", keep = { daily = 30, monthly = 12 }, copies = { "primary", "pbs" } },
    -- Every 6 hours meets no tier's RPO: the K8s API is tier 1 (RPO 15m).
    -- §5.1 also says "etcd snapshots: Daily"; the table's 6 hours is kept.
    { name = "k8s-etcd",       resource = "K8s etcd",       schedule = "0 */6 * * *",  retention = "7d",  target = "s3",
      tier = 1, copies = { "primary", "s3" } },
    { name = "pv-data",        resource = "PV data",        schedule = "30 2 * * *",   retention = "14d", target = "s3",
      rpo = "24h", copies = { "primary", "s3" } },
    { name = "databases",      resource = "Databases",      schedule = "15 * * * *",   retention = "7d",  target = "backup-storage",
      rpo = "1h", copies = { "primary", "backup-storage" } },
    -- "On change": changes are committed as they are made; this schedule is
    -- the check that nothing is left uncommitted or unpushed.
    { name = "configurations", resource = "Configurations", schedule = "*/15 * * * *", retention = "90d", target = "git",
      copies = { "primary", "git" } },
  },

  -- §5.2: alert categories and thresholds, P1-P4. The severity fixes the
  -- response time (P1 immediate, P2 30 min, P3 4 h, P4 daily) and the route
  -- in the `alerting` section below. `expr` is PromQL on what node_exporter
  -- and the usual exporters give; `check` names a labsh check where no metric
  -- exists: Prometheus sees it as labsh_check_status{check="NAME"} (2 =
  -- CRITICAL), written by the check or by any external signal. `model` says
  -- which capacity baseline figure judges the rule when no Prometheus is
  -- configured (lab.alert.evaluate()). `labsh -m gen prometheus-rules`.
  alerts = {
    -- P1: critical, immediate response
    { name = "node-down",           severity = "P1", ["for"] = "5m",  runbook = "https://runbooks.homelab.local/node-down",
      summary = "Cluster node down (>5 minutes)",
      labels = { component = "compute" },
      expr = [[up{job="node"} == 0]] },
    { name = "proxmox-quorum-lost", severity = "P1", ["for"] = "1m",  runbook = "https://runbooks.homelab.local/proxmox-quorum-lost",
      summary = "Quorum lost in Proxmox cluster",
      labels = { component = "proxmox" },
      expr = [[pve_up{id=~"cluster/.*"} == 0]] },
    { name = "k8s-api-down",        severity = "P1", ["for"] = "2m",  runbook = "https://runbooks.homelab.local/k8s-api-down",
      summary = "K8s API server unreachable",
      labels = { component = "kubernetes" },
      expr = [[absent(up{job="apiserver"} == 1)]] },
    { name = "network-down",        severity = "P1", ["for"] = "2m",  runbook = "https://runbooks.homelab.local/network-down",
      summary = "Complete network failure",
      labels = { component = "network" },
      expr = [[sum(probe_success{job="blackbox-icmp"}) == 0]] },
    { name = "storage-critical",    severity = "P1", ["for"] = "5m",  runbook = "https://runbooks.homelab.local/storage-critical",
      summary = "Storage capacity >95%",
      labels = { component = "storage" }, model = { usage = "storage", above = 95 },
      expr = [[(1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"}) * 100 > 95]] },
    -- A hook for an external signal: the IDS (or a person) pushes
    -- labsh_check_status{check="security-breach"} 2 to the Pushgateway.
    { name = "security-breach",     severity = "P1",                  runbook = "https://runbooks.homelab.local/security-breach",
      summary = "Security breach detected",
      labels = { component = "security" },
      check = "security-breach" },

    -- P2: high, response within 30 minutes
    { name = "crash-looping",       severity = "P2", ["for"] = "5m",  runbook = "https://runbooks.homelab.local/crash-looping",
      summary = "VM/Pod crash looping",
      labels = { component = "workloads" },
      expr = [[max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1 or changes(pve_up{id=~"qemu/.*"}[15m]) > 2]] },
    { name = "cert-expiry-7d",      severity = "P2", ["for"] = "10m", runbook = "https://runbooks.homelab.local/cert-expiry-7d",
      summary = "Certificate expiration <7 days",
      labels = { component = "certificates" },
      expr = [[probe_ssl_earliest_cert_expiry - time() < 7 * 86400]] },
    -- PBS, etcd, database dumps and git have no common exporter: a labsh check.
    { name = "backup-failed",       severity = "P2",                  runbook = "https://runbooks.homelab.local/backup-failed",
      summary = "Backup job failure",
      labels = { component = "backup" },
      check = "backup-failed" },
    { name = "memory-critical",     severity = "P2", ["for"] = "5m",  runbook = "https://runbooks.homelab.local/memory-critical",
      summary = "Memory usage >90%",
      labels = { component = "compute" }, model = { usage = "ram", above = 90 },
      expr = [[(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100 > 90]] },
    { name = "disk-io-errors",      severity = "P2", ["for"] = "1m",  runbook = "https://runbooks.homelab.local/disk-io-errors",
      summary = "Disk I/O errors",
      labels = { component = "storage" },
      expr = [[increase(smartctl_device_media_errors[1h]) > 0 or smartctl_device_smart_status == 0]] },
    { name = "network-latency",     severity = "P2", ["for"] = "5m",  runbook = "https://runbooks.homelab.local/network-latency",
      summary = "Network latency >100ms",
      labels = { component = "network" },
      expr = [[probe_icmp_duration_seconds{phase="rtt"} > 0.1]] },

    -- P3: medium, response within 4 hours
    { name = "cpu-high",            severity = "P3", ["for"] = "15m", runbook = "https://runbooks.homelab.local/cpu-high",
      summary = "CPU usage >80% sustained",
      labels = { component = "compute" }, model = { usage = "cpu", above = 80 },
      expr = [[100 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) * 100 > 80]] },
    { name = "memory-high",         severity = "P3", ["for"] = "15m", runbook = "https://runbooks.homelab.local/memory-high",
      summary = "Memory usage >80%",
      labels = { component = "compute" }, model = { usage = "ram", above = 80 },
      expr = [[(1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) * 100 > 80]] },
    { name = "storage-high",        severity = "P3", ["for"] = "15m", runbook = "https://runbooks.homelab.local/storage-high",
      summary = "Storage capacity >85%",
      labels = { component = "storage" }, model = { usage = "storage", above = 85 },
      expr = [[(1 - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"}) * 100 > 85]] },
    -- Published by `labsh -m slo` from the probes blackbox_exporter runs
    -- (labsh -m gen blackbox): a service below its objective.
    { name = "service-degraded",    severity = "P3",                  runbook = "https://runbooks.homelab.local/service-degraded",
      summary = "Non-critical service degradation",
      labels = { component = "services" },
      check = "service-degraded" },
    { name = "cert-expiry-30d",     severity = "P3", ["for"] = "1h",  runbook = "https://runbooks.homelab.local/cert-expiry-30d",
      summary = "SSL certificate expiration <30 days",
      labels = { component = "certificates" },
      expr = [[probe_ssl_earliest_cert_expiry - time() < 30 * 86400]] },

    -- P4: low, review daily. assumption: 5 minutes is a long-running query;
    -- "slow API" is the Kubernetes API at p99 > 1s.
    { name = "long-running-queries", severity = "P4", ["for"] = "5m",  runbook = "https://runbooks.homelab.local/long-running-queries",
      summary = "Long-running queries",
      labels = { component = "database" },
      expr = [[pg_stat_activity_max_tx_duration{state="active"} > 300]] },
    { name = "slow-api",             severity = "P4", ["for"] = "15m", runbook = "https://runbooks.homelab.local/slow-api",
      summary = "Slow API responses",
      labels = { component = "kubernetes" },
      expr = [[histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{verb!~"WATCH|CONNECT"}[5m]))) > 1]] },
    { name = "config-drift",         severity = "P4",                  runbook = "https://runbooks.homelab.local/config-drift",
      summary = "Minor configuration drift",
      labels = { component = "configuration" },
      check = "config-drift" },
    -- node_exporter's textfile collector (apt script) on Proxmox hosts and
    -- Debian/Ubuntu guests; OpenWrt and Windows are not covered.
    { name = "security-updates",     severity = "P4", ["for"] = "1h",  runbook = "https://runbooks.homelab.local/security-updates",
      summary = "Security updates available",
      labels = { component = "security" },
      expr = [[sum by (instance) (apt_upgrades_pending{origin=~".*[Ss]ecurity.*"}) > 0]] },
  },

  -- §5.2: who hears of an alert. P1 pages, P2 goes to chat, P3 opens a
  -- ticket, P4 waits for the daily digest (`labsh -m gen alertmanager`).
  -- Placeholders: example.invalid never resolves; put your own addresses in
  -- your copy. Secrets only as file:PATH, which Alertmanager reads itself.
  alerting = {
    receivers = {
      { name = "page",   webhook = { url = "https://ntfy.example.invalid/homelab-p1",
                                     bearer = "file:/etc/alertmanager/secrets/ntfy-token" } },
      { name = "chat",   webhook = "https://chat.example.invalid/hooks/homelab-alerts" },
      { name = "ticket", email = "tickets@example.invalid" },
      { name = "digest", email = "homelab-digest@example.invalid" },
    },
    route = { P1 = "page", P2 = "chat", P3 = "ticket", P4 = "digest" },
    email = { smarthost = "smtp.example.invalid:587", from = "alertmanager@example.invalid",
              user = "alertmanager", password = "file:/etc/alertmanager/secrets/smtp-password" },
  },

  -- §5.4: capacity planning.
  capacity = {
    target_band = { 70, 85 },                                    -- §9: 70-85% optimal
    growth      = { compute = 20, memory = 30, storage = 50, network = 25 },
    -- §5.4's baseline table exactly as written, to compare with the totals
    -- computed from the nodes. §1.1 splits the same totals as RAM 112GB
    -- Proxmox + 48GB workstation + 4GB router, storage 2.9TB + 752GB + 128GB.
    baseline = {
      cpu     = { allocated = "50+",    available = "40",     usage = 80 },
      ram     = { allocated = "164GB",  available = "130GB",  usage = 79 },
      storage = { allocated = "3.9TB",  available = "3.0TB",  usage = 77 },
      network = { allocated = "2.5GbE", available = "1.5GbE", usage = 60 },
    },
    -- §1.1 "Cluster Capabilities": the totals the plan states, as written.
    stated = {
      hypervisor  = { ram = "112GB", storage = "2.9TB" },
      workstation = { ram = "48GB",  storage = "752GB" },
      gateway     = { ram = "4GB",   storage = "128GB" },
      all         = { cores = "50+", ram = "164GB", storage = "3.9TB+" },
    },
    expansion = {
      -- "(if needed)"
      { phase = 1, when = "2026-Q1", items = { "Add 1-2 additional Proxmox nodes", "Upgrade to 10GbE switch", "Implement Ceph distributed storage" } },
      { phase = 2, when = "2026-Q2", items = { "Add dedicated backup server", "Implement HA OpenWRT gateway", "Expand to 10-node K8s cluster" } },
      -- the plan: "Q3-Q4 2026"
      { phase = 3, when = "2026-Q3", items = { "Add dedicated storage nodes", "Implement multi-site replication", "Expand GPU capacity for AI workloads" } },
    },
  },

  -- §5.3: maintenance windows.
  maintenance = {
    { name = "standard",  schedule = "0 2 * * 6", duration = "4h",
      notes = "Saturday 02:00-06:00 local time. Blackout periods: major holidays, peak business times" },
    { name = "emergency",
      notes = "As needed with notification" },
  },

  -- §5.1: RTO/RPO per service tier (critical, important, standard).
  recovery = {
    { tier = 1, rto = "1h",  rpo = "15m" },
    { tier = 2, rto = "4h",  rpo = "1h" },
    { tier = 3, rto = "24h", rpo = "24h" },
  },

  -- §8: the roadmap. Phase 0 is current ("✓ CURRENT"), every other phase
  -- planned; the items are §8's headings. The monthly review reads it.
  roadmap = {
    { phase = 0, name = "Foundation", status = "current",
      items = { "Document existing infrastructure", "Network architecture design", "VLAN configuration",
                "OpenWRT gateway setup", "Basic monitoring" } },
    { phase = 1, name = "Core Infrastructure", status = "planned",
      items = { "Complete Proxmox cluster configuration (HA, shared storage, PBS backups)",
                "Deploy Ansible control node", "Establish monitoring baseline" } },
    { phase = 2, name = "Platform Services", status = "planned",
      items = { "Deploy Kubernetes cluster", "Core K8s services", "Identity and secrets" } },
    { phase = 3, name = "Developer Platform", status = "planned",
      items = { "CI/CD Infrastructure", "Database services", "Observability stack" } },
    { phase = 4, name = "Security Hardening", status = "planned",
      items = { "Security implementations", "Compliance setup", "Backup validation" } },
    { phase = 5, name = "AI/ML Platform", status = "planned",
      items = { "GPU integration", "ML platform", "Workload deployment" } },
    { phase = 6, name = "Advanced Features", status = "planned",
      items = { "High availability enhancements", "Performance optimization", "External access" } },
  },

  -- The plan's schedules (§5.1, §5.2, §12) are the built-in homelab's jobs:
  -- stdlib/labsh/homelab_jobs.lua (`labsh -m jobs list`); `labsh -m
  -- inventory init` writes them into your copy as `jobs = { ... }`.

  -- Where the live systems are. Left out of the built-in homelab, which
  -- describes the plan and must not reach into a network it only models:
  -- uncomment it in your copy (labsh -m inventory init). assumption:
  -- addresses on the Ops VLAN 20; the textfile directory is Debian's
  -- prometheus-node-exporter default. An endpoint is a URL, or a table
  -- { url =, ca_file =, bearer = "env:NAME" } or { url =, user =,
  -- password = "file:/etc/labsh/am.pass" }: secrets by reference only.
  -- monitoring = {
  --   prometheus   = "http://192.168.20.10:9090",
  --   alertmanager = "http://192.168.20.11:9093",
  --   pushgateway  = "http://192.168.20.12:9091",
  --   textfile_dir = "/var/lib/prometheus/node-exporter",
  -- },

  -- How labsh reaches the hosts over SSH (lab.exec, scripts/playbooks).
  -- Left out for the same reason: without it labsh contacts no host, and a
  -- playbook's --dry-run shows its plan. §4.2: key-based SSH through a
  -- bastion in the Management VLAN (add it as a guest first). A host's own
  -- `ssh = { host =, port =, user = }` overrides these; keys and the sudo
  -- password by reference only.
  -- ssh = {
  --   user          = "ansible",
  --   key           = "file:/etc/labsh/id_ed25519",
  --   known_hosts   = "/etc/labsh/known_hosts",
  --   jump          = "bastion",
  --   sudo_password = "env:LABSH_SUDO_PASSWORD",
  -- },
}
