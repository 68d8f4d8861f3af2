-- Nodes without CPU, RAM or disk figures (nobody wrote them down).
return {
  site = { name = "attic", domain = "attic.lan", timezone = "Europe/London" },
  nodes = {
    { name = "alpha", kind = "hypervisor", address = "10.9.1.10", vlans = { 91 } },
    { name = "beta",  kind = "hypervisor", address = "10.9.1.11", vlans = { 91 } },
    { name = "fw",    kind = "gateway",    address = "10.9.1.1",  vlans = { 91, 92 }, uplinks = { "internet" } },
  },
  vlans = {
    { id = 91, name = "servers", subnet = "10.9.1.0/24", gateway = "10.9.1.1", zone = "servers", trust = "high" },
    { id = 92, name = "guests",  subnet = "10.9.2.0/24", gateway = "10.9.2.1", zone = "visitors", trust = "low" },
  },
  policy = {
    default = "deny",
    rules = {
      { from = "servers",  to = "*", action = "allow" },
      { from = "visitors", to = "internet", action = "allow" },
      { from = "visitors", to = "servers", action = "deny", note = "visitors stay out" },
    },
    -- what the report's Policy section checks, in this lab's own words
    boundaries = {
      { from = "visitors", to = "servers", expect = "deny", why = "visitors stay out" },
      { from = "servers", to = "visitors", expect = "allow", why = "the servers manage the guest network" },
    },
  },
}
