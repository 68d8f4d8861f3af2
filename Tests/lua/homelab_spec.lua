-- The built-in inventory (stdlib/labsh/homelab.lua) against the plan
-- (../shared/homelab-plan.md) and the format of stdlib/meta/inventory.d.lua.

local root = os.getenv("LABSH_ROOT") or "."
local inv = dofile(root .. "/stdlib/labsh/homelab.lua")

local function by_name(list)
  local map = {}
  for _, item in ipairs(list) do map[item.name] = item end
  return map
end

local function count_if(list, pred)
  local n = 0
  for _, item in ipairs(list) do if pred(item) then n = n + 1 end end
  return n
end

-- "20GiB" -> bytes; SI and IEC units both understood.
local UNITS = { B = 1, KB = 1e3, MB = 1e6, GB = 1e9, TB = 1e12,
                KiB = 2^10, MiB = 2^20, GiB = 2^30, TiB = 2^40 }
local function bytes(size)
  local number, unit = tostring(size):match("^(%d+%.?%d*)(%a+)$")
  assert(number and UNITS[unit], "not a size: " .. tostring(size))
  return tonumber(number) * UNITS[unit]
end

local nodes = by_name(inv.nodes)

----------------------------------------------------------------------------
-- §1.1 compute

test("§1.1: five Proxmox hypervisors with the plan's hardware and RAM", function()
  local expected = {
    { "pve1", "Lenovo",  "ThinkPad T480s",    "Intel Core i5-8250U", 4, 8,  "20GiB", "512GB" },
    { "pve2", "Lenovo",  "ThinkCentre M720q", "Intel Core i5-8400T", 6, 6,  "16GiB", "500GB" },
    { "pve3", "HP",      "EliteDesk 800 G4",  "Intel Core i5-8500",  6, 6,  "16GiB", "512GB" },
    { "pve4", "GMKtec",  "NucBox M5 Plus",    "AMD Ryzen 7 5825U",   8, 16, "32GiB", "1TB" },
    { "pve5", "BOSGAME", "P4 Plus",           "AMD Ryzen 7 5825U",   8, 16, "32GiB", "1TB" },
  }
  assert_eq(count_if(inv.nodes, function(n) return n.kind == "hypervisor" end), 5, "hypervisors")
  for _, e in ipairs(expected) do
    local n = nodes[e[1]]
    assert(n, "missing node " .. e[1])
    assert_eq(n.kind, "hypervisor", e[1] .. ".kind")
    assert_eq(n.vendor, e[2], e[1] .. ".vendor")
    assert_eq(n.model, e[3], e[1] .. ".model")
    assert_eq(n.cpu.model, e[4], e[1] .. ".cpu.model")
    assert_eq(n.cpu.cores, e[5], e[1] .. ".cpu.cores")
    assert_eq(n.cpu.threads, e[6], e[1] .. ".cpu.threads")
    assert_eq(n.ram, e[7], e[1] .. ".ram")
    assert_eq(#n.disks, 1, e[1] .. " disks")
    assert_eq(n.disks[1].size, e[8], e[1] .. ".disks[1].size")
    assert_eq(n.role, "proxmox", e[1] .. ".role")
    assert_eq(n.cluster, "homelab", e[1] .. ".cluster")
  end
  assert_eq(nodes.pve3.disks[1].type, "nvme", "pve3 has the NVMe")
end)

test("§1.1: the Z440 runs Windows 10 with 48GiB, 752GB of disk and two GPUs", function()
  local z = nodes.z440
  assert(z, "missing node z440")
  assert_eq(z.kind, "workstation")
  assert_eq(z.os, "Windows 10")
  assert_eq(z.ram, "48GiB")
  assert_eq(z.cpu.cores, 12, "the plan's 12-core Intel")
  local total = 0
  for _, d in ipairs(z.disks) do total = total + bytes(d.size) end
  assert_eq(total, 752e9, "disk total")
  assert_eq(#z.gpus, 2, "GPUs")
  assert_eq(z.gpus[1].model, "NVIDIA GeForce RTX 3060")
  assert_eq(z.gpus[1].purpose, "training")
  assert_eq(z.gpus[2].model, "NVIDIA Tesla P4")
  assert_eq(z.gpus[2].purpose, "inference")
end)

test("§1.2: gateway, switch and ISP router", function()
  local gw, sw, isp = nodes.gw1, nodes.sw1, nodes["isp-router"]
  assert_eq(gw.kind, "gateway")
  assert_eq(gw.model, "Raspberry Pi 5")
  assert_eq(gw.address, "192.168.55.95")
  assert_eq(gw.ram, "2GiB")
  assert_eq(gw.disks[1].type, "nvme")
  assert_eq(gw.disks[1].size, "128GB")
  assert_eq(count_if(gw.nics, function(nic) return nic.speed == "2.5GbE" end), 1, "2.5GbE HAT")
  assert_eq(sw.kind, "switch")
  assert_eq(sw.model, "TL-SG108E")
  assert_eq(sw.nics[1].count, 8)
  assert_eq(sw.nics[1].speed, "1GbE")
  assert_eq(isp.kind, "router")
  assert_eq(isp.address, "192.168.55.1")
end)

test("node names and addresses are unique; managed nodes sit on VLAN 10", function()
  local names, addresses = {}, {}
  for _, n in ipairs(inv.nodes) do
    assert(not names[n.name], "duplicate node " .. n.name)
    assert(not addresses[n.address], "duplicate address " .. n.address)
    names[n.name], addresses[n.address] = true, true
    if n.kind ~= "gateway" and n.kind ~= "router" then
      assert(n.address:find("^192%.168%.10%.%d+$"), n.name .. " not on VLAN 10: " .. n.address)
    else
      assert(n.address:find("^192%.168%.55%.%d+$"), n.name .. " not upstream: " .. n.address)
    end
  end
end)

----------------------------------------------------------------------------
-- §1.2 network, §4.1 policy

test("§1.2: five VLANs with the plan's subnets, zones and trust", function()
  local expected = {
    [1]  = { "192.168.2.0/24",  "lan",        "low" },
    [10] = { "192.168.10.0/24", "management", "critical" },
    [20] = { "192.168.20.0/24", "ops",        "high" },
    [30] = { "192.168.30.0/24", "k8s",        "medium" },
    [50] = { "192.168.50.0/24", "dmz",        "isolated" },
  }
  assert_eq(#inv.vlans, 5, "VLANs")
  for _, v in ipairs(inv.vlans) do
    local e = expected[v.id]
    assert(e, "unexpected VLAN " .. tostring(v.id))
    assert_eq(v.subnet, e[1], "VLAN " .. v.id .. " subnet")
    assert_eq(v.zone, e[2], "VLAN " .. v.id .. " zone")
    assert_eq(v.trust, e[3], "VLAN " .. v.id .. " trust")
    local prefix = v.subnet:match("^(%d+%.%d+%.%d+%.)")
    assert_eq(v.gateway:sub(1, #prefix), prefix, "VLAN " .. v.id .. " gateway inside")
  end
end)

-- First match wins, as in Sources/Homelab/Policy.swift; same zone is allowed.
local function allows(from, to)
  if from == to then return true end
  for _, r in ipairs(inv.policy.rules) do
    if (r.from == "*" or r.from == from) and (r.to == "*" or r.to == to) then
      return r.action == "allow"
    end
  end
  return inv.policy.default == "allow"
end

test("§4.1: first match gives exactly the plan's firewall meaning", function()
  assert_eq(inv.policy.default, "deny")
  local zones = { "lan", "management", "ops", "k8s", "dmz", "internet" }
  local allowed = {
    management = { lan = true, ops = true, k8s = true, dmz = true },
    ops        = { management = true, k8s = true },
    k8s        = { ops = true, internet = true },
    dmz        = { internet = true },
    lan        = {},
  }
  for from, targets in pairs(allowed) do
    for _, to in ipairs(zones) do
      if to ~= from then
        assert_eq(allows(from, to), targets[to] == true, from .. " -> " .. to)
      end
    end
  end
end)

----------------------------------------------------------------------------
-- §2.1 Kubernetes guests

test("§2.1: 3 masters, 7 workers and a GPU worker placed per the plan", function()
  local placement = {
    ["k8s-m1"] = "pve1", ["k8s-w1"] = "pve1",
    ["k8s-m2"] = "pve2", ["k8s-w2"] = "pve2",
    ["k8s-m3"] = "pve3", ["k8s-w3"] = "pve3",
    ["k8s-w4"] = "pve4", ["k8s-w5"] = "pve4",
    ["k8s-w6"] = "pve5", ["k8s-w7"] = "pve5",
    ["k8s-gpu1"] = "z440",
  }
  local roles = { ["k8s-master"] = 0, ["k8s-worker"] = 0, ["k8s-gpu-worker"] = 0 }
  assert_eq(#inv.guests, 11, "guests")
  for _, g in ipairs(inv.guests) do
    assert_eq(g.node, placement[g.name], g.name .. ".node")
    roles[g.role] = roles[g.role] + 1
    local expected_role = g.name:find("^k8s%-m") and "k8s-master"
      or g.name:find("^k8s%-w") and "k8s-worker" or "k8s-gpu-worker"
    assert_eq(g.role, expected_role, g.name .. ".role")
    if g.role ~= "k8s-gpu-worker" then
      assert_eq(g.ha_group, g.role == "k8s-master" and "k8s-masters" or "k8s-workers", g.name .. ".ha_group")
    end
  end
  assert_eq(roles["k8s-master"], 3, "masters")
  assert_eq(roles["k8s-worker"], 7, "workers")
  assert_eq(roles["k8s-gpu-worker"], 1, "GPU workers")
end)

test("no node's guests commit more RAM (less 2GiB headroom) or disk than it has", function()
  local ram, disk = {}, {}
  for _, g in ipairs(inv.guests) do
    assert(nodes[g.node], g.name .. " on unknown node " .. g.node)
    ram[g.node] = (ram[g.node] or 0) + bytes(g.ram)
    disk[g.node] = (disk[g.node] or 0) + bytes(g.disk)
  end
  for name, used in pairs(ram) do
    local n = nodes[name]
    assert(used <= bytes(n.ram) - 2 * 2^30,
      ("%s: guests take %g GiB of %s"):format(name, used / 2^30, n.ram))
    local capacity = 0
    for _, d in ipairs(n.disks) do capacity = capacity + bytes(d.size) end
    assert(disk[name] < capacity, name .. ": guest disks exceed the node's")
  end
end)

test("every guest is on VLAN 30 with a unique address inside 192.168.30.0/24", function()
  local seen = {}
  for _, g in ipairs(inv.guests) do
    assert_eq(g.vlan, 30, g.name .. ".vlan")
    assert(g.address:find("^192%.168%.30%.%d+$"), g.name .. ": " .. g.address)
    assert(not seen[g.address], "duplicate address " .. g.address)
    seen[g.address] = true
  end
end)

----------------------------------------------------------------------------
-- §1.3 / §2.1 storage, §6 services

test("§2.1 storage classes and §1.3 tiers", function()
  local classes = by_name(inv.storage.classes)
  assert_eq(#inv.storage.classes, 4)
  assert_eq(classes["local-path"].kind, "local")
  assert_eq(classes["ceph-rbd"].status, "planned")
  assert_eq(classes.nfs.kind, "shared")
  assert_eq(classes["local-static"].kind, "dedicated")
  local tiers = by_name(inv.storage.tiers)
  assert_eq(tiers.hot.media, "nvme")
  assert_eq(tiers.warm.media, "ssd")
  assert_eq(tiers.cold.media, "hdd/cloud")
end)

test("§6: every service has a tier 1..3 with its SLO, a known host and a probe", function()
  local slo = { 99.5, 99, 95 }
  local hosts = by_name(inv.guests)
  for name, node in pairs(nodes) do hosts[name] = node end
  local vlans = {}
  for _, v in ipairs(inv.vlans) do vlans[v.id] = true end
  local seen = {}
  for _, s in ipairs(inv.services) do
    assert(not seen[s.name], "duplicate service " .. s.name)
    assert(not hosts[s.name], "service named like a host: " .. s.name)
    seen[s.name] = true
    assert(s.tier == 1 or s.tier == 2 or s.tier == 3, s.name .. ": tier " .. tostring(s.tier))
    assert_eq(s.slo, slo[s.tier], s.name .. ".slo")
    assert(s.runs_on == "k8s" or hosts[s.runs_on], s.name .. ": runs on " .. s.runs_on)
    assert(vlans[s.vlan], s.name .. ": unknown VLAN " .. tostring(s.vlan))
    assert(s.probe and s.probe.target, s.name .. ": no probe")
    assert(s.endpoint:find("homelab%.local"), s.name .. ": endpoint " .. s.endpoint)
  end
  local catalogue = {
    dns = 1, identity = 1, ["k8s-api"] = 1, prometheus = 1, grafana = 1, openwrt = 1, switch = 1,
    harbor = 2, gitlab = 2, argocd = 2, loki = 2, ["cert-manager"] = 2, velero = 2, pbs = 2,
    staging = 3, test = 3, ["dev-databases"] = 3, experimental = 3,
  }
  local services = by_name(inv.services)
  for name, tier in pairs(catalogue) do
    assert(services[name], "catalogue service missing: " .. name)
    assert_eq(services[name].tier, tier, name .. ".tier")
  end
  assert_eq(services.openwrt.runs_on, "gw1")
  assert_eq(services.switch.runs_on, "sw1")
  assert_eq(services.tracing.phase, 2, "tracing is Phase 2")
  assert_eq(services.vpn.phase, 2, "VPN is Phase 2")
end)

----------------------------------------------------------------------------
-- §5 operations

test("§5.1: the five backup rows with retention and targets", function()
  local expected = {
    { "VM/LXC",         "30d", "Proxmox Backup Server" },
    { "K8s etcd",       "7d",  "S3-compatible storage" },
    { "PV data",        "14d", "S3-compatible storage" },
    { "Databases",      "7d",  "Dedicated backup storage" },
    { "Configurations", "90d", "Git repository" },
  }
  assert_eq(#inv.backups, 5, "backup rows")
  -- A target names a storage location; the plan's words are its description.
  local locations = {}
  for _, l in ipairs(inv.storage.locations) do locations[l.name] = l end
  for i, e in ipairs(expected) do
    local b = inv.backups[i]
    assert_eq(b.resource, e[1], "backups[" .. i .. "].resource")
    assert_eq(b.retention, e[2], b.resource .. " retention")
    local where = locations[b.target]
    assert(where and where.description:find(e[3], 1, true), b.resource .. " target: " .. tostring(b.target))
    assert(b.copies[1] == "primary" and b.copies[2] == b.target, b.resource .. ": the live copy and the target")
    assert_eq(select(2, b.schedule:gsub("%S+", "")), 5, b.resource .. ": five cron fields")
  end
  assert_same(inv.backups[1].keep, { daily = 30, monthly = 12 }, "PBS retention")
  assert_eq(inv.backups[2].schedule, "0 */6 * * *", "etcd every 6 hours")
end)

test("§5.2: every P1-P4 item is an alert with an expression or a check", function()
  local counts = { P1 = 0, P2 = 0, P3 = 0, P4 = 0 }
  local names = {}
  for _, a in ipairs(inv.alerts) do
    counts[a.severity] = counts[a.severity] + 1
    assert(not names[a.name], "duplicate alert " .. a.name)
    names[a.name] = true
    assert((a.expr == nil) ~= (a.check == nil), a.name .. ": exactly one of expr and check")
    assert_eq(a.runbook, "https://runbooks.homelab.local/" .. a.name, a.name .. ".runbook")
    assert(a.summary and #a.summary > 0, a.name .. ": summary")
  end
  assert_same(counts, { P1 = 6, P2 = 6, P3 = 5, P4 = 4 }, "alerts per severity")
  local summaries = {}
  for _, a in ipairs(inv.alerts) do summaries[a.summary] = a.severity end
  for item, severity in pairs({
    ["Cluster node down (>5 minutes)"] = "P1", ["Storage capacity >95%"] = "P1",
    ["Memory usage >90%"] = "P2", ["Network latency >100ms"] = "P2",
    ["CPU usage >80% sustained"] = "P3", ["SSL certificate expiration <30 days"] = "P3",
    ["Security updates available"] = "P4", ["Minor configuration drift"] = "P4",
  }) do
    assert_eq(summaries[item], severity, item)
  end
end)

test("§5.1 recovery, §5.3 maintenance, §5.4 capacity", function()
  assert_same(inv.recovery[1], { tier = 1, rto = "1h", rpo = "15m" })
  assert_same(inv.recovery[2], { tier = 2, rto = "4h", rpo = "1h" })
  assert_same(inv.recovery[3], { tier = 3, rto = "24h", rpo = "24h" })
  local windows = by_name(inv.maintenance)
  assert_eq(windows.standard.schedule, "0 2 * * 6")
  assert_eq(windows.standard.duration, "4h")
  assert_eq(windows.emergency.schedule, nil)
  assert_same(inv.capacity.target_band, { 70, 85 })
  assert_same(inv.capacity.growth, { compute = 20, memory = 30, storage = 50, network = 25 })
  assert_eq(inv.capacity.baseline.cpu.allocated, "50+")
  assert_eq(inv.capacity.baseline.ram.allocated, "164GB")
  assert_eq(inv.capacity.baseline.storage.available, "3.0TB")
  assert_eq(inv.capacity.baseline.network.usage, 60)
  assert_eq(#inv.capacity.expansion, 3, "expansion phases")
end)

----------------------------------------------------------------------------
-- The format: every key is a field declared in stdlib/meta/inventory.d.lua

-- class name -> { field name -> { type = , optional = } }, in file order.
local function read_classes(path)
  local classes, current = {}, nil
  for line in io.lines(path) do
    local class = line:match("^%-%-%-@class%s+([%w_.]+)")
    if class then
      current = {}
      classes[class] = current
    else
      local rest = line:match("^%-%-%-@field%s+(.*)$")
      if rest then
        local name, after = rest:match('^%[%"([^"]+)%"%]%s+(.*)$')
        if not name then name, after = rest:match("^([%w_]+)%s+(.*)$") end
        local kind = after:match("^(table%b<>%??)") or after:match("^(%S+)")
        local optional = kind:sub(-1) == "?"
        if optional then kind = kind:sub(1, -2) end
        current[name] = { type = kind, optional = optional }
      end
    end
  end
  return classes
end

local classes = read_classes(root .. "/stdlib/meta/inventory.d.lua")

-- Splits "a|b|(c|d)[]" at the top level.
local function alternatives(kind)
  local parts, depth, start = {}, 0, 1
  for i = 1, #kind do
    local c = kind:sub(i, i)
    if c == "(" or c == "<" then depth = depth + 1
    elseif c == ")" or c == ">" then depth = depth - 1
    elseif c == "|" and depth == 0 then
      parts[#parts + 1] = kind:sub(start, i - 1)
      start = i + 1
    end
  end
  parts[#parts + 1] = kind:sub(start)
  return parts
end

local check  -- (value, kind, path) -> error message or nil

local function check_one(value, kind, path)
  if kind:sub(-2) == "[]" then
    if type(value) ~= "table" then return path .. ": expected a list" end
    for key in pairs(value) do
      if math.type(key) ~= "integer" or key < 1 or key > #value then
        return path .. ": a list has key " .. tostring(key)
      end
    end
    local element = kind:sub(1, -3):gsub("^%((.*)%)$", "%1")
    for i, item in ipairs(value) do
      local problem = check(item, element, path .. "[" .. i .. "]")
      if problem then return problem end
    end
    return nil
  end
  local class = classes[kind]
  if class then
    if type(value) ~= "table" then return path .. ": expected " .. kind end
    for key in pairs(value) do
      if not class[key] then
        return ("%s.%s: not a field of %s"):format(path, tostring(key), kind)
      end
    end
    for field, spec in pairs(class) do
      if value[field] == nil then
        if not spec.optional then return path .. "." .. field .. ": required" end
      else
        local problem = check(value[field], spec.type, path .. "." .. field)
        if problem then return problem end
      end
    end
    return nil
  end
  if kind:find("^table") then
    if type(value) ~= "table" then return path .. ": expected a table" end
    return nil
  end
  if kind == "string" or kind == "number" or kind == "boolean" then
    if type(value) ~= kind then return path .. ": expected " .. kind end
    return nil
  end
  if kind == "integer" then
    if math.type(value) ~= "integer" then return path .. ": expected an integer" end
    return nil
  end
  local literal = kind:match('^"(.*)"$')
  if literal then
    if value ~= literal then return ("%s: %q is not %s"):format(path, tostring(value), kind) end
    return nil
  end
  if tonumber(kind) then
    if value ~= tonumber(kind) then return path .. ": " .. tostring(value) .. " is not " .. kind end
    return nil
  end
  error("the spec cannot read the type " .. kind)
end

function check(value, kind, path)
  local options = alternatives(kind)
  if #options == 1 then return check_one(value, kind, path) end
  for _, option in ipairs(options) do
    local problem = check_one(value, option, path)
    if not problem then return nil end
  end
  return ("%s: %s is none of %s"):format(path, tostring(value), kind)
end

test("the spec reads the format's classes", function()
  assert(classes.Inventory and classes["Inventory.Node"], "classes read")
  assert_eq(classes["Inventory.Alert"]["for"].type, "string")
  assert_eq(classes["Inventory.Backup"].keep.type, "table<string, integer>")
  assert_eq(classes["Inventory.Rule"].ports.type, "(integer|string)[]")
  assert_eq(check({ name = "x", kind = "vm", extra = 1 }, "Inventory.Guest", "g"):match("extra"), "extra")
  assert(check({ name = "x", kind = "robot", address = "a" }, "Inventory.Node", "n"), "bad enum")
  assert(check({ tier = 4, rto = "1h", rpo = "1h" }, "Inventory.Recovery", "r"), "bad tier")
end)

test("every key and value matches stdlib/meta/inventory.d.lua", function()
  local problem = check(inv, "Inventory", "inventory")
  assert(problem == nil, problem)
end)
