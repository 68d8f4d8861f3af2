-- patch-window: patch nodes one at a time in the maintenance window.
--
-- Patch nodes one at a time in the maintenance window (plan
-- §4.3 patch management, §5.3 change management), as a runbook.
--
--   labsh -m patch-window --playbook patch.yml --dry-run        the plan
--   labsh -m patch-window --playbook patch.yml --nodes pve1,pve2 --yes
--
-- One step per node: `ansible-playbook -i INVENTORY -l NODE PLAYBOOK`,
-- verified by its exit status. A normal change: outside the inventory's
-- maintenance window (Saturday 02:00-06:00) it is refused unless
-- --emergency. The nodes are silenced in Alertmanager while it runs (when
-- monitoring.alertmanager is configured). Patches are not rolled back: a
-- failed node stops the window and leaves the rest unpatched.

-- The default nodes: the inventory's `hypervisors` target (Inventory.Target).
local function hypervisors()
  return table.concat(require("labsh.targets").names("hypervisors"), ",")
end

local function split(list)
  local out = {}
  for name in list:gmatch("[^,%s]+") do out[#out + 1] = name end
  return out
end

lab.runbook {
  name = "patch-window",
  description = "Patch nodes one at a time with an Ansible playbook (§4.3), in the maintenance window (§5.3).",
  change = "normal",
  duration = "4h",
  params = {
    { name = "playbook", help = "the Ansible playbook that patches a host", required = true },
    { name = "nodes", help = "comma-separated nodes, in order", default = hypervisors() },
    { name = "ansible-inventory", help = "ansible-playbook -i (default: labsh -m gen ansible's inventory.yml)",
      default = "inventory.yml" },
  },
  targets = function(p) return split(p.nodes) end,
  steps = function(p)
    local steps = {}
    if #split(p.nodes) == 0 then
      -- a lab without hypervisors: nothing to patch is no failure
      print("patch-window: nothing to do: no nodes (targets.hypervisors picks none; give --nodes)")
      os.exit(0)
    end
    for _, node in ipairs(split(p.nodes)) do
      lab.node(node)  -- an unknown node is an error before anything runs
      local argv = { "ansible-playbook", "-i", p["ansible-inventory"], "-l", node, p.playbook }
      steps[#steps + 1] = {
        title = "patch " .. node,
        plan = function() return table.concat(argv, " ") end,
        run = function()
          local r = lab.process.run { argv = argv, timeout = 3600,
            on_line = function(_, line) io.stderr:write("  ", node, ": ", line, "\n") end }
          if r.status ~= 0 then error(("ansible-playbook for %s exited %s"):format(node, tostring(r.status)), 0) end
        end,
      }
    end
    return steps
  end,
}
