-- Three Proxmox nodes (role "pve") and a NAS; management is "infra" on
-- VLAN 5, the DMZ "edge" on VLAN 30, IoT on VLAN 50.
return {
  site = { name = "riverside", domain = "riverside.lan", timezone = "America/Chicago" },
  nodes = {
    { name = "hv-a", kind = "hypervisor", role = "pve", cluster = "river", address = "10.5.0.11", vlans = { 5, 40 },
      cpu = { model = "Xeon E-2236", cores = 6, threads = 12 }, ram = "64GiB", disks = { { type = "nvme", size = "2TB" } },
      uplinks = { "core" }, power = { "ups1" } },
    { name = "hv-b", kind = "hypervisor", role = "pve", cluster = "river", address = "10.5.0.12", vlans = { 5, 40 },
      cpu = { model = "Xeon E-2236", cores = 6, threads = 12 }, ram = "64GiB", disks = { { type = "nvme", size = "2TB" } },
      uplinks = { "core" }, power = { "ups1" } },
    { name = "hv-c", kind = "hypervisor", role = "pve", cluster = "river", address = "10.5.0.13", vlans = { 5, 40 },
      cpu = { model = "Ryzen 5 5600", cores = 6, threads = 12 }, ram = "32GiB", disks = { { type = "ssd", size = "1TB" } },
      uplinks = { "core" }, power = { "ups1" } },
    { name = "vault", kind = "nas", role = "storage", address = "10.5.0.20", vlans = { 5 },
      cpu = { model = "Celeron J4125", cores = 4, threads = 4 }, ram = "8GiB",
      disks = { { type = "hdd", size = "8TB" }, { type = "hdd", size = "8TB" } }, uplinks = { "core" }, power = { "ups1" } },
    { name = "edge-rtr", kind = "gateway", role = "firewall", address = "10.5.0.1", vlans = { 5, 30, 40, 50 },
      nics = { { name = "wan", speed = "2.5GbE" } }, uplinks = { "internet" }, power = { "mains" } },
    { name = "core", kind = "switch", address = "10.5.0.2", vlans = { 5, 30, 40, 50 }, uplinks = { "edge-rtr" }, power = { "ups1" } },
  },
  guests = {
    { name = "blog", kind = "lxc", node = "hv-a", vcpu = 1, ram = "1GiB", disk = "8GiB", role = "web",
      ha_group = "web", vlan = 30, address = "10.30.0.10" },
    { name = "web1.riverside.lan", kind = "vm", node = "hv-b", vcpu = 2, ram = "2GiB", disk = "20GiB", role = "web",
      ha_group = "web", vlan = 30, address = "10.30.0.11" },
    { name = "hass", kind = "vm", node = "hv-c", vcpu = 2, ram = "4GiB", disk = "32GiB", role = "home-automation",
      vlan = 50, address = "10.50.0.10" },
    { name = "git", kind = "lxc", node = "hv-a", vcpu = 2, ram = "4GiB", disk = "50GiB", role = "forge",
      ha_group = "web", vlan = 40, address = "10.40.0.10" },
  },
  vlans = {
    { id = 5,  name = "infra", subnet = "10.5.0.0/24",  gateway = "10.5.0.1",  zone = "infra", trust = "critical" },
    { id = 30, name = "edge",  subnet = "10.30.0.0/24", gateway = "10.30.0.1", zone = "edge",  trust = "isolated", public = true },
    { id = 40, name = "apps",  subnet = "10.40.0.0/24", gateway = "10.40.0.1", zone = "apps",  trust = "medium" },
    { id = 50, name = "iot",   subnet = "10.50.0.0/24", gateway = "10.50.0.1", zone = "iot",   trust = "low" },
  },
  policy = {
    default = "deny",
    rules = {
      { from = "infra", to = "*",        action = "allow", note = "administration" },
      { from = "apps",  to = "internet", action = "allow" },
      { from = "edge",  to = "internet", action = "allow" },
      { from = "edge",  to = "*",        action = "deny",  note = "DMZ isolation" },
      { from = "iot",   to = "infra",    action = "deny",  note = "IoT never reaches infra" },
      -- a shadowed boundary: iot -> apps is allowed before the deny below
      { from = "iot",   to = "apps",     action = "allow" },
      { from = "iot",   to = "*",        action = "deny",  note = "IoT isolation" },
    },
  },
  services = {
    { name = "blog", tier = 3, runs_on = "blog", vlan = 30, endpoint = "https://blog.riverside.lan" },
    { name = "home-assistant", tier = 2, runs_on = "hass", vlan = 50, endpoint = "http://hass.riverside.lan:8123" },
    { name = "forge", tier = 2, runs_on = "git", vlan = 40 },
  },
  backups = {
    { name = "guests", resource = "VM/LXC", schedule = "0 3 * * *", retention = "14d", target = "vault" },
  },
  targets = {
    hypervisors = { role = "pve" },
    linux = { kind = { "hypervisor", "vm", "lxc" } },
  },
  ha_groups = {
    { name = "web", nodes = { { node = "hv-a", priority = 2 }, { node = "hv-b", priority = 2 }, { node = "hv-c", priority = 1 } } },
  },
}
