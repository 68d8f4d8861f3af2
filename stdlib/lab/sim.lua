-- lab.sim: failure simulation before failures happen (the logic is Swift,
-- Sources/Homelab/Simulation; labsh.sim binds it). Every answer is plain
-- data; lists of failures print as tables, and one report prints as its
-- summary with the detail one field away (r.moved, r.services...).

local blame = require "labsh.blame"
local columns = require "labsh.columns"
local core = require "labsh.sim"
local assumptions = require "labsh.assumptions"

local sim = {}

-- The model and where its figures come from: opts.source "live" reads the
-- Proxmox VE cluster's guests (lab.inventory.model_from), else the inventory.
local function model(opts, func)
  return lab.inventory.model_from(type(opts) == "table" and opts.source or nil, func)
end

-- Whether a node declares the internet among its uplinks: without one the
-- topology says nothing of the internet, up or down.
local function has_internet_line()
  for _, node in ipairs(lab.inventory.current().nodes) do
    for _, uplink in ipairs(node.uplinks or {}) do if uplink == "internet" then return true end end
  end
  return false
end

local function quorum_text(q)
  if not q then return "-" end
  return ("%d/%d %s"):format(q.alive, q.votes, q.quorate and "ok" or "LOST")
end

-- What one report says, in a few lines: the prompt shows this for it.
local function summary(report)
  -- Proxmox, etcd and GPUs only for a lab that has them ("-": it has not)
  local state = {}
  if report.proxmox_text ~= "-" then state[#state + 1] = "proxmox " .. report.proxmox_text end
  if report.etcd ~= "-" then state[#state + 1] = "etcd " .. report.etcd end
  if has_internet_line() then state[#state + 1] = "internet " .. (report.internet and "up" or "down") end
  if #report.unrouted > 0 then
    local ids = {}
    for i, u in ipairs(report.unrouted) do ids[i] = u.vlan end
    state[#state + 1] = "routing LOST (VLAN " .. table.concat(ids, ", ") .. ")"
  end
  local lines = { ("lab.sim.Report: %s fails, impact %s"):format(report.node, report.impact) }
  if #state > 0 then lines[#lines + 1] = "  " .. table.concat(state, ", ") end
  lines[#lines + 1] =
    ("  %d guests moved, %d stranded, %s%d services lose their SLO")
      :format(#report.moved, #report.stranded,
        #report.gpu > 0 and ("%d GPU workloads stranded, "):format(#report.gpu) or "", report.slo_lost)
  for _, reason in ipairs(report.reasons) do lines[#lines + 1] = "  - " .. reason end
  if report.sources and report.sources.guests ~= "inventory" then
    lines[#lines + 1] = ("  sources: guests %s; nodes %s"):format(report.sources.guests, report.sources.nodes)
  end
  if report.basis == "assumed" then
    lines[#lines + 1] = ("  basis: assumed (%d assumed values, e.g. %s): %s"):format(#report.assumed_from,
      report.assumed_from[1], assumptions.FOOTNOTE:gsub("^%* assumed: ", ""))
  end
  lines[#lines + 1] = "  fields: moved, stranded, gpu, services, reasons, proxmox, kubernetes, down, isolated, unrouted, basis"
  return table.concat(lines, "\n")
end

local report_meta = columns.meta("lab.sim.Report", { __tostring = summary })

-- A report with the one-line summary fields a table of them shows, its
-- lists marked so each prints as a table of its own.
local function summarized(report)
  report.node = table.concat(report.failed, ",")
  report.proxmox_text = quorum_text(report.proxmox[1])
  local k = report.kubernetes
  report.etcd = k and ("%d/%d %s"):format(k.running, k.masters, k.etcd_quorum and "ok" or "LOST") or "-"
  local lost = 0
  for _, s in ipairs(report.services) do if s.loses_slo then lost = lost + 1 end end
  report.slo_lost = lost
  report.why = table.concat(report.reasons, "; ")
  -- a verdict that moves guests rests on their sizes: say when those are assumed
  local gone = {}
  for _, list in ipairs { report.failed, report.down or {}, report.isolated or {} } do
    table.move(list, 1, #list, #gone + 1, gone)
  end
  report.assumed_from = assumptions.for_failure(gone)
  report.basis = #report.assumed_from > 0 and "assumed" or "stated"
  for _, moved in ipairs(report.moved) do columns.mark("lab.sim.Moved", moved) end
  for _, list in ipairs { report.stranded, report.gpu } do
    for _, stranded in ipairs(list) do columns.mark("lab.sim.Stranded", stranded) end
  end
  return setmetatable(report, report_meta)
end

-- Names of what may fail: one name or a list of them.
local function failure_names(names)
  if type(names) == "string" then return { names } end
  if type(names) ~= "table" then
    blame.argument(1, "lab.sim.fail", ("a node name or a list of names expected, got %s"):format(type(names)), 3)
  end
  return names
end

-- The options labsh.sim reads (lab.SimOptions); it skips others, so a
-- misspelt one would quietly change nothing.
local OPTIONS = { "ram_reserve", "cpu_ratio", "repair", "source" }

local function checked_options(opts, func, n)
  if type(opts) ~= "table" then return opts end
  for key in pairs(opts) do
    local known = false
    for _, name in ipairs(OPTIONS) do known = known or key == name end
    if not known then
      blame.argument(n, func, ("unknown option %s%s"):format(blame.shown(key),
        blame.hint(key, OPTIONS, "options")), 3)
    end
  end
  if opts.source == nil then return opts end
  local rest = {}  -- source is this file's (see model), not labsh.sim's
  for key, value in pairs(opts) do if key ~= "source" then rest[key] = value end end
  return rest
end

--- What happens when the named nodes (or power feeds, or "internet") fail:
--- Proxmox quorum, Kubernetes/etcd quorum, HA re-placement, stranded
--- guests, services that lose their SLO, GPU workloads with nowhere to go.
function sim.fail(names, opts)
  -- labsh.sim takes the model first: its argument numbers are one more
  local handle, sources = model(opts, "lab.sim.fail")
  local report = blame.call("lab.sim.fail", 1, 2, core.fail, handle, failure_names(names),
    checked_options(opts, "lab.sim.fail", 2))
  report.sources = sources
  return summarized(report)
end

local row_meta = columns.meta("lab.sim.Failure")

--- Every single-node failure, worst first: a table of rows (node, impact,
--- quorum states, counts, why); each row is the full report too.
function sim.n_minus_1(opts)
  local handle, sources = model(opts, "lab.sim.n_minus_1")
  local rows = blame.call("lab.sim.n_minus_1", 1, 2, core.n_minus_1, handle,
    checked_options(opts, "lab.sim.n_minus_1", 1))
  -- etcd and gpu only for a lab with Kubernetes or GPUs: nil leaves the column out
  local gpus = false
  for _, node in ipairs(lab.inventory.current().nodes) do if #(node.gpus or {}) > 0 then gpus = true end end
  for i, r in ipairs(rows) do
    r.sources = sources
    summarized(r)
    rows[i] = setmetatable({
      node = r.node, impact = r.impact, proxmox = r.proxmox_text, etcd = r.etcd ~= "-" and r.etcd or nil,
      moved = #r.moved, stranded = #r.stranded, services = r.slo_lost, gpu = gpus and #r.gpu or nil, why = r.why,
      sources = sources,
      basis = r.basis, report = r,
    }, row_meta)
  end
  return rows
end

local spof_meta = columns.meta("lab.sim.SinglePoint")

--- Single points of failure derived from the topology (uplinks, power
--- feeds): the elements whose loss alone costs a quorum, the internet or
--- more than one other node, worst first.
function sim.spof(opts)
  local list = blame.call("lab.sim.spof", 1, 2, core.spof, lab.inventory.model(),
    checked_options(opts, "lab.sim.spof", 1))
  for i, p in ipairs(list) do
    list[i] = setmetatable({
      element = p.element, kind = p.kind, affected = #p.affected, consequence = p.consequences[1],
      consequences = p.consequences, nodes = p.affected, mitigation = p.mitigation, impact = p.impact,
    }, spof_meta)
  end
  return list
end

return sim
