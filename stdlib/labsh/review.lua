-- labsh.review: the sections of the operations reports (scripts report,
-- weekly-review, monthly-review). Each section is a function of the
-- options returning {title, status = "ok"|"attention"|"critical"|"unknown"|"not configured"|
-- "error", summary = one line, rows = records, notes = lines}; a source
-- that is not configured says so, one that fails makes only its own
-- section "error" (review.build catches it).
--
-- opts: now (Unix seconds), backups (a lab.backup.check source), certs
-- (HOST:PORT list), days (the period, for job history).

local review = {}

local cli = require "labsh.cli"
local sizes = require "labsh.sizes"
local pretty = require "labsh.pretty"
local assumptions = require "labsh.assumptions"

local function size(bytes) return sizes.size_text(bytes, "iec", 0) end
local function pct(x) return ("%.0f%%"):format(x) end

-- A citation of the plan ("§9"): only the built-in homelab is the plan's,
-- so another lab's report quotes no section of it. An inventory that cannot
-- be read is its sections' error to report, not a stop here.
local function cite(text)
  local ok, summary = pcall(lab.inventory.summary)
  return ok and summary.file == "(built-in homelab)" and text or ""
end

-- A section: {title, status = "ok"|"attention"|"not configured"|"error",
-- summary = one line, rows = records for the table, notes = lines}.
-- The footnote of a section whose rows rest on assumed values (basis
-- "assumed"): which rows, and what the inventory's `assumed` means.
local function assumed_note(names)
  return ("basis assumed (%s): %s"):format(table.concat(names, ", "), assumptions.FOOTNOTE:gsub("^%* assumed: ", ""))
end

local function not_configured(title, why)
  return { title = title, status = "not configured", summary = "not configured: " .. why, rows = {}, notes = {} }
end

local sections = {}
review.sections = sections

-- ---- Inventory ----------------------------------------------------------------

