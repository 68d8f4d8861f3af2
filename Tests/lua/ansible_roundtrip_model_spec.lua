-- gen ansible, then --inventory on what it wrote, keeps what playbooks and
-- the simulation act on (issue 16): targets, HA groups with priorities,
-- public VLANs and the policy's boundaries, through Ansible's own reader
-- and labsh's built-in one alike.

local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-ansible-roundtrip-spec")

-- What the spec compares, as JSON text (stable key order).
local SHOW = [[
local inv = lab.inventory.current()
local public = {}
for _, v in ipairs(inv.vlans) do if v.public then public[#public + 1] = v.id end end
print(lab.json.encode({ targets = inv.targets, ha_groups = inv.ha_groups, public = public,
  boundaries = inv.policy.boundaries }, { sort_keys = true }))
]]

local function shown(args, env)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  argv[#argv + 1] = "-e"
  argv[#argv + 1] = SHOW
  local r = lab.process.run { argv = argv, env = env or {}, timeout = 120 }
  assert(r.status == 0, table.concat(args, " ") .. ": " .. r.stderr)
  return r.stdout
end

local inventory = tmp .. "/hagroups.lua"
write_file(inventory, read_file((os.getenv("LABSH_ROOT") or ".") .. "/Tests/inventories/hagroups.lua"))

for _, case in ipairs {
  { name = "the built-in homelab", args = {} },
  { name = "an HA-group lab", args = { "--inventory", inventory } },
} do
  for _, reader in ipairs { { "ansible-inventory", {} }, { "the built-in reader", { LABSH_ANSIBLE_INVENTORY = tmp .. "/no-such-program" } } } do
    test(("%s keeps targets, HA groups, public VLANs and boundaries through gen ansible (%s)"):format(case.name, reader[1]), function()
      local out = ("%s/%s-%d"):format(tmp, (case.name:gsub("%W", "")), next(reader[2]) and 2 or 1)
      filesystem.make_directories(out)
      local gen = { labsh }
      for _, a in ipairs(case.args) do gen[#gen + 1] = a end
      for _, a in ipairs { "-m", "gen", "ansible", "--out", out } do gen[#gen + 1] = a end
      local r = lab.process.run { argv = gen, timeout = 120 }
      assert(r.status == 0, r.stderr)
      local before = shown(case.args)
      assert(before:find('"targets":{"', 1, true) or case.args[1], "the source has no targets: " .. before)
      assert_eq(shown({ "--inventory", out .. "/inventory.yml" }, reader[2]), before, "after the round trip")
    end)
  end
end
