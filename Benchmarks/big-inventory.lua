-- Writes an inventory of 1,000 nodes, 10,000 guests and 200 VLANs to the
-- file named by the first argument (for make bench).
local path = assert(..., "usage: labsh Benchmarks/big-inventory.lua FILE")
local out = assert(io.open(path, "w"))
local function w(...) out:write(...) end

w('return {\n  site = { name = "big", domain = "big.local", timezone = "UTC" },\n  vlans = {\n')
for v = 1, 200 do
  w(('    { id = %d, name = "v%d", subnet = "10.%d.%d.0/24", gateway = "10.%d.%d.1", zone = "z%d", trust = "medium" },\n')
    :format(v, v, v // 256, v % 256, v // 256, v % 256, v))
end
w('  },\n  nodes = {\n')
for n = 1, 1000 do
  local v = (n - 1) % 200 + 1
  w(('    { name = "n%d", kind = "hypervisor", ram = "256GiB", address = "10.%d.%d.%d", vlans = { %d },\n')
    :format(n, v // 256, v % 256, 10 + (n - 1) // 200, v))
  w('      cpu = { model = "x", cores = 32, threads = 64 }, disks = { { type = "nvme", size = "4TB" } } },\n')
end
w('  },\n  guests = {\n')
for g = 1, 10000 do
  local v = (g - 1) % 200 + 1
  w(('    { name = "g%d", kind = "vm", node = "n%d", vcpu = 2, ram = "4GiB", disk = "40GB", vlan = %d, address = "10.%d.%d.%d" },\n')
    :format(g, (g - 1) % 1000 + 1, v, v // 256, v % 256, 20 + (g - 1) // 200))
end
w('  },\n  policy = { default = "deny", rules = {\n')
for v = 1, 199 do
  w(('    { from = "z%d", to = "z%d", action = "allow", ports = { 443 }, proto = "tcp" },\n'):format(v, v + 1))
end
w('  } },\n}\n')
out:close()
