-- The library's own specs: `labsh -m test DIR` runs them.

local placement = require "placement"

-- An inventory of the spec's own: two nodes, three guests.
local INVENTORY = [[
return {
  site = { name = "spec", domain = "spec.test", timezone = "UTC" },
  vlans = { { id = 7, name = "lab", subnet = "10.7.0.0/24", gateway = "10.7.0.1", zone = "lab", trust = "high" } },
  nodes = {
    { name = "alpha", kind = "hypervisor", address = "10.7.0.2", vlans = { 7 }, ram = "64GiB",
      cpu = { model = "x", cores = 8, threads = 16 } },
    { name = "beta", kind = "hypervisor", address = "10.7.0.3", vlans = { 7 }, ram = "64GiB",
      cpu = { model = "x", cores = 8, threads = 16 } },
  },
  guests = {
    { name = "g1", node = "alpha", kind = "vm", vcpu = 2, ram = "4GiB", disk = "20GiB", vlan = 7,
      address = "10.7.0.11" },
    { name = "g2", node = "alpha", kind = "vm", vcpu = 2, ram = "4GiB", disk = "20GiB", vlan = 7,
      address = "10.7.0.12" },
    { name = "g3", node = "beta", kind = "lxc", vcpu = 1, ram = "1GiB", disk = "8GiB", vlan = 7,
      address = "10.7.0.13" },
  },
  policy = { default = "deny", rules = {} },
}
]]

test("guests are counted per node, in the inventory's order", function()
  local rows = placement.guests_per_node({ { name = "a" }, { name = "b" } }, { { node = "b" }, { node = "b" } })
  assert_same(rows[1], { node = "a", guests = 0 })
  assert_same(rows[2], { node = "b", guests = 2 })
end)

test("the script prints each node with its guests", function()
  local r = run_script("guests-per-node", {}, { inventory = write_temp(INVENTORY) })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, ("%-20s %d\n%-20s %d\n"):format("alpha", 2, "beta", 1))
end)

test("--min leaves out the nodes with fewer guests; a bad value is a usage error", function()
  local inventory = write_temp(INVENTORY)
  assert_eq(run_script("guests-per-node", { "--min", "2" }, { inventory = inventory }).stdout,
            ("%-20s %d\n"):format("alpha", 2))
  assert_eq(run_script("guests-per-node", { "--min", "many" }, { inventory = inventory }).status, 2)
end)

test("a dry run changes nothing", function()
  local watched = temp_dir()
  assert_dry_run_changes_nothing("guests-per-node", {}, { inventory = write_temp(INVENTORY), watch = { watched } })
end)
