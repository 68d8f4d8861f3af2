-- One machine on one network: nothing else.
return {
  site = { name = "den", domain = "den.home.arpa", timezone = "UTC" },
  nodes = {
    { name = "box", kind = "server", address = "172.16.8.2", vlans = { 8 },
      cpu = { model = "N100", cores = 4, threads = 4 }, ram = "16GiB", disks = { { type = "nvme", size = "500GB" } } },
  },
  vlans = {
    { id = 8, name = "home", subnet = "172.16.8.0/24", gateway = "172.16.8.1", zone = "home", trust = "low" },
  },
  policy = { default = "deny", rules = {} },
}
