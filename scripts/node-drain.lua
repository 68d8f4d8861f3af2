-- node-drain: move every running guest off a Proxmox VE node, as a runbook.
--
--   labsh -m node-drain NODE --dry-run            the plan and the exact API calls
--   labsh -m node-drain NODE --parallel 4 --yes   at most 4 migrations at once
--
-- Before anything moves, the plan must keep Proxmox quorum with NODE gone
-- (node counts from /cluster/status) and etcd quorum (the guests of the
-- inventory's k8s_servers target keep distinct nodes; a container's
-- migration restarts it), and give every running guest a place: HA
-- node-affinity rules and the RAM free on each target (labsh.pve_drain
-- states the rules). Then the migrations run, at most --parallel at once,
-- each wave's tasks waited for in one poll loop, and /cluster/resources
-- must show every guest where the plan put it. A failed migration, a
-- failed check or a stop (Ctrl-C, SIGTERM, --timeout) migrates back what
-- moved. A normal change: outside the inventory's maintenance window it is
-- refused unless --emergency; NODE is silenced in Alertmanager while it
-- runs; the audit log records the plan, each migration's UPID and the end.
-- Exit: 0 drained (or --dry-run), 1 refused or failed (rolled back),
-- 2 usage, 3 the rollback failed (look at the cluster).

local drain = require "labsh.pve_drain"

local NAME = "node-drain"

local function usage_error(message)
  io.stderr:write(("labsh -m %s: %s\nusage: labsh -m %s NODE [--parallel N] [--dry-run] [--yes] [--emergency]\n")
    :format(NAME, message, NAME))
  os.exit(2)
end

return labsh.script {
  name = NAME,
  description = "Migrate every running guest off a Proxmox VE node (NODE or --node NODE), keeping quorum (§5.3).",
  arguments = "own",  -- lab.runbook reads them
  requires = {
    net = { "proxmox", "monitoring:alertmanager" },  -- the cluster; NODE silenced while it runs
    secrets = { "proxmox", "monitoring:alertmanager" },
    proxmox = { "Sys.Audit", "VM.Migrate" },  -- the plan reads, the migrations
    mutation = true,
  },
  run = function(_, args)
    -- NODE may come first, as a word: the runbook reads it as --node. After
    -- `--` it is a word whatever it looks like (a node named "-x").
    if args[1] == "--" and args[2] then
      table.remove(args, 1)
      args[1] = "--node=" .. args[1]
      table.insert(args, 2, "--")
    elseif args[1] and not args[1]:find("^%-") and not args[1]:find("=", 1, true) then
      args[1] = "--node=" .. args[1]
    end

    lab.runbook {
      name = NAME,
      description = "Migrate every running guest off a Proxmox VE node (NODE or --node NODE), keeping quorum (§5.3).",
      change = "normal",
      duration = "2h",
      args = args,
      params = {
        { name = "node", help = "the node to empty", required = true },
        { name = "parallel", help = "migrations at once", default = "2" },
      },
      targets = function(p) return { p.node } end,
      steps = function(p)
        local parallel = tonumber(p.parallel)
        if not parallel or parallel < 1 or parallel % 1 ~= 0 then usage_error("--parallel: a whole number from 1") end
        if not lab.inventory.current().proxmox then
          local why = "no Proxmox VE configured (the inventory's proxmox section): nothing to drain"
          if lab.options.format == "json" then
            print(lab.json.encode({ name = NAME, status = "refused", error = why }, { sort_keys = true }))
          end
          io.stderr:write(NAME, ": ", why, "\n")
          os.exit(1)
        end
        local client = lab.pve.client()
        local plan = drain.plan(client, p.node)
        local state = { moves = {} }
        return {
          {
            title = ("check %s: Proxmox and etcd quorum, a place for every guest"):format(p.node),
            plan = function() return "\n    " .. drain.describe(plan) end,
            run = function()
              -- The cluster may have changed since the plan: plan again, live.
              local now = drain.plan(client, p.node)
              if #now.refusals > 0 then error("refused: " .. table.concat(now.refusals, "; "), 0) end
              state.moves = now.moves
              io.stderr:write("    ", drain.describe(now), "\n")
            end,
          },
          {
            title = "note where each guest runs (the rollback migrates back what moved)",
            run = function() return #state.moves end,
            rollback = function()
              local count = drain.back(client, state.moves, { parallel = parallel })
              io.stderr:write(("migrated %d guest(s) back to %s\n"):format(count, p.node))
            end,
          },
          {
            title = ("migrate %d guest(s) off %s, at most %d at once"):format(#plan.moves, p.node, parallel),
            plan = function()
              return ("%d migration(s), then /cluster/resources must show each guest on its target"):format(#plan.moves)
            end,
            run = function() drain.migrate(client, state.moves, { parallel = parallel }) end,
            verify = function() return drain.verify(client, state.moves) end,
          },
        }
      end,
    }
  end,
}
