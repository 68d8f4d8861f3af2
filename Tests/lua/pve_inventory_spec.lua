-- lab.inventory.from_pve() and the model's live source (lab.capacity.report,
-- lab.sim.fail and n_minus_1 with { source = "live" }) against the Proxmox VE
-- simulator. Run with Tests/run-with-servers.sh.

local s = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/pve_support.lua")

-- Runs `code` in a child labsh on a scratch inventory pointing at the
-- simulator (guests given VMIDs by `vmids`); its stdout must be JSON.
local function run(code, vmids, dir)
  dir = dir or s.scratch(nil, vmids)
  local r = s.labsh(dir, { "--yes" }, code)
  assert_eq(r.status, 0, r.stdout .. r.stderr)
  return lab.json.decode(r.stdout), r
end

test("from_pve: the cluster's guests with their VMIDs, RAM and node; the rest of the inventory stays", function()
  s.reset()
  local dir = s.scratch()
  -- the inventory gets a job of its own
  local text = require("labsh.files").read(dir .. "/inventory.lua")
  local f = assert(io.open(dir .. "/inventory.lua", "w"))
  f:write((text:gsub("}%s*$", '  jobs = { { name = "nightly-pve", schedule = "@daily", run = "report" } },\n}\n')))
  f:close()
  run([[lab.pve.put("/nodes/pve1/qemu/101/config", { memory = "8192", cores = 3 })
        lab.guest("k8s-m1"):migrate("pve4", { online = true })
        print("{}")]], nil, dir)
  local doc = run([[
    local before = #lab.inventory.current().vlans
    local summary = lab.inventory.from_pve()
    local jobs = lab.inventory.jobs()
    local g = lab.guest("k8s-m1")
    print(lab.json.encode({ vmid = g.vmid, node = g.node, ram = g.ram, vcpu = g.vcpu, role = g.role,
      vlan = g.vlan, ha_group = g.ha_group, guests = summary.guests, from_cluster = summary.pve.guests,
      vlans = #lab.inventory.current().vlans == before, proxmox = lab.inventory.current().proxmox ~= nil,
      jobs = #jobs > 0 and jobs[1].name or false }))]], nil, dir)
  assert_eq(doc.vmid, 101)
  assert_eq(doc.node, "pve4", "where the cluster runs it, not where the inventory put it")
  assert_eq(doc.ram, 8 * 1024 ^ 3)
  assert_eq(doc.vcpu, 3)
  assert_eq(doc.role, "k8s-master", "what the cluster does not know comes from the inventory")
  assert_eq(doc.vlan, 30)
  assert_eq(doc.ha_group, "k8s-masters", "HA-managed in the cluster: the inventory's group")
  assert(doc.from_cluster > 0 and doc.guests >= doc.from_cluster, lab.json.encode(doc))
  assert(doc.vlans and doc.proxmox, lab.json.encode(doc))
  assert_eq(doc.jobs, "nightly-pve", "the inventory's jobs stay")
end)

test("from_pve: a guest the inventory lacks and whose config gives no address is left out, and said", function()
  s.reset()
  local dir = s.scratch(nil, { ["k8s-w1"] = 999 })
  run([[lab.pve.post("/nodes/pve2/qemu", { vmid = 4242, name = "stray", memory = 1024 }); print("{}")]], nil, dir)
  local doc = run([[
    local summary = lab.inventory.from_pve()
    local names = {}
    for _, g in ipairs(lab.guests()) do names[g.name] = true end
    print(lab.json.encode({ stray = names.stray or false, w1 = names["k8s-w1"] or false,
                            warnings = table.concat(summary.warnings, "\n") }))]], nil, dir)
  assert_eq(doc.stray, false)
  assert(doc.warnings:find("guest stray (VMID 4242 on pve2): not in the inventory", 1, true), doc.warnings)
  -- the inventory says VMID 999, the cluster has none: the inventory's guest is gone,
  -- the cluster's guest of that name (VMID 102, no vmid given) is not matched by name
  assert(doc.warnings:find("guest k8s-w1: in the inventory on pve1, not in the cluster: left out", 1, true),
    doc.warnings)
end)

test("from_pve: what the cluster gives is checked by the inventory's reader; the current inventory stays", function()
  s.reset()
  local dir = s.scratch()
  -- a second guest named like an inventory guest: two guests k8s-m1
  run([[lab.pve.post("/nodes/pve2/qemu", { vmid = 4243, name = "k8s-m1", memory = 1024 }); print("{}")]], nil, dir)
  local doc = run([[
    local ok, err = pcall(lab.inventory.from_pve)
    print(lab.json.encode({ ok = ok, kind = type(err) == "table" and err.kind, message = tostring(err.message or err),
                            file = lab.inventory.summary().file }))]], nil, dir)
  assert_eq(doc.ok, false)
  assert_eq(doc.kind, "inventory")
  assert(doc.message:find("k8s-m1", 1, true), doc.message)
  assert(not doc.file:find("proxmox", 1, true), "a failed from_pve leaves the current inventory: " .. doc.file)
end)

test("source = 'live': the simulation and the capacity report use the cluster's guests and say so", function()
  s.reset()
  local dir = s.scratch()
  run([[lab.pve.put("/nodes/pve1/qemu/101/config", { memory = "8192" })
        lab.guest("k8s-m1"):migrate("pve4", { online = true })
        print("{}")]], nil, dir)
  local doc = run([[
    local function moved(report)
      for _, m in ipairs(report.moved) do if m.guest == "k8s-m1" or m.name == "k8s-m1" then return true end end
      for _, m in ipairs(report.stranded) do if m.guest == "k8s-m1" or m.name == "k8s-m1" then return true end end
      return false
    end
    local model, live = lab.sim.fail("pve1"), lab.sim.fail("pve1", { source = "live" })
    local function ram(plan)
      for _, r in ipairs(plan.resources) do if r.name == "ram" then return r.allocated end end
    end
    local cap_model, cap_live = lab.capacity.report(), lab.capacity.report { source = "live" }
    local rows = lab.sim.n_minus_1 { source = "live" }
    print(lab.json.encode({ model_moves = moved(model), live_moves = moved(live), model_sources = model.sources,
      live_sources = live.sources, text = tostring(live), ram_model = ram(cap_model), ram_live = ram(cap_live),
      cap_sources = cap_live.sources, row_sources = rows[1].sources }))]], nil, dir)
  assert_eq(doc.model_moves, true, "the inventory places k8s-m1 on pve1")
  assert_eq(doc.live_moves, false, "the cluster runs it on pve4: pve1 failing does not touch it")
  assert_eq(doc.model_sources.guests, "inventory")
  assert(doc.live_sources.guests:find("^proxmox https://127%.0%.0%.1"), doc.live_sources.guests)
  assert(doc.text:find("sources: guests proxmox", 1, true), doc.text)
  assert_eq(doc.ram_live - doc.ram_model, 4 * 1024 ^ 3, "k8s-m1 has 8 GiB in the cluster, 4 GiB in the inventory")
  assert_eq(doc.cap_sources.allocated, doc.live_sources.guests)
  assert_eq(doc.cap_sources.installed, "inventory")
  assert_eq(doc.row_sources.guests, doc.live_sources.guests)
end)

test("a plain model query never loads the connector, even with proxmox configured", function()
  local doc = run([[
    lab.nodes(); lab.sim.n_minus_1(); lab.sim.fail("pve1"); lab.capacity.report()
    print(lab.json.encode({ pve = package.loaded["lab.pve"] ~= nil,
                            inventory = package.loaded["labsh.pve_inventory"] ~= nil }))]])
  assert_eq(doc.pve, false)
  assert_eq(doc.inventory, false)
end)

test("source must be inventory or live", function()
  local doc = run([[print(lab.json.encode({ select(2, pcall(lab.capacity.report, { source = "cluster" })) }))]])
  assert(tostring(doc[1]):find('source must be "inventory" or "live", not "cluster"', 1, true), doc[1])
end)

test("labsh -m capacity --source live: the JSON and the text name the cluster as the guests' source", function()
  s.reset()
  local dir = s.scratch()
  local json = s.labsh(dir, { "-m", "capacity", "--source", "live", "--format", "json" })
  assert_eq(json.status, 0, json.stderr)
  local doc = lab.json.decode(json.stdout)
  assert(doc.sources.allocated:find("^proxmox https://"), json.stdout:sub(1, 400))
  assert_eq(doc.sources.installed, "inventory")
  local text = s.labsh(dir, { "-m", "capacity", "--source", "live" })
  assert_eq(text.status, 0, text.stderr)
  assert(text.stdout:find("sources: installed inventory; allocated proxmox https://", 1, true), text.stdout)
  local plain = s.labsh(dir, { "-m", "capacity", "--format", "json" })
  assert_eq(lab.json.decode(plain.stdout).sources.allocated, "inventory")
end)
