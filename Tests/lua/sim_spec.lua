-- lab.sim on the built-in homelab: what the model gives, stated and checked.
-- The rules themselves are tested in Swift (Tests/HomelabTests/SimulationTests).

-- Runs fn with the built-in homelab's text changed by `edit`, then restores.
local function with_homelab(edit, fn)
  with_inventory(edit(require("labsh.host").embedded("stdlib/labsh/homelab.lua")), fn)
end

local function names(list, field)
  local out = {}
  for i, item in ipairs(list) do out[i] = item[field] end
  table.sort(out)
  return out
end

test("n-1: losing the switch hurts most; of the hypervisors, pve5", function()
  local ranked = lab.sim.n_minus_1()
  assert_eq(#ranked, 9, "every node of the inventory, one at a time")
  -- Every node hangs off sw1 alone: without it the five Proxmox nodes see
  -- no one, so none has quorum (1/5) and, running HA guests, each fences
  -- itself: etcd has no member left.
  local worst = ranked[1]
  assert_eq(worst.node, "sw1")
  assert_eq(worst.proxmox, "1/5 LOST")
  assert_eq(worst.etcd, "0/3 LOST")
  assert_eq(worst.report.kubernetes.etcd_quorum, false)
  assert_same(worst.report.isolated, { "pve1", "pve2", "pve3", "pve4", "pve5", "z440" })
  -- then the gateway (internet and OpenWrt gone), then the ISP router
  assert_eq(ranked[2].node, "gw1")
  assert_eq(ranked[3].node, "isp-router")
  -- the worst hypervisor: pve5 holds PBS (a tier-2 service) and two workers
  -- (28 GiB) that no survivor has room for
  local hypervisor
  for _, r in ipairs(ranked) do
    if r.node:match("^pve") then hypervisor = r break end
  end
  assert_eq(hypervisor.node, "pve5")
  assert_same(names(hypervisor.report.stranded, "guest"), { "k8s-w6", "k8s-w7" })
  assert_eq(hypervisor.report.services[1].service, "pbs")
  assert_eq(hypervisor.report.services[1].loses_slo, true)
end)

test("one Proxmox node down: both quorums hold, but the workers have no room", function()
  local r = lab.sim.fail { "pve1" }
  assert_same(r.proxmox[1], { cluster = "homelab", votes = 5, alive = 4, needed = 3, quorate = true })
  assert_eq(r.kubernetes.etcd_quorum, true)
  assert_eq(r.kubernetes.running, 2)
  -- k8s-m1 may not join another master (one host, one etcd vote); k8s-w1's
  -- 14 GiB fit nowhere: every survivor's RAM less 2 GiB is already allocated
  local why = {}
  for _, s in ipairs(r.stranded) do why[s.guest] = s.reason end
  assert(why["k8s-m1"]:find("apart"), why["k8s-m1"])
  assert(why["k8s-w1"]:find("RAM"), why["k8s-w1"])
  assert_eq(#r.moved, 0)
  assert_eq(#r.services, 0, "no service loses its SLO")
end)

test("two of the three masters down: etcd loses quorum, tier 1 loses its SLO", function()
  local r = lab.sim.fail { "pve1", "pve2" }
  assert_eq(r.proxmox[1].quorate, true, "3 of 5 votes keep Proxmox quorate")
  assert_eq(r.kubernetes.masters, 3)
  assert_eq(r.kubernetes.running, 1)
  assert_eq(r.kubernetes.etcd_quorum, false)
  assert_eq(r.kubernetes.api, false)
  local lost = {}
  for _, s in ipairs(r.services) do lost[s.service] = s.loses_slo end
  assert_eq(lost["k8s-api"], true, "24 h repair > 3.6 h monthly budget at 99.5%")
  assert_eq(lost["staging"], false, "24 h < 36 h budget at 95%")
  -- with a 2 h repair only... nothing that fits in the budget is lost
  local quick = lab.sim.fail({ "pve1", "pve2" }, { repair = 2 * 3600 })
  for _, s in ipairs(quick.services) do assert_eq(s.loses_slo, false, s.service) end
end)

test("the GPU worker has nowhere to go", function()
  local r = lab.sim.fail("z440")
  assert_eq(#r.gpu, 1)
  assert_eq(r.gpu[1].guest, "k8s-gpu1")
  assert_eq(r.gpu[1].reason, "no surviving node has a GPU")
end)

test("spof: derived from uplinks and power, as §11 lists them", function()
  local list = lab.sim.spof()
  assert_same(names(list, "element"), { "gw1", "internet", "isp-router", "mains", "sw1" })
  local kind = {}
  for _, p in ipairs(list) do kind[p.element] = p.kind end
  assert_same(kind, { gw1 = "gateway", internet = "uplink", ["isp-router"] = "router", mains = "power", sw1 = "switch" })
  assert_eq(list[1].element, "mains", "the power feed takes everything")
end)

test("spof: a UPS as a second feed removes power; a second switch removes sw1", function()
  with_homelab(function(text)
    text = text:gsub('power   = { "mains" }', 'power = { "mains", "ups" }')
    -- a second switch, every node dual-homed
    text = text:gsub('uplinks = { "sw1" }', 'uplinks = { "sw1", "sw2" }')
    return (text:gsub("(%-%- §1.2: the ISP router)", [[{ name = "sw2", kind = "switch", address = "192.168.10.3", vlans = { 1, 10, 20, 30, 50 },
      uplinks = { "gw1" }, power = { "mains", "ups" } },
    %1]]))
  end, function()
    local list = lab.sim.spof()
    assert_same(names(list, "element"), { "gw1", "internet", "isp-router" })
    assert_eq(lab.sim.n_minus_1()[1].node, "gw1")
  end)
end)

test("names that are neither nodes nor feeds are errors", function()
  local ok, err = pcall(lab.sim.fail, { "pve9" })
  assert(not ok)
  assert(tostring(err):find("'pve9' is neither a node"), tostring(err))
end)
