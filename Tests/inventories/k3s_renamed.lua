-- Kubernetes under other names: control planes "cp", workers "agent", its API
-- service and etcd backup named by this lab.
return {
  site = { name = "kube", domain = "kube.lan", timezone = "UTC" },
  nodes = {
    { name = "h1", kind = "hypervisor", cluster = "k", address = "10.60.0.1", vlans = { 60 },
      cpu = { model = "x", cores = 8, threads = 16 }, ram = "64GiB" },
    { name = "h2", kind = "hypervisor", cluster = "k", address = "10.60.0.2", vlans = { 60 },
      cpu = { model = "x", cores = 8, threads = 16 }, ram = "64GiB" },
    { name = "h3", kind = "hypervisor", cluster = "k", address = "10.60.0.3", vlans = { 60 },
      cpu = { model = "x", cores = 8, threads = 16 }, ram = "64GiB" },
  },
  guests = {
    { name = "cp1", kind = "vm", node = "h1", vcpu = 2, ram = "4GiB", disk = "30GiB", role = "cp", ha_group = "cps", vlan = 61, address = "10.61.0.11" },
    { name = "cp2", kind = "vm", node = "h2", vcpu = 2, ram = "4GiB", disk = "30GiB", role = "cp", ha_group = "cps", vlan = 61, address = "10.61.0.12" },
    { name = "cp3", kind = "vm", node = "h3", vcpu = 2, ram = "4GiB", disk = "30GiB", role = "cp", ha_group = "cps", vlan = 61, address = "10.61.0.13" },
    { name = "ag1", kind = "vm", node = "h1", vcpu = 4, ram = "8GiB", disk = "60GiB", role = "agent", vlan = 61, address = "10.61.0.21" },
  },
  vlans = {
    { id = 60, name = "hosts", subnet = "10.60.0.0/24", gateway = "10.60.0.254", zone = "hosts", trust = "critical" },
    { id = 61, name = "kube",  subnet = "10.61.0.0/24", gateway = "10.61.0.254", zone = "kube",  trust = "medium" },
  },
  policy = { default = "deny", rules = { { from = "hosts", to = "*", action = "allow" } } },
  targets = {
    k8s_servers = { role = "cp" },
    k8s_agents = { role = "agent" },
  },
  ha_groups = { { name = "cps", nodes = { "h1", "h2", "h3" } } },
  -- The API and the etcd snapshots under this lab's own names: k8s-bootstrap
  -- finds them by the API's port and by what the backup holds.
  services = {
    { name = "kube-apiserver", tier = 1, runs_on = "k8s", vlan = 61, endpoint = "https://api.kube.lan:6443" },
  },
  backups = {
    { name = "cluster-state", resource = "etcd snapshots", schedule = "0 */4 * * *", retention = "2d", target = "local" },
  },
}
