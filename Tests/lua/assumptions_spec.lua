-- Reports say what is assumed (issue 19): the inventory's `assumed` list
-- on nodes and guests is read and checked, and every figure computed from
-- an assumed value is labelled in the report, capacity, simulation and
-- review output, in text and JSON. Without assumptions the same figures
-- are "stated".

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-assumptions-spec")

-- The built-in homelab as an inventory file, changed by `edit` (Lua code
-- run on `inv` before it is returned).
local function homelab_file(name, edit)
  local path = tmp .. "/" .. name .. ".lua"
  write_file(path, ("local inv = (function() %s end)()\n%s\nreturn inv\n")
    :format(host.embedded("stdlib/labsh/homelab.lua"), edit or ""))
  return path
end

local NOTHING_ASSUMED = homelab_file("stated", [[
for _, list in ipairs { inv.nodes, inv.guests } do
  for _, entry in ipairs(list) do entry.assumed = nil end
end]])

local function run(inventory, ...)
  local argv = { labsh }
  if inventory then argv[#argv + 1], argv[#argv + 2] = "--inventory", inventory end
  for _, a in ipairs { ... } do argv[#argv + 1] = a end
  return lab.process.run { argv = argv, env = { HOME = tmp, XDG_CONFIG_HOME = tmp .. "/config",
                                                LABSH_INVENTORY = "", LABSH_STATE_DIR = tmp .. "/state" },
                           timeout = 120 }
end

local function json_of(inventory, ...)
  local r = run(inventory, "--format", "json", ...)
  assert(r.status == 0 or r.status == 1, r.stderr)
  return lab.json.decode(r.stdout), r
end

local function by(list, key)
  local out = {}
  for _, x in ipairs(list) do out[x[key]] = x end
  return out
end

test("the built-in homelab's assumptions are machine-readable on its nodes and guests", function()
  local inv = lab.inventory.current()
  local guests = by(inv.guests, "name")
  assert_same(guests["k8s-w1"].assumed, { "vcpu", "ram", "disk", "address" })
  assert_same(by(inv.nodes, "name").pve1.assumed, { "os", "cluster", "address", "power" })
end)

test("the reader refuses an assumed field that is unknown or not set", function()
  local unknown = homelab_file("unknown", 'inv.guests[1].assumed = { "colour" }')
  local r = run(unknown, "-m", "inventory", "check")
  assert(r.status ~= 0, r.stdout)
  assert((r.stdout .. r.stderr):find("'colour' is not a field that can be assumed", 1, true), r.stdout .. r.stderr)
  local unset = homelab_file("unset", 'inv.guests[1].assumed = { "vmid" }')
  r = run(unset, "-m", "inventory", "check")
  assert(r.status ~= 0, r.stdout)
  assert((r.stdout .. r.stderr):find("'vmid' is assumed but not set", 1, true), r.stdout .. r.stderr)
end)

test("report: capacity rows computed from assumed sizes have basis assumed and a footnote", function()
  local report = json_of(nil, "-m", "report", "--section", "capacity")
  local rows = by(report.sections[1].rows, "resource")
  assert_eq(rows.cpu_cores.basis, "assumed")
  assert_eq(rows.ram.basis, "assumed")
  assert_eq(rows.network.basis, "stated")
  local text = run(nil, "-m", "report", "--section", "capacity").stdout
  assert(text:find("basis assumed (cpu_cores", 1, true), text)
  local stated = json_of(NOTHING_ASSUMED, "-m", "report", "--section", "capacity")
  for _, row in ipairs(stated.sections[1].rows) do assert_eq(row.basis, "stated", row.resource) end
  assert(not run(NOTHING_ASSUMED, "-m", "report", "--section", "capacity").stdout:find("basis assumed", 1, true))
end)

test("capacity: resources and n-1 verdicts resting on assumptions are marked, in JSON and text", function()
  local data = json_of(nil, "-m", "capacity")
  local resources = by(data.resources, "name")
  assert_eq(resources.cpu_cores.assumed, true)
  local from = {}
  for _, f in ipairs(resources.cpu_cores.assumed_from) do from[f] = true end
  assert(from["k8s-w1.vcpu"], "cpu_cores does not name k8s-w1.vcpu")
  assert_eq(resources.network.assumed, nil)
  local failures = by(data.n_minus_1, "node")
  assert_eq(failures.pve1.assumed, true)
  assert_eq(failures["isp-router"].assumed, nil)   -- no guest lost or moved: nothing assumed behind it
  local text = run(nil, "-m", "capacity").stdout
  assert(text:find("%d%%%*"), "no percentage marked *: " .. text)
  assert(text:find("* assumed: computed from values", 1, true), text)
  local stated = json_of(NOTHING_ASSUMED, "-m", "capacity")
  assert_eq(by(stated.resources, "name").cpu_cores.assumed, nil)
  assert(not run(NOTHING_ASSUMED, "-m", "capacity").stdout:find("* assumed", 1, true))
end)

test("lab.sim.fail says when its verdict rests on assumed sizes", function()
  local report = lab.sim.fail("pve1")
  assert_eq(report.basis, "assumed")
  assert(#report.assumed_from > 0)
  assert(tostring(report):find("basis: assumed", 1, true), tostring(report))
  assert_eq(lab.sim.fail("isp-router").basis, "stated")
  assert_eq(lab.sim.n_minus_1()[1].basis ~= nil, true)
  with_inventory(require("labsh.files").read(NOTHING_ASSUMED), function()
    assert_eq(lab.sim.fail("pve1").basis, "stated")
  end)
end)

test("node-failure: a verdict resting on assumed sizes says so, in text and JSON", function()
  local data = json_of(nil, "-m", "node-failure", "pve1")
  assert_eq(data.basis, "assumed")
  assert(#data.assumed_from > 0)
  assert(run(nil, "-m", "node-failure", "pve1").stdout:find("basis: assumed", 1, true))
  assert_eq(json_of(NOTHING_ASSUMED, "-m", "node-failure", "pve1").basis, "stated")
  assert(not run(NOTHING_ASSUMED, "-m", "node-failure", "pve1").stdout:find("basis: assumed", 1, true))
end)

test("report: inventory totals over assumed hardware have basis assumed", function()
  local rows = by(json_of(nil, "-m", "report", "--section", "inventory").sections[1].rows, "kind")
  assert_eq(rows.workstation.basis, "assumed")   -- the plan names no CPU model, nor the disks
  assert_eq(rows.all.basis, "assumed")
  assert_eq(rows.gateway.basis, "stated")
  rows = by(json_of(NOTHING_ASSUMED, "-m", "report", "--section", "inventory").sections[1].rows, "kind")
  assert_eq(rows.all.basis, "stated")
end)

test("monthly review: the growth rows from assumed sizes say so", function()
  local review = json_of(nil, "-m", "monthly-review")
  local growth
  for _, s in ipairs(review.sections) do if s.name == "growth" then growth = s end end
  assert(growth, "no growth section")
  for _, row in ipairs(growth.rows) do assert_eq(row.basis, "assumed", row.node) end
  assert(growth.summary:find("from assumed sizes", 1, true), growth.summary)
  local stated = json_of(NOTHING_ASSUMED, "-m", "monthly-review")
  for _, s in ipairs(stated.sections) do
    if s.name == "growth" then
      for _, row in ipairs(s.rows) do assert_eq(row.basis, "stated", row.node) end
    end
  end
end)

test("roadmap: shared storage is planned, as §1.1 and §8 say", function()
  local classes = by(require("labsh.homelab").storage.classes, "name")
  assert_eq(classes.nfs.status, "planned")
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
