-- The roadmap (issue 19): phases and their status as the inventory states
-- them (the built-in homelab: §8, only phase 0 current), checked for order,
-- and where the homelab stands in the monthly review.

local root = os.getenv("LABSH_ROOT") or "."

local function monthly(inventory)
  local p = assert(io.popen(("LABSH_INVENTORY=%s %s --format json -m monthly-review 2>/dev/null")
    :format(inventory or "", os.getenv("LABSH_BIN") or arg[-1])))
  local out = p:read("a")
  p:close()
  for _, section in ipairs(lab.json.decode(out).sections) do
    if section.name == "roadmap" then return section end
  end
end

test("the built-in homelab's roadmap is §8's: phase 0 current, phases 1-6 planned", function()
  local data = require("labsh.model").validate(require "labsh.homelab", "(built-in homelab)")
  local statuses = {}
  for i, phase in ipairs(data.roadmap) do
    assert_eq(phase.phase, i - 1)
    statuses[i] = phase.status
  end
  assert_same(statuses, { "current", "planned", "planned", "planned", "planned", "planned", "planned" })
end)

test("the monthly review says which phase is current and which comes next", function()
  local section = monthly()
  assert_eq(section.status, "ok")
  assert_eq(section.summary, "phase 0 Foundation is current; next: phase 1 Core Infrastructure")
end)

test("an inventory without a roadmap: the section is not configured", function()
  local section = monthly(root .. "/Tests/inventories/single.lua")
  assert_eq(section.status, "not configured")
end)

-- An inventory of the spec's own with `roadmap` given.
local function with_roadmap(roadmap)
  local text = read_file(root .. "/Tests/inventories/single.lua")
  return text:gsub("^(.-return%s*{)", "%1\n  roadmap = " .. roadmap .. ",", 1)
end

test("phases out of order, or two current, are errors naming the field", function()
  local ok, err = pcall(require("labsh.model").validate, load(with_roadmap(
    '{ { phase = 1, name = "b", status = "current" }, { phase = 0, name = "a", status = "current" } }'))(), "x.lua")
  assert(not ok)
  assert(err.message:find("x.lua: roadmap[2].phase: phase 0 comes after phase 1", 1, true), err.message)
  assert(err.message:find("phases 1 and 0 are both current", 1, true), err.message)
end)

test("a planned phase before the current one is a warning; an unknown status an error", function()
  local _, warnings = require("labsh.model").validate(load(with_roadmap(
    '{ { phase = 0, name = "a", status = "planned" }, { phase = 1, name = "b", status = "current" } }'))(), "x.lua")
  assert(table.concat(warnings, "\n"):find("roadmap[1].status: phase 0 is planned while phase 1 is current", 1, true),
    table.concat(warnings, "\n"))
  local ok, err = pcall(require("labsh.model").validate, load(with_roadmap(
    '{ { phase = 0, name = "a", status = "someday" } }'))(), "x.lua")
  assert(not ok and err.message:find("roadmap[1].status", 1, true), tostring(err.message))
end)
