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
--
-- With a Proxmox VE cluster configured (the inventory's `proxmox`), each
-- node goes through the whole cycle before the next one starts:
--   check    Proxmox and etcd quorum without it, a place for every guest
--            (labsh.pve_drain, as node-drain plans);
--   drain    its running guests migrate away, placement verified;
--   patch    the playbook on that node alone;
--   reboot   POST /nodes/NODE/status command=reboot, then wait until the
--            node was down (or its uptime restarted), is online again and
--            the cluster quorate in /cluster/status (--reboot-timeout);
--   return   the guests migrate back, placement verified.
-- --playbook is an Ansible playbook (*.yml, *.yaml), or a labsh playbook
-- (the shipped `dist-upgrade`, or a .lua file) that this labsh runs with
-- --limit NODE. --dry-run is check mode: the drain plans with their API
-- calls, and a labsh playbook runs in check mode (it changes nothing;
-- ansible-playbook runs with --check). A failure or a stop migrates back
-- what left the node being patched; nodes already done stay done.
--
--   labsh -m patch-window --playbook dist-upgrade --dry-run
--   labsh -m patch-window --playbook dist-upgrade --nodes node2,node3 --parallel 4 --yes

-- The default nodes: the inventory's `hypervisors` target (Inventory.Target).
local function hypervisors()
  return table.concat(require("labsh.targets").names("hypervisors"), ",")
end

local function split(list)
  local out = {}
  for name in list:gmatch("[^,%s]+") do out[#out + 1] = name end
  return out
end

-- The command that patches `node`: ansible-playbook for a YAML playbook,
-- else this labsh running a labsh playbook (a name, or a .lua file) on
-- that node alone. check: check mode.
local function patch_command(p, node, check)
  if p.playbook:find("%.ya?ml$") then
    local argv = { "ansible-playbook", "-i", p["ansible-inventory"], "-l", node, p.playbook }
    if check then argv[#argv + 1] = "--check" end
    return argv
  end
  local argv = { require("labsh.os").executable(), check and "--dry-run" or "--yes" }
  if p.playbook:find("%.lua$") then argv[#argv + 1] = p.playbook
  else argv[#argv + 1] = "-m"; argv[#argv + 1] = p.playbook end
  argv[#argv + 1] = "--limit"
  argv[#argv + 1] = node
  return argv
end

-- Runs `argv`, its lines on stderr under the node's name; raises unless it exits 0.
local function run_patch(node, argv, what)
  local r = lab.process.run { argv = argv, timeout = 3600, read_only = what == "check mode",
    on_line = function(_, line) io.stderr:write("  ", node, ": ", line, "\n") end }
  if r.status ~= 0 then error(("%s for %s exited %s"):format(what, node, tostring(r.status)), 0) end
end

-- The steps of one node's cycle on a Proxmox VE cluster.
local function proxmox_steps(p, node, parallel, reboot_timeout)
  local drain = require "labsh.pve_drain"
  local client = lab.pve.client()
  local plan = drain.plan(client, node)
  local state = { moves = {} }
  local calls = ("POST /api2/json/nodes/%s/status command=reboot"):format(node)
  return {
    {
      title = ("check %s: Proxmox and etcd quorum, a place for every guest"):format(node),
      plan = function() return "\n    " .. drain.describe(plan) end,
      run = function()
        local now = drain.plan(client, node)
        if #now.refusals > 0 then error("refused: " .. table.concat(now.refusals, "; "), 0) end
        state.moves = now.moves
      end,
      rollback = function()
        local count = drain.back(client, state.moves, { parallel = parallel })
        io.stderr:write(("migrated %d guest(s) back to %s\n"):format(count, node))
      end,
    },
    {
      title = ("drain %s: %d guest(s), at most %d at once"):format(node, #plan.moves, parallel),
      run = function() drain.migrate(client, state.moves, { parallel = parallel }) end,
      verify = function() return drain.verify(client, state.moves) end,
    },
    {
      title = "patch " .. node,
      plan = function()
        -- check mode changes nothing: run it, so the plan says what would change
        local argv = patch_command(p, node, true)
        local ok, err = pcall(run_patch, node, argv, "check mode")
        return table.concat(argv, " ") .. (ok and "" or (" (" .. tostring(err) .. ")"))
      end,
      run = function() run_patch(node, patch_command(p, node, false), "the playbook") end,
    },
    {
      title = ("reboot %s and wait until it is back and the cluster quorate"):format(node),
      plan = function() return calls end,
      run = function() drain.reboot(client, node, { timeout = reboot_timeout }) end,
    },
    {
      title = "migrate the guests back to " .. node,
      run = function() drain.back(client, state.moves, { parallel = parallel }) end,
    },
  }
end

return labsh.script {
  name = "patch-window",
  description = "Patch nodes one at a time with a playbook (§4.3), in the maintenance window (§5.3); "
    .. "with Proxmox VE: drain, patch, reboot, return.",
  arguments = "own",  -- lab.runbook reads them
  requires = {
    commands = { "labsh", "ansible-playbook" },      -- the playbook: labsh's own, or Ansible's
    net = { "proxmox", "monitoring:alertmanager" },  -- the cluster; the nodes silenced while it runs
    secrets = { "proxmox", "monitoring:alertmanager" },
    proxmox = { "Sys.Audit", "VM.Migrate", "Sys.PowerMgmt" },  -- plan, drain and return, reboot
    mutation = true,
  },
  run = function(_, args)
    lab.runbook {
      name = "patch-window",
      args = args,
      description = "Patch nodes one at a time with a playbook (§4.3), in the maintenance window (§5.3); "
        .. "with Proxmox VE: drain, patch, reboot, return.",
      change = "normal",
      duration = "4h",
      params = {
        { name = "playbook", help = "the playbook that patches a host: Ansible (*.yml) or labsh (dist-upgrade, *.lua)",
          required = true },
        { name = "nodes", help = "comma-separated nodes, in order", default = hypervisors() },
        { name = "ansible-inventory", help = "ansible-playbook -i (default: labsh -m gen ansible's inventory.yml)",
          default = "inventory.yml" },
        { name = "parallel", help = "Proxmox VE: migrations at once while draining", default = "2" },
        { name = "reboot-timeout", help = "Proxmox VE: seconds a node may take to come back", default = "900" },
      },
      targets = function(p) return split(p.nodes) end,
      steps = function(p)
        local steps = {}
        if #split(p.nodes) == 0 then
          -- a lab without hypervisors: nothing to patch is no failure
          print("patch-window: nothing to do: no nodes (targets.hypervisors picks none; give --nodes)")
          os.exit(0)
        end
        local parallel, reboot_timeout = tonumber(p.parallel), tonumber(p["reboot-timeout"])
        if not parallel or parallel < 1 or parallel % 1 ~= 0 then
          io.stderr:write("labsh -m patch-window: --parallel: a whole number from 1\n")
          os.exit(2)
        end
        if not reboot_timeout or reboot_timeout <= 0 then
          io.stderr:write("labsh -m patch-window: --reboot-timeout: seconds, more than 0\n")
          os.exit(2)
        end
        if lab.inventory.current().proxmox then
          for _, node in ipairs(split(p.nodes)) do
            lab.node(node)  -- an unknown node is an error before anything runs
            for _, step in ipairs(proxmox_steps(p, node, parallel, reboot_timeout)) do steps[#steps + 1] = step end
          end
          return steps
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
  end,
}
