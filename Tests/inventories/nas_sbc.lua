-- A NAS (storage for others), a Raspberry Pi and a plain server running
-- containers; no hypervisor at all.
return {
  site = { name = "shelf", domain = "shelf.lan", timezone = "Europe/Vienna" },
  nodes = {
    { name = "tank", kind = "nas", address = "192.168.77.5", vlans = { 77 }, os = "TrueNAS SCALE",
      cpu = { model = "Ryzen 3 PRO", cores = 4, threads = 8 }, ram = "32GiB",
      disks = { { type = "hdd", size = "16TB" }, { type = "hdd", size = "16TB" }, { type = "ssd", size = "500GB" } } },
    { name = "pi", kind = "sbc", address = "192.168.77.6", vlans = { 77 }, os = "Debian 12",
      cpu = { model = "Cortex-A76", cores = 4, threads = 4 }, ram = "8GiB", disks = { { type = "sd", size = "64GB" } } },
    { name = "srv", kind = "server", address = "192.168.77.7", vlans = { 77 }, os = "Debian 12",
      cpu = { model = "i3-10100", cores = 4, threads = 8 }, ram = "16GiB", disks = { { type = "ssd", size = "1TB" } } },
  },
  guests = {
    { name = "dns", kind = "lxc", node = "pi", vcpu = 1, ram = "512MiB", disk = "4GiB", vlan = 77, address = "192.168.77.53" },
    { name = "media", kind = "lxc", node = "srv", vcpu = 2, ram = "4GiB", disk = "40GiB", vlan = 77, address = "192.168.77.60" },
  },
  vlans = {
    { id = 77, name = "flat", subnet = "192.168.77.0/24", gateway = "192.168.77.1", zone = "flat", trust = "medium" },
  },
  policy = { default = "deny", rules = { { from = "flat", to = "internet", action = "allow" } } },
}
