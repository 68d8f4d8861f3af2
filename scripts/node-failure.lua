-- node-failure: drill: what happens when a node fails.
--
-- The DR drill of plan §5.1 on paper: what happens when a
-- node fails, and whether the remaining hypervisors can take its guests.
--
--   labsh -m node-failure pve4              (or --node pve4)
--   labsh --format json -m node-failure pve4
--
-- The failure simulation (lab.sim) answers: Proxmox and etcd quorum, HA
-- re-placement, routing between VLANs and services losing their SLO. Exit 0 when the homelab
-- survives the failure, 1 when it does not (guests stranded, quorum or inter-VLAN routing lost) or
-- on error, 2 usage.
--
-- With a Proxmox VE cluster configured (the inventory's `proxmox`), the
-- answer comes from the live cluster instead (--model: the inventory's
-- model all the same): its nodes online now, its running guests, its HA
-- resources and node-affinity rules and the RAM free on each node
-- (labsh.pve_drain states the rules). Nothing is changed.


return labsh.script {
  name = "node-failure",
  formats = { "text", "json" },
  description = "drill: what if NODE fails (§5.1 DR procedures)",
  args = { { "NODE", "the node that fails (or --node NODE)", key = "name" } },
  params = { { "--node", "NODE", "the node that fails" },
             { "--model", nil, "the inventory's model even when a Proxmox VE cluster is configured" } },
  exit = "0 the homelab survives, 1 it does not (guests stranded, quorum or inter-VLAN routing lost) or an error, 2 usage",
  requires = {
    net = { "proxmox" },       -- the live cluster, when the inventory has one
    secrets = { "proxmox" },
    proxmox = { "Sys.Audit" },
  },
  run = function(ctx, opts)
    if opts.node and opts.name and opts.node ~= opts.name then ctx:usage_error("one node at a time") end
    opts.node = opts.node or opts.name
    if not opts.node then ctx:usage_error("which node? give NODE (or --node NODE)") end
    local known, failed = pcall(lab.node, opts.node)
    if not known then ctx:usage_error((tostring(failed):gsub("^%S-:%d+: ", ""))) end

    -- What losing the node does to the live cluster now.
    local function live(node)
      local loss = require("labsh.pve_drain").loss(lab.pve.client(), node)
      local moved = {}
      for i, m in ipairs(loss.moves) do moved[i] = { guest = m.name, vmid = m.vmid, from = m.from, to = m.to } end
      local q = loss.quorum
      return {
        node = node, source = "live Proxmox VE cluster", survives = #loss.refusals == 0 and #loss.stranded == 0,
        moved = moved, stranded = loss.stranded, reasons = loss.refusals,
        proxmox = q and ("%d of %d nodes online without %s, %d needed"):format(q.after, q.total, node, q.needed) or "-",
        etcd = loss.etcd and ("%d of %d members running, %d needed"):format(loss.etcd.running, loss.etcd.members, loss.etcd.needed) or "-",
        services_losing_slo = {},
      }
    end

    local result
    if lab.inventory.current().proxmox and not opts.model then
      result = live(opts.node)
    else
      local r = lab.sim.fail(opts.node)
      result = {
        node = opts.node, source = "lab.sim", survives = #r.stranded == 0 and not r.why:find("LOST", 1, true),
        moved = r.moved, stranded = r.stranded, reasons = r.reasons, proxmox = r.proxmox_text, etcd = r.etcd,
        services_losing_slo = r.slo_lost, basis = r.basis, assumed_from = r.basis == "assumed" and r.assumed_from or nil,
        unrouted = setmetatable(r.unrouted, lab.json.array),  -- [] in JSON when every VLAN is still routed
      }
      -- the VLANs' router lost: nothing crosses between VLANs (lab.sim's reasons say what needed to)
      if #r.unrouted > 0 then result.survives = false end
      for _, q in ipairs(r.proxmox or {}) do if q.quorate == false then result.survives = false end end
      if r.kubernetes and r.kubernetes.etcd_quorum == false then result.survives = false end
    end

    if lab.options.format == "json" then
      print(lab.json.encode(result, { sort_keys = true }))
    else
      local pretty = require "labsh.pretty"
      print(("Drill: %s fails (%s)"):format(result.node, result.source))
      -- only what the lab has: "-" is a Proxmox cluster or Kubernetes it lacks
      local quorum = {}
      if result.proxmox and result.proxmox ~= "-" then quorum[#quorum + 1] = "Proxmox quorum: " .. result.proxmox end
      if result.etcd and result.etcd ~= "-" then quorum[#quorum + 1] = "etcd: " .. result.etcd end
      if #quorum > 0 then print(table.concat(quorum, "; ")) end
      print(("moved: %d guests; stranded: %d"):format(#result.moved, #result.stranded))
      if #result.moved > 0 then print(pretty.format(result.moved)) end
      if #result.stranded > 0 then print("stranded:") print(pretty.format(result.stranded)) end
      for _, why in ipairs(result.reasons or {}) do print("  - " .. why) end
      print(result.survives and "verdict: the homelab survives this failure"
        or "verdict: the homelab does NOT survive this failure")
      if result.basis == "assumed" then
        print(("  basis: assumed: the verdict rests on %d values the inventory marks as assumptions (e.g. %s)")
          :format(#result.assumed_from, result.assumed_from[1]))
      end
    end
    os.exit(result.survives and 0 or 1)
  end,
}
