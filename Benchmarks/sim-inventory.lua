-- Writes an inventory of 50 Proxmox nodes (one cluster, behind two
-- switches and a gateway, two power feeds) and 2,000 guests (HA groups,
-- three etcd masters) to the file named by the first argument, for
-- Benchmarks/sim.sh.
local path = assert(..., "usage: labsh Benchmarks/sim-inventory.lua FILE")
local out = assert(io.open(path, "w"))
local function w(...) out:write(...) end
w('return {\n  site = { name = "sim", domain = "sim.local", timezone = "UTC" },\n')
w('  vlans = { { id = 10, name = "mgmt", subnet = "10.10.0.0/16", gateway = "10.10.0.1", zone = "mgmt", trust = "high" },\n')
w('            { id = 30, name = "k8s", subnet = "10.30.0.0/16", gateway = "10.30.0.1", zone = "k8s", trust = "medium" } },\n')
w('  policy = { default = "deny", rules = {} },\n  nodes = {\n')
w('    { name = "gw", kind = "gateway", address = "10.10.0.1", vlans = { 10, 30 }, uplinks = { "internet" }, power = { "a" } },\n')
w('    { name = "swa", kind = "switch", address = "10.10.0.2", vlans = { 10, 30 }, uplinks = { "gw" }, power = { "a" } },\n')
w('    { name = "swb", kind = "switch", address = "10.10.0.3", vlans = { 10, 30 }, uplinks = { "gw" }, power = { "b" } },\n')
for n = 1, 50 do
  w(('    { name = "n%d", kind = "hypervisor", cluster = "big", ram = "256GiB", address = "10.10.1.%d", vlans = { 10, 30 },\n')
    :format(n, n))
  w(('      uplinks = { "swa", "swb" }, power = { "%s" }, cpu = { model = "x", cores = 32, threads = 64 },\n')
    :format(n % 2 == 0 and "a" or "b"))
  w('      disks = { { type = "nvme", size = "4TB" } } },\n')
end
w('  },\n  guests = {\n')
for g = 1, 2000 do
  local role, group = "k8s-worker", "workers" .. (g % 4)
  if g <= 3 then role, group = "k8s-master", "masters" end
  w(('    { name = "g%d", kind = "vm", node = "n%d", vcpu = %d, ram = "%dGiB", disk = "40GiB", role = "%s", ha_group = "%s",\n')
    :format(g, (g - 1) % 50 + 1, 1 + g % 4, 2 + g % 5, role, group))
  w(('      vlan = 30, address = "10.30.%d.%d" },\n'):format(g // 250, g % 250 + 1))
end
w('  },\n  services = {\n')
for s = 1, 40 do
  w(('    { name = "s%d", tier = %d, slo = %s, runs_on = "%s", vlan = 30 },\n')
    :format(s, s % 3 + 1, ({ "99.5", "99", "95" })[s % 3 + 1], s % 5 == 0 and ("n" .. s) or "k8s"))
end
w('  },\n}\n')
out:close()
