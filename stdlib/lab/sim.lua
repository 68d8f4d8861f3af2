-- lab.sim: failure simulation before failures happen (the logic is Swift,
-- Sources/Homelab/Simulation; labsh.sim binds it). Every answer is plain
-- data; lists of failures print as tables.

local core = require "labsh.sim"

local sim = {}

local function model() return lab.inventory.model() end

local row_meta = {
  __name = "lab.sim.Failure",
  __columns = { "node", "impact", "proxmox", "etcd", "moved", "stranded", "services", "gpu", "why" },
}

local function quorum_text(q)
  if not q then return "-" end
  return ("%d/%d %s"):format(q.alive, q.votes, q.quorate and "ok" or "LOST")
end

-- A report with the one-line summary fields a table of them shows.
local function summarized(report)
  report.node = table.concat(report.failed, ",")
  report.proxmox_text = quorum_text(report.proxmox[1])
  local k = report.kubernetes
  report.etcd = k and ("%d/%d %s"):format(k.running, k.masters, k.etcd_quorum and "ok" or "LOST") or "-"
  local lost = 0
  for _, s in ipairs(report.services) do if s.loses_slo then lost = lost + 1 end end
  report.slo_lost = lost
  report.why = table.concat(report.reasons, "; ")
  return report
end

--- What happens when the named nodes (or power feeds, or "internet") fail:
--- Proxmox quorum, Kubernetes/etcd quorum, HA re-placement, stranded
--- guests, services that lose their SLO, GPU workloads with nowhere to go.
function sim.fail(names, opts)
  if type(names) == "string" then names = { names } end
  return summarized(core.fail(model(), names, opts))
end

--- Every single-node failure, worst first: a table of rows (node, impact,
--- quorum states, counts, why); each row is the full report too.
function sim.n_minus_1(opts)
  local rows = core.n_minus_1(model(), opts)
  for i, r in ipairs(rows) do
    summarized(r)
    rows[i] = setmetatable({
      node = r.node, impact = r.impact, proxmox = r.proxmox_text, etcd = r.etcd, moved = #r.moved,
      stranded = #r.stranded, services = r.slo_lost, gpu = #r.gpu, why = r.why, report = r,
    }, row_meta)
  end
  return rows
end

local spof_meta = {
  __name = "lab.sim.SinglePoint",
  __columns = { "element", "kind", "affected", "consequence", "mitigation" },
}

--- Single points of failure derived from the topology (uplinks, power
--- feeds): the elements whose loss alone costs a quorum, the internet or
--- more than one other node, worst first.
function sim.spof(opts)
  local list = core.spof(model(), opts)
  for i, p in ipairs(list) do
    list[i] = setmetatable({
      element = p.element, kind = p.kind, affected = #p.affected, consequence = p.consequences[1],
      consequences = p.consequences, nodes = p.affected, mitigation = p.mitigation, impact = p.impact,
    }, spof_meta)
  end
  return list
end

return sim
