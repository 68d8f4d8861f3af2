-- Completion of the inventory's names inside `lab.node("`, `lab.guest("`,
-- `lab.vlan(` and `lab.service("`, and of a call's methods from the type
-- its declaration returns (issue 15), on the built-in homelab. Candidates
-- are what readline replaces: the text after its last word-break character
-- (so after `"`, or after the `-` of "k8s-w").

local complete = require "labsh.complete"
local help = require "labsh.help"

local declarations = help.declarations()

local function candidates(line, env)
  return complete.candidates(line, env or _G, {}, declarations.values, declarations)
end

test("node names complete inside the quotes of lab.node(", function()
  assert_same(candidates('lab.node("p'), { "pve1", "pve2", "pve3", "pve4", "pve5" })
  assert_same(candidates("x = lab.node('z"), { "z440" })
  assert_same(candidates('lab.node("'), { "gw1", "isp-router", "pve1", "pve2", "pve3", "pve4", "pve5", "sw1", "z440" })
  assert_same(candidates('lab.node("nothing'), {})
end)

test("guest, VLAN and service names complete in their functions", function()
  assert_same(candidates('lab.guest("k8s-m'), { "m1", "m2", "m3" })  -- readline's word starts after "-"
  assert_same(candidates("lab.vlan("), { "1", "10", "20", "30", "50" })
  assert_same(candidates("lab.vlan(3"), { "30" })
  assert_same(candidates('lab.vlan("k'), { "k8s" })
  assert_same(candidates('lab.service("gr'), { "grafana" })
end)

test("a closed argument is completed as code again", function()
  assert_same(candidates('lab.node("pve1") + pri'), { "print" })
end)

test("methods of a call's result come from its declared type", function()
  assert_same(candidates('lab.node("pve1"):fr'), { ":free" })
  local all = candidates('n = lab.node("pve1"):')
  for _, method in ipairs { "allocated", "exec", "free", "guests", "vlans" } do
    local found = false
    for _, candidate in ipairs(all) do found = found or candidate == ":" .. method end
    assert(found, method .. " missing from " .. table.concat(all, " "))
  end
  assert_same(candidates('lab.node("pve1").na'), { ".name" })
end)

test("completion never calls what the user typed or defined", function()
  local called = {}
  local env = setmetatable({
    f = function() called[#called + 1] = "f" end,
    lab = setmetatable({}, { __index = function(_, key) called[#called + 1] = "lab." .. key end }),
  }, { __index = function(_, key) called[#called + 1] = key end })
  assert_same(candidates("f():", env), {})
  assert_same(candidates("f().x", env), {})
  candidates('lab.node("pv', env)
  candidates('lab.node("pve1"):', env)
  assert_same(called, {})
end)