function sections.inventory()
  local s = lab.inventory.summary()
  local rows, resting = {}, {}
  for _, t in ipairs(lab.totals()) do
    -- totals of hardware the inventory marks assumed (a CPU model, disks) are assumed too
    local from = {}
    for _, resource in ipairs { "cpu", "ram", "storage" } do
      for _, node in ipairs(lab.inventory.current().nodes) do
        if t.kind == "all" or node.kind == t.kind then
          local found = assumptions.for_node(node.name, resource, { nodes = { node } })
          table.move(found, 1, #found, #from + 1, from)
        end
      end
    end
    if #from > 0 then resting[#resting + 1] = t.kind end
    rows[#rows + 1] = { kind = t.kind, nodes = t.nodes, cores = t.cores, ram = size(t.ram),
                        storage = ("%.1f TB"):format(t.storage / 1e12), basis = #from > 0 and "assumed" or "stated" }
  end
  local notes = { table.unpack(s.warnings) }
  if #resting > 0 then notes[#notes + 1] = assumed_note(resting) end
  return {
    title = "Inventory",
    status = #s.warnings == 0 and "ok" or "attention",
    summary = ("%s: %d nodes, %d guests, %d VLANs, %d services, %d warnings"):format(
      s.file, s.nodes, s.guests, s.vlans, s.services, #s.warnings),
    rows = rows,
    notes = notes,
  }
end

-- ---- Policy -------------------------------------------------------------------

-- The zone pairs to check, {from, to, expected, why}: the inventory's
-- policy.boundaries when it lists them (the built-in homelab: the plan's
-- eight of §1.2 and §4.1), else every rule that denies between zones of
-- different trust, a "*" standing for each zone. A deny rule that an
-- earlier allow shadows shows here as VIOLATED.
local function boundaries(policy, vlans)
  local trust, zones = {}, {}
  for _, v in ipairs(vlans) do
    if v.zone and not trust[v.zone] then trust[v.zone] = v.trust; zones[#zones + 1] = v.zone end
  end
  local out = {}
  if policy.boundaries and #policy.boundaries > 0 then
    for _, b in ipairs(policy.boundaries) do
      out[#out + 1] = { b.from, b.to, b.expect == "allow", b.why or "declared in policy.boundaries" }
    end
    return out
  end
  local function expand(names)
    local list = {}
    for _, name in ipairs(names) do
      if name == "*" then table.move(zones, 1, #zones, #list + 1, list)
      elseif trust[name] then list[#list + 1] = name end  -- "internet" is no trust level
    end
    return list
  end
  local seen = {}
  for _, rule in ipairs(policy.rules or {}) do
    if rule.action == "deny" then
      for _, from in ipairs(expand(rule.from)) do
        for _, to in ipairs(expand(rule.to)) do
          local key = from .. ">" .. to
          if from ~= to and trust[from] ~= trust[to] and not seen[key] then
            seen[key] = true
            out[#out + 1] = { from, to, false, ("%s (%s -> %s)"):format(rule.note or "a deny rule", trust[from], trust[to]) }
          end
        end
      end
    end
  end
  return out
end

function sections.policy()
  local data = lab.inventory.current()
  local rows, broken = {}, 0
  for _, b in ipairs(boundaries(data.policy or {}, data.vlans or {})) do
    local from, to, expected, why = b[1], b[2], b[3], b[4]
    local ok, allowed = pcall(lab.net.allows, from, to)
    local holds = ok and allowed == expected
    if not holds then broken = broken + 1 end
    rows[#rows + 1] = { from = from, to = to, expected = expected and "allowed" or "denied",
                        actual = ok and (allowed and "allowed" or "denied") or "error",
                        result = holds and "ok" or "VIOLATED", why = why }
  end
  if #rows == 0 then
    return not_configured("Policy", "no policy.boundaries and no rule denies between zones of different trust")
  end
  return {
    title = "Policy",
    status = broken == 0 and "ok" or "attention",
    summary = ("%d of %d zero-trust boundaries hold"):format(#rows - broken, #rows),
    rows = rows, notes = {},
  }
end

-- ---- Capacity -----------------------------------------------------------------

function sections.capacity(opts)
  local band = (lab.inventory.current().capacity or {}).target_band or { 70, 85 }
  local notes = {}
  -- The capacity model, when this labsh has it (lab.capacity), says more:
  -- every resource against the band and when growth crosses it.
  if lab.capacity and lab.capacity.report then
    local ok, plan = pcall(lab.capacity.report, { now = opts.now })
    if ok and type(plan) == "table" and plan.resources then
      local rows, hot, resting = {}, 0, {}
      for _, r in ipairs(plan.resources) do
        if r.percent and r.percent > band[2] then hot = hot + 1 end
        local from = assumptions.for_resource(r.name)
        if #from > 0 then resting[#resting + 1] = r.name end
        rows[#rows + 1] = { resource = r.name, percent = r.percent and pct(r.percent) or "-",
                            position = r.position or "-", crosses_85 = r.crosses_85 or "-",
                            crosses_95 = r.crosses_95 or "-", basis = #from > 0 and "assumed" or "stated" }
      end
      if plan.note then notes[#notes + 1] = plan.note end
      if #resting > 0 then notes[#notes + 1] = assumed_note(resting) end
      return { title = "Capacity", status = hot == 0 and "ok" or "attention",
               summary = ("%d resources from lab.capacity (%s), %d above the %d-%d%% band"):format(
                 #rows, plan.source or "inventory", hot, band[1], band[2]),
               rows = rows, notes = notes }
    end
    notes[#notes + 1] = "lab.capacity failed, totals shown instead: " .. tostring(plan)
  else
    notes[#notes + 1] = "lab.capacity not available in this labsh: RAM allocated by guests against each node"
  end
  local rows, hot, resting = {}, 0, {}
  for _, node in ipairs(lab.nodes { kind = "hypervisor" }) do
    local used = node:allocated()
    local share = node.ram > 0 and used / node.ram * 100 or 0
    local state = share > band[2] and "over band" or share < band[1] and "below band" or "in band"
    if share > band[2] then hot = hot + 1 end
    local assumed = #assumptions.for_node(node.name, "ram") > 0
    if assumed then resting[#resting + 1] = node.name end
    rows[#rows + 1] = { node = node.name, ram = size(node.ram), allocated = size(used),
                        free = size(node:free()), used = pct(share), band = state,
                        basis = assumed and "assumed" or "stated" }
  end
  if #resting > 0 then notes[#notes + 1] = assumed_note(resting) end
  return {
    title = "Capacity",
    status = hot == 0 and "ok" or "attention",
    summary = ("%d hypervisors, %d above the %d-%d%% target band%s"):format(#rows, hot, band[1], band[2], cite(" (§9)")),
    rows = rows, notes = notes,
  }
end

-- ---- Backups ------------------------------------------------------------------

function sections.backups(opts)
  -- the same words as check-backups (UNKNOWN there): nothing to judge
  if #(lab.inventory.current().backups or {}) == 0 then
    return not_configured("Backups", "the inventory has no backups")
  end
  if not opts.backups then
    return not_configured("Backups", "no source of backup runs (--backups FILE or a restic repository's snapshots)")
  end
  local rows = lab.backup.check { source = opts.backups, now = opts.now }
  local bad, critical, out = 0, 0, {}
  for _, r in ipairs(rows) do
    if r.status ~= "OK" then bad = bad + 1 end
    if r.status == "CRITICAL" then critical = critical + 1 end
    out[#out + 1] = { backup = r.name, status = r.status, success = r.success and pct(r.success) or "-",
                      copies = r.copies, problem = r.problem ~= "" and r.problem or nil }
  end
  return {
    title = "Backups",
    status = critical > 0 and "critical" or bad == 0 and "ok" or "attention",
    summary = ("%d of %d backups compliant (RPO, schedule, > 99%% success, 3-2-1)"):format(#rows - bad, #rows),
    rows = out, notes = {},
  }
end

-- ---- Alerts -------------------------------------------------------------------

-- A note naming the rules whose signal nothing in labsh publishes (an IDS):
-- they can fire only when something outside labsh feeds them.
local function unpublished_note(rules)
  local names = {}
  for _, rule in ipairs(rules) do
    if rule.publisher == "none" then names[#names + 1] = rule.alertname end
  end
  return #names > 0 and ("no publisher in labsh (external signal only): %s"):format(table.concat(names, ", ")) or nil
end

-- The catalogue's rules Prometheus has not loaded, by name: they alert
-- nobody, whatever labsh's own evaluation finds.
local function undeployed(rules)
  local loaded = {}
  for _, group in ipairs(lab.prom.rules("alert") or {}) do
    for _, rule in ipairs(group.rules or {}) do loaded[rule.name] = true end
  end
  local names = {}
  for _, rule in ipairs(rules) do
    if not loaded[rule.alertname] then names[#names + 1] = rule.alertname end
  end
  return names
end

function sections.alerts()
  local monitoring = lab.inventory.current().monitoring
  if not (monitoring and monitoring.prometheus) then
    local section = not_configured("Alerts", "no monitoring.prometheus in the inventory")
    if lab.alert and lab.alert.rules then
      local ok, rules = pcall(lab.alert.rules)
      if ok and type(rules) == "table" then
        section.notes[1] = ("%d alert rules in the inventory's model (labsh -m gen prometheus-rules)"):format(#rules)
        section.notes[#section.notes + 1] = unpublished_note(rules)
      end
    end
    return section
  end
  -- What Prometheus fires, and what the catalogue's rules find when labsh
  -- evaluates them itself: a catalogue Prometheus has not loaded alerts
  -- nobody, so "nothing firing" from Prometheus alone would be a false pass.
  local rows, seen = {}, {}
  local function add(name, severity, instance, since, source)
    local id = tostring(name) .. "\0" .. tostring(instance)
    if seen[id] then return end
    seen[id] = true
    rows[#rows + 1] = { alert = name, severity = severity or "-", instance = instance or "-", since = since or "-",
                        source = source }
  end
  for _, a in ipairs(lab.prom.alerts()) do
    if a.state == "firing" then
      local labels = a.labels or {}
      add(labels.alertname, labels.severity, labels.instance, a.activeAt, "prometheus")
    end
  end
  local notes, missing, total = {}, 0, 0
  if lab.alert and lab.alert.rules then
    local rules = lab.alert.rules()
    local absent = undeployed(rules)
    total, missing = #rules, #absent
    for _, a in ipairs((lab.alert.evaluate())) do
      add(a.alertname, a.severity, a.labels and a.labels.instance, nil, "labsh")
    end
    notes[1] = ("%d alert rules in the inventory's model, %d of them loaded in Prometheus"):format(total, total - missing)
    if missing > 0 then
      notes[2] = ("not deployed, so they alert nobody: %s"):format(table.concat(absent, ", "))
      notes[3] = "load them: labsh -m gen prometheus-rules, then reload Prometheus"
    end
    notes[#notes + 1] = unpublished_note(rules)
  else
    notes[1] = "lab.alert not available in this labsh: firing alerts from Prometheus only"
  end
  table.sort(rows, function(x, y) return tostring(x.alert) < tostring(y.alert) end)
  local critical = false
  for _, r in ipairs(rows) do
    if r.severity == "P1" or r.severity == "critical" then critical = true end
  end
  local summary = #rows == 0 and "nothing firing" or ("%d alerts firing"):format(#rows)
  local status = critical and "critical" or #rows > 0 and "attention" or "ok"
  if total > 0 and missing == total then
    summary = ("unknown: none of the %d catalogue rules is loaded in Prometheus; labsh's own evaluation: %s")
      :format(total, summary)
    if not critical then status = "unknown" end
  elseif missing > 0 then
    -- a partly deployed catalogue is no pass either: the missing rules are silent
    summary = ("%s; %d of %d catalogue rules not deployed"):format(summary, missing, total)
    if status == "ok" then status = "attention" end
  end
  return { title = "Alerts", status = status, summary = summary, rows = rows, notes = notes }
end

-- ---- Certificates -------------------------------------------------------------

--- When the certificate of HOST:PORT expires (Unix seconds), via openssl.
function review.certificate_expiry(endpoint)
  local hostname, port = endpoint:match("^%[?([^%]]+)%]?:(%d+)$")
  if not hostname then error(("endpoint %s: expected HOST:PORT"):format(endpoint), 0) end
  local fetched = lab.process.run { argv = { "openssl", "s_client", "-connect", endpoint, "-servername", hostname },
                                    timeout = 10, read_only = true }
  local pem = fetched.stdout:match("%-%-%-%-%-BEGIN CERTIFICATE%-%-%-%-%-.-%-%-%-%-%-END CERTIFICATE%-%-%-%-%-")
  if not pem then error(("%s: no certificate (%s)"):format(endpoint, (fetched.stderr:match("[^\n]+") or "no answer")), 0) end
  -- "notAfter=2027-11-27 00:00:00Z": RFC 3339 with a space, as labsh.times reads it.
  local dated = lab.process.run { argv = { "openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601" },
                                  stdin = pem, timeout = 10, read_only = true }
  local ok, expiry = pcall(require("labsh.times").parse, dated.stdout:match("notAfter=(.-)%s*$"))
  if not ok then error(endpoint .. ": cannot read the expiry date", 0) end
  return expiry
end

function sections.certificates(opts)
  if #opts.certs == 0 then
    return not_configured("Certificates", "no TLS endpoints given (--cert HOST:PORT)")
  end
  local rows, worst = {}, "ok"
  for _, endpoint in ipairs(opts.certs) do
    local ok, expiry = pcall(review.certificate_expiry, endpoint)
    if ok then
      local days = (expiry - opts.now) / 86400
      -- §5.2: a certificate expiring within 7 days is P2, within 30 days P3.
      local priority = days < 7 and "P2" or days < 30 and "P3" or "-"
      if priority ~= "-" then worst = "attention" end
      rows[#rows + 1] = { endpoint = endpoint, expires = os.date("!%Y-%m-%d", expiry),
                          days = math.floor(days), priority = priority }
    else
      worst = "attention"
      rows[#rows + 1] = { endpoint = endpoint, expires = "?", days = "-", priority = "error: " .. tostring(expiry) }
    end
  end
  return { title = "Certificates", status = worst,
           summary = ("%d endpoints checked"):format(#rows), rows = rows, notes = {} }
end

-- ---- Jobs ---------------------------------------------------------------------

-- A job file that cannot be loaded is a job that never runs: the section
-- is "error" (the report exits 1), with the other jobs shown as usual.
function sections.jobs(opts)
  local list, broken = lab.job.list(), lab.job.broken()
  if #list == 0 and #broken == 0 then
    return not_configured("Jobs", "no jobs (jobs/*.lua on the script path or the inventory)")
  end
  local rows, failing, notes = {}, 0, {}
  for _, j in ipairs(list) do
    local st = lab.job.stats(j.name)
    if st.failing then failing = failing + 1 end
    rows[#rows + 1] = { job = j.name, runs = st.runs,
                        success = st.success_rate and pct(st.success_rate * 100) or "-",
                        last = st.last or "-" }
  end
  for _, b in ipairs(broken) do
    rows[#rows + 1] = { job = b.name, runs = "-", success = "-", last = "broken" }
    notes[#notes + 1] = ("%s cannot be loaded: %s"):format(b.origin, b.error)
  end
  local summary = ("%d jobs, %d failing"):format(#list, failing)
  if #broken > 0 then summary = summary .. (", %d job file(s) broken"):format(#broken) end
  local status = #broken > 0 and "error" or failing == 0 and "ok" or "attention"
  return { title = "Jobs", status = status, summary = summary, rows = rows, notes = notes }
end

-- ---- Growth (monthly) -------------------------------------------------------

--- Each hypervisor's RAM in use a year from now at the inventory's growth
--- rate (capacity.growth.memory, % a year, §5.4), against the target band.
function sections.growth(opts)
  local capacity = lab.inventory.current().capacity or {}
  local rate = capacity.growth and capacity.growth.memory
  if not rate then return not_configured("Growth", "no capacity.growth.memory in the inventory") end
  local band = capacity.target_band or { 70, 85 }
  local rows, over, resting = {}, 0, {}
  -- the machines kept for guests (a workstation is someone's desk first)
  for _, node in ipairs(lab.nodes { kind = { "hypervisor", "server", "sbc" } }) do
    local now_share = node.ram > 0 and node:allocated() / node.ram * 100 or 0
    local later = now_share * (1 + rate / 100)
    if later > band[2] then over = over + 1 end
    local assumed = #assumptions.for_node(node.name, "ram") > 0
    if assumed then resting[#resting + 1] = node.name end
    rows[#rows + 1] = { node = node.name, now = pct(now_share), in_12_months = pct(later),
                        band = later > 100 and "exhausted" or later > band[2] and "over band" or "in band",
                        basis = assumed and "assumed" or "stated" }
  end
  local notes = { "expansion: see the inventory's capacity.expansion phases" }
  if #resting > 0 then notes[#notes + 1] = assumed_note(resting) end
  local summary = ("memory +%g%% a year: %d of %d hypervisors, servers and sbcs above %d%% within 12 months"):format(
    rate, over, #rows, band[2])
  if #resting > 0 then summary = summary .. (" (%d of them from assumed sizes)"):format(#resting) end
  return { title = "Growth", status = over == 0 and "ok" or "attention", summary = summary, rows = rows, notes = notes }
end

-- ---- Patches (monthly) ---------------------------------------------------------

--- Pending package upgrades per instance, from node_exporter's apt textfile
--- collector (apt_upgrades_pending) through Prometheus.
function sections.patches()
  local monitoring = lab.inventory.current().monitoring
  if not (monitoring and monitoring.prometheus) then
    return not_configured("Patches", "no monitoring.prometheus (apt_upgrades_pending from node_exporter)")
  end
  local rows = {}
  for _, s in ipairs(lab.prom.query("sum by (instance) (apt_upgrades_pending)")) do
    rows[#rows + 1] = { instance = s.metric.instance or "-", pending = math.floor(tonumber(s.value) or 0) }
  end
  if #rows == 0 then
    return { title = "Patches", status = "not configured", rows = {}, notes = {},
             summary = "not configured: no apt_upgrades_pending series (enable node_exporter's apt textfile script)" }
  end
  local behind = 0
  for _, r in ipairs(rows) do if r.pending > 0 then behind = behind + 1 end end
  local compliance = (#rows - behind) / #rows * 100
  return { title = "Patches", status = compliance >= 95 and "ok" or "attention",
           summary = ("%s of instances fully patched (%s> 95%%)"):format(pct(compliance), cite("§9: ")), rows = rows, notes = {} }
end

-- ---- Roadmap (monthly) ---------------------------------------------------------

--- Where the homelab stands on its roadmap (the inventory's `roadmap`):
--- each phase with its status; the current one and the next.
function sections.roadmap()
  local roadmap = lab.inventory.current().roadmap or {}
  if #roadmap == 0 then return not_configured("Roadmap", "the inventory has no roadmap") end
  local rows, current, next_phase = {}, nil, nil
  for _, phase in ipairs(roadmap) do
    rows[#rows + 1] = { phase = phase.phase, name = phase.name, status = phase.status, items = #phase.items }
    if phase.status == "current" then
      current = phase
    elseif phase.status == "planned" and not next_phase then
      next_phase = phase  -- phases are in order (lab.inventory checks it)
    end
  end
  local function named(phase) return ("phase %d %s"):format(phase.phase, phase.name) end
  local summary = current and (named(current) .. " is current") or "no phase is current"
  if next_phase then summary = summary .. "; next: " .. named(next_phase) end
  return { title = "Roadmap", status = current and "ok" or "attention", summary = summary, rows = rows, notes = {} }
end

-- ---- Budget (monthly) ----------------------------------------------------------

function sections.budget()
  return not_configured("Budget", "the inventory has no budget data: review it by hand" .. cite(" (§10)"))
end

--- The daily report's sections, in order.
review.DAILY = { "inventory", "policy", "capacity", "backups", "alerts", "certificates", "jobs" }

--- Whether `name` is one of the daily report's sections.
function review.is_daily_section(name)
  for _, daily in ipairs(review.DAILY) do
    if daily == name then return true end
  end
  return false
end

-- An error as a report shows it: its first line, without the position of
-- labsh's own code that raised it ("labsh:stdlib/labsh/review.lua:204: "),
-- which tells an operator nothing; a position in their own files stays.
local function error_text(err)
  return (tostring(err):match("^[^\n]*"):gsub("^labsh:[^:]+:%d+: ", ""))
end

--- Builds a report of the sections `names` (default review.DAILY):
--- {generated, host, sections = {{name, title, status, summary, rows, notes}}}.
function review.build(opts, names)
  local report = { generated = os.date("!%Y-%m-%dT%H:%M:%SZ", opts.now), host = lab.sys.hostname(), sections = {} }
  for _, name in ipairs(names or review.DAILY) do
    local ok, section = pcall(sections[name], opts)
    if not ok then
      section = { title = name:sub(1, 1):upper() .. name:sub(2), status = "error",
                  summary = "error: " .. error_text(section), rows = {}, notes = {} }
    end
    section.name = name
    report.sections[#report.sections + 1] = section
  end
  return report
end


--- The exit status a report or review ends with (its --help states it):
--- 0 when no section is critical or failed (ok, attention, not
--- configured); 1 when one is critical (a critical backup, a P1 alert
--- firing) or could not be made (error, unknown).
review.EXIT_TEXT = "0 no section critical or failed (ok, attention, not configured); "
  .. "1 a section is critical (critical backups, a P1 alert firing) or could not be made (error, unknown); 2 usage"

function review.exit_status(report)
  for _, s in ipairs(report.sections) do
    if s.status == "critical" or s.status == "error" or s.status == "unknown" then return 1 end
  end
  return 0
end

--- Prints a report for people, under `heading`: its prose wraps at word
--- boundaries and its tables fit the terminal's width.
function review.print(report, heading)
  print(pretty.wrap(("%s: %s, %s"):format(heading, report.host, report.generated)))
  for _, s in ipairs(report.sections) do
    print()
    print(pretty.wrap(("== %s [%s]"):format(s.title, s.status)))
    print(pretty.wrap(s.summary))
    if #s.rows > 0 then print(pretty.format(s.rows, { record = "report." .. s.name })) end
    for _, note in ipairs(s.notes) do print(pretty.wrap(note, nil, "  - ")) end
  end
end

--- The options of a review cycle's script (weekly-review, monthly-review):
--- its `cycle.params` and --now.
function review.cycle_params(cycle)
  local params = { table.unpack(cycle.params or {}) }
  params[#params + 1] = { "--now", "TIME", "review as of TIME (Unix seconds or RFC 3339)", type = "time" }
  return params
end

--- Builds `cycle.sections` for `opts` (the script's options), ticks off
--- `cycle.checklist` ({item, section}, no section for a person's task:
--- "by hand"), prints it all (as JSON under --format json) and exits.
function review.report_cycle(opts, cycle)
  opts.now, opts.certs = opts.now or os.time(), {}
  local report = review.build(opts, cycle.sections)
  local by = {}
  for _, s in ipairs(report.sections) do by[s.name] = s end
  report.checklist = {}
  for _, item in ipairs(cycle.checklist) do
    report.checklist[#report.checklist + 1] = {
      item = item[1], section = item[2] or lab.json.null,
      status = item[2] and by[item[2]].status or "by hand",
    }
  end
  if lab.options.format == "json" then
    print(lab.json.encode(report, { sort_keys = true }))
  else
    print(("Checklist (%s%s):"):format(cite("§12, "), cycle.period))
    for _, c in ipairs(report.checklist) do
      local item = c.item .. (c.section ~= lab.json.null and (" (see " .. c.section .. ")") or "")
      print(pretty.wrap(item, nil, ("  [%s] "):format(c.status)))
    end
    print()
    review.print(report, cycle.period:sub(1, 1):upper() .. cycle.period:sub(2) .. " review")
  end
  os.exit(review.exit_status(report), true)
end

--- Runs a review cycle of plan §12 as a script: parses `args` as the
--- script PERIOD-review (`cycle.summary`, review.cycle_params) and reports
--- it (review.report_cycle).
function review.run_cycle(args, cycle)
  local opts = cli.parse(args, { name = cycle.period .. "-review", summary = cycle.summary,
                                 params = review.cycle_params(cycle), formats = { "text", "json" },
                                 exit = review.EXIT_TEXT })
  review.report_cycle(opts, cycle)
end

return review
