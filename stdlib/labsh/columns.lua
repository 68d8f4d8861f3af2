-- labsh.columns: how each kind of record prints, in one place for the
-- prompt (labsh.pretty), the reports (--format text) and the scripts that
-- print lists through the pretty printer.
--
-- A record type lists its columns in order, the column that names a row
-- first; fields it does not list stay out of a table of such records (they
-- are one field away: `rows[1].notes`). `formats` say which numbers are
-- sizes (bytes), durations (seconds) or times (Unix seconds): they print in
-- human units while the values stay exact numbers; "*" formats the
-- elements of a list.
--
-- Plain records (the reports' rows) name their type when printed:
-- pretty.format(rows, {record = "report.policy"}); such a table shows the
-- listed columns first and any others after them.

local columns = {}

local BYTES = "bytes"

columns.types = {
  -- what fits 80 columns; the rest is a field away (lab.node("pve1").model)
  ["lab.Node"] = {
    "name", "kind", "role", "cores", "ram", "storage", "address",
    formats = { ram = BYTES, storage = BYTES },
  },
  ["lab.Guest"] = {
    "name", "kind", "node", "role", "vcpu", "ram", "disk", "vlan", "address",
    formats = { ram = BYTES, disk = BYTES },
  },
  ["lab.Vlan"] = { "id", "name", "zone", "trust", "subnet", "gateway", "purpose" },
  ["lab.Service"] = { "name", "tier", "phase", "runs_on", "vlan", "slo", "endpoint" },
  ["lab.Totals"] = {
    "kind", "nodes", "cores", "threads", "ram", "storage",
    formats = { ram = BYTES, storage = BYTES },
  },
  ["lab.Slo"] = { "target", "window", "budget", "seconds" },
  -- the destinations follow `from`, in the policy's order (lab.net.matrix)
  ["lab.net.MatrixRow"] = { "from" },
  ["lab.sim.Failure"] = {
    "node", "impact", "proxmox", "etcd", "moved", "stranded", "services", "gpu", "why",
  },
  ["lab.sim.Report"] = {
    "node", "impact", "proxmox_text", "etcd", "slo_lost", "why",
  },
  ["lab.sim.Moved"] = { "guest", "from", "to", "ram", formats = { ram = BYTES } },
  ["lab.sim.Stranded"] = { "guest", "node", "ram", "reason", formats = { ram = BYTES } },
  ["lab.sim.SinglePoint"] = { "element", "kind", "affected", "consequence", "mitigation" },
  ["lab.schedule.Times"] = { formats = { ["*"] = "time" } },
  ["lab.capacity.Resource"] = {
    "name", "installed", "allocated", "used", "free", "percent", "position", "crosses_85", "crosses_95",
  },
  ["lab.alert.Rule"] = { "name", "severity", "response", "for", "alertname", "summary" },
  -- text for people; the *_seconds fields and `problems` are for machines
  ["lab.backup.CheckRow"] = {
    "name", "status", "newest", "age", "max_age", "rpo", "runs", "success", "gaps",
    "copies", "media", "offsite", "problem",
  },

  -- The reports' sections (labsh.review), by section name.
  ["report.inventory"] = { "kind", "nodes", "cores", "ram", "storage" },
  ["report.policy"] = { "from", "to", "expected", "actual", "result", "why" },
  ["report.capacity"] = {
    "resource", "node", "percent", "position", "crosses_85", "crosses_95",
    "ram", "allocated", "free", "used", "band",
  },
  ["report.backups"] = { "backup", "status", "success", "copies", "problem" },
  ["report.alerts"] = { "alert", "severity", "instance", "since" },
  ["report.certificates"] = { "endpoint", "expires", "days", "priority" },
  ["report.jobs"] = { "job", "runs", "success", "last" },
  ["report.growth"] = { "node", "now", "in_12_months", "band" },
  ["report.patches"] = { "instance", "pending" },
}

local metatables = {}

--- The metatable of records of type `name`: __name, __columns and
--- __formats from the table above, with `extra` fields (__index,
--- __tostring...) added the first time. One table per type, so a list of
--- such records is recognised as one table.
function columns.meta(name, extra)
  local mt = metatables[name]
  if not mt then
    local declared = columns.types[name] or {}
    mt = { __name = name, __columns = table.move(declared, 1, #declared, 1, {}),
           __formats = declared.formats }
    metatables[name] = mt
  end
  for key, value in pairs(extra or {}) do mt[key] = value end
  return mt
end

--- `record` marked as a record of type `name` (its metatable set).
function columns.mark(name, record)
  return setmetatable(record, columns.meta(name))
end

--- The declared columns of type `name` ({} when none) and its formats.
function columns.of(name)
  local declared = columns.types[name] or {}
  return declared, declared.formats or {}
end

return columns
