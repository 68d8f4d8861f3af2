-- Every address is IPv6; the ISP delegates a prefix by DHCPv6.
return {
  site = { name = "sixlab", domain = "six.example.org", timezone = "Europe/Amsterdam" },
  nodes = {
    { name = "gw6", kind = "gateway", address = "2001:db8:0:a::1", vlans = { 100, 200 },
      nics = { { name = "eth0", speed = "1GbE" }, { name = "eth1", speed = "1GbE" } }, uplinks = { "internet" } },
    { name = "pm1", kind = "hypervisor", cluster = "six", address = "2001:db8:0:a::11", vlans = { 100 },
      cpu = { model = "i5-12500", cores = 6, threads = 12 }, ram = "32GiB", disks = { { type = "nvme", size = "1TB" } },
      uplinks = { "gw6" } },
  },
  guests = {
    { name = "www", kind = "lxc", node = "pm1", vcpu = 1, ram = "1GiB", disk = "10GiB", vlan = 200, address = "2001:db8:0:b::10" },
  },
  vlans = {
    { id = 100, name = "admin", subnet = "2001:db8:0:a::/64", gateway = "2001:db8:0:a::1", zone = "admin", trust = "critical" },
    { id = 200, name = "public", subnet = "2001:db8:0:b::/64", gateway = "2001:db8:0:b::1", zone = "pub", trust = "isolated", public = true },
  },
  policy = {
    default = "deny",
    rules = {
      { from = "admin", to = "*", action = "allow" },
      { from = "pub", to = "internet", action = "allow" },
      { from = "pub", to = "admin", action = "deny", note = "public side stays out" },
    },
  },
  services = { { name = "www", tier = 3, runs_on = "www", vlan = 200 } },
}
