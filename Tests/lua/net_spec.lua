-- lab.net, lab.ipam and lab.slo on the built-in homelab. Runs under labsh.

test("the plan's firewall rules decide as §4.1 says", function()
  lab.inventory.load()
  local function allowed(from, to, port) return (lab.net.allows(from, to, port)) end
  assert_eq(allowed("management", "k8s"), true, "admin access")
  assert_eq(allowed("ops", "management"), true, "monitoring")
  assert_eq(allowed("ops", "k8s"), true, "monitoring")
  assert_eq(allowed("k8s", "ops"), true, "services")
  assert_eq(allowed("k8s", "internet"), true, "updates")
  assert_eq(allowed("k8s", "management"), false, "isolation boundary")
  assert_eq(allowed("dmz", "internet"), true, "public services")
  for _, internal in ipairs { "lan", "management", "ops", "k8s" } do
    assert_eq(allowed("dmz", internal), false, "dmz -> " .. internal)
  end
  assert_eq(allowed("lan", "ops"), false, "default deny")
end)

test("places can be VLANs, nodes and guests", function()
  assert_eq((lab.net.allows(30, 10)), false)
  assert_eq((lab.net.allows("pve1", "dmz")), true, "pve1 sits in management")
  local first_worker = lab.guests { role = "k8s-worker" }[1].name
  assert_eq((lab.net.allows(first_worker, "management")), false)
  local ok, err = pcall(lab.net.allows, "nowhere", "k8s")
  assert_eq(ok, false)
  assert(tostring(err):find("'nowhere' is not a zone, VLAN, node or guest", 1, true), tostring(err))
end)

test("why names the rule that decided", function()
  local line = lab.net.why("k8s", "management")
  assert(line:find("^k8s %-> management: denied %(rule %d+: k8s → management denied"), line)
  assert(lab.net.why("lan", "ops"):find("default deny", 1, true))
end)

test("the matrix has a row per zone", function()
  local rows = lab.net.matrix()
  assert_eq(#rows, 5)
  for _, row in ipairs(rows) do
    if row.from == "dmz" then
      assert_eq(row.internet, "allowed")
      assert_eq(row.management, "denied")
    end
  end
end)

test("ipam answers exactly", function()
  local p = lab.ipam.parse("192.168.30.0/24")
  assert_eq(p.hosts, 254)
  assert_eq(p.last, "192.168.30.254")
  assert_eq(lab.ipam.hosts("10.0.0.0/31"), 2)
  assert_eq(lab.ipam.ptr("192.168.10.5"), "5.10.168.192.in-addr.arpa.")
  assert_eq(lab.ipam.contains("192.168.0.0/16", "192.168.30.0/24"), true)
  assert_eq(lab.ipam.overlaps("192.168.30.0/24", "192.168.31.0/24"), false)
  assert_eq(table.concat(lab.ipam.reverse_zones("192.168.30.0/23"), " "),
            "30.168.192.in-addr.arpa 31.168.192.in-addr.arpa")
  local vlan = lab.vlan(30)
  local used = {}
  for _, g in ipairs(lab.guests { vlan = 30 }) do used[#used + 1] = g.address end
  local free = lab.ipam.next_free(vlan.subnet, used, vlan.gateway)
  assert_eq(lab.ipam.contains(vlan.subnet, free), true)
  for _, address in ipairs(used) do assert(free ~= address, "next_free skipped " .. address) end
  assert_eq(lab.ipam.next_free("10.0.0.0/30", { "10.0.0.2" }, "10.0.0.1"), nil, "a full /30")
  local ok, err = pcall(lab.ipam.parse, "192.168.10.5/24")
  assert_eq(ok, false)
  assert(tostring(err):find("the network is 192.168.10.0/24", 1, true), tostring(err))
end)

test("slo budgets over 30 days", function()
  assert_eq(lab.slo(1).budget, "3h 36m")
  assert_eq(lab.slo(1).seconds, 12960)
  assert_eq(lab.slo(2).seconds, 25920)
  assert_eq(lab.slo("99.9").budget, "43m 12s")
  assert_eq(lab.slo("dns").target, "99.5")
end)
