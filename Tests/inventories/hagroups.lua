-- HA groups that name their nodes: every "db" guest runs on n1, but the
-- group may use n3 (preferred) and n2.
return {
  site = { name = "quorum", domain = "quorum.lan", timezone = "UTC" },
  nodes = {
    { name = "n1", kind = "hypervisor", cluster = "q", address = "10.20.0.1", vlans = { 20 },
      cpu = { model = "x", cores = 8, threads = 16 }, ram = "64GiB", uplinks = { "s" } },
    { name = "n2", kind = "hypervisor", cluster = "q", address = "10.20.0.2", vlans = { 20 },
      cpu = { model = "x", cores = 8, threads = 16 }, ram = "64GiB", uplinks = { "s" } },
    { name = "n3", kind = "hypervisor", cluster = "q", address = "10.20.0.3", vlans = { 20 },
      cpu = { model = "x", cores = 8, threads = 16 }, ram = "64GiB", uplinks = { "s" } },
    { name = "s", kind = "switch", address = "10.20.0.250", vlans = { 20 } },
  },
  guests = {
    { name = "db1", kind = "vm", node = "n1", vcpu = 4, ram = "16GiB", disk = "100GiB", ha_group = "db", vlan = 20, address = "10.20.0.101" },
    { name = "db2", kind = "vm", node = "n1", vcpu = 4, ram = "16GiB", disk = "100GiB", ha_group = "db", vlan = 20, address = "10.20.0.102" },
  },
  vlans = {
    { id = 20, name = "lab", subnet = "10.20.0.0/24", gateway = "10.20.0.254", zone = "lab", trust = "high" },
  },
  policy = { default = "deny", rules = {} },
  ha_groups = {
    { name = "db", nodes = { "n1", { node = "n2", priority = 1 }, { node = "n3", priority = 5 } } },
  },
}
