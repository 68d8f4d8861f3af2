---@meta
-- Declarations of `lab.sim`, for editors (LuaLS) and help() at the prompt.

---Failure simulation before failures happen (§1.1, §2.1, §11): quorum, HA
---re-placement, stranded guests, SLOs, GPU workloads, single points of
---failure. The rules are stated in Sources/Homelab/Simulation.
lab.sim = {}

---Options of a simulation.
---@class lab.SimOptions
---@field ram_reserve integer? RAM each node keeps for itself, bytes (default 2 GiB)
---@field cpu_ratio number? vCPUs allowed per hardware thread (default 2)
---@field repair number? seconds until failed hardware is back (default 86400): an outage longer than a tier's monthly error budget loses its SLO
---@field source "inventory"|"live"? where guests, allocations and HA state come from: the inventory (default, no network) or, with `proxmox` configured, the cluster's /cluster/resources (lab.inventory.model_from); the report's `sources` ({nodes, guests}) says which

---What happens when the named nodes, power feeds or "internet" fail:
---`proxmox` (per cluster: votes, alive, needed, quorate), `kubernetes`
---(masters, running, needed, etcd_quorum, workers, running_workers, api),
---`moved` (HA guests restarted elsewhere: first-fit decreasing by RAM,
---within the HA group's nodes, etcd masters kept apart, CPU and RAM
---headroom), `stranded` (guests with nowhere to go, and why), `services`
---(down, with `loses_slo`), `gpu`, `down`, `isolated` (cut off by the
---topology), `internet`, `unrouted` (VLANs whose router, the node holding
---their gateway address, is down or cut off: {vlan, name, router, cut_off};
---a service that other VLANs' zones reach by the policy is lost to them),
---`impact` and `reasons`; `basis` is "assumed" when
---guests are lost or moved and sizes or placements they rest on are marked
---`assumed` in the inventory (listed in `assumed_from`, "k8s-w1.ram"),
---else "stated". At the prompt the report
---prints as a short summary; each list prints as a table (`r.moved`).
---Unknown names and options are errors with a did-you-mean.
---@param names string|string[]
---@param opts lab.SimOptions?
---@return table
function lab.sim.fail(names, opts) end

---Every single-node failure ranked by impact, worst first: rows of node,
---impact, proxmox, etcd, moved, stranded, services (SLOs lost), gpu, why, basis;
---`row.report` is the full lab.sim.fail report. etcd is nil (no column) in
---a lab without Kubernetes (no `k8s_servers` target), gpu in one without GPUs.
---@param opts lab.SimOptions?
---@return table[]
function lab.sim.n_minus_1(opts) end

---Single points of failure derived from the topology (nodes' `uplinks` and
---`power`): every node, power feed or internet line whose loss alone costs a
---quorum, the path to the internet, or more than one other node. Rows of
---element, kind (gateway, switch, router, power, uplink...), affected,
---consequence(s) and mitigation, worst first.
---@param opts lab.SimOptions?
---@return table[]
function lab.sim.spof(opts) end
