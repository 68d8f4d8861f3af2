-- gen: write configuration files generated from the inventory.
--
--   labsh -m gen bind    [--out DIR] [--serial N]
--   labsh -m gen openwrt [--out DIR]
--   labsh -m gen ansible [--out DIR]
--   labsh -m gen prometheus-rules [--out DIR]
--   labsh -m gen alertmanager [--out DIR]
--   labsh -m gen blackbox --out DIR [--exporter HOST:PORT] [--ca-file PATH]
--   labsh --inventory FILE -m gen ...        another inventory
--   labsh --dry-run -m gen ...               say what would change, write nothing
--   labsh -m gen TARGET --out DIR --check     the drift check: compare, write nothing
--
-- bind      BIND9 zone files, one per zone, named db.ZONE: the forward zone of
--           the site's domain and a reverse zone per VLAN subnet and upstream.
-- openwrt   "network" and "firewall", for the gateway's /etc/config/.
-- ansible   "inventory.yml": hosts and groups for ansible-playbook -i.
-- prometheus-rules
--           "labsh-alerts.rules.yml": the inventory's alert catalogue as
--           alerting rules, one group per severity (promtool check rules).
-- alertmanager
--           "alertmanager.yml": a routing tree per severity (P1 page, P2 chat,
--           P3 ticket, P4 daily digest) to the inventory's alerting receivers
--           (amtool check-config).
-- blackbox  "blackbox.yml": blackbox_exporter's modules for the inventory's
--           service probes (HTTP status and TLS, TCP, DNS, ICMP), and
--           "prometheus-blackbox.yml": a scrape job per probe kind
--           (blackbox-http, -tcp, -dns, -icmp) reading file_sd targets from
--           "blackbox-targets-KIND.yml" beside it, each labelled service, tier
--           and vlan. --exporter is where Prometheus reaches the exporter
--           (127.0.0.1:9115); --ca-file the CA that HTTPS probes trust.
--
-- Files go to DIR (an error names it when it does not exist); nothing is printed to
-- stdout but one line per file. Without --out, a target that makes one file
-- (ansible, prometheus-rules, alertmanager) prints it on stdout and writes
-- nothing; one that makes several (bind, openwrt) is refused (exit 2): files
-- never land in the current directory by surprise.
--
-- Writing is atomic: each file is written to a temporary file in DIR, flushed,
-- closed and renamed over the old one, so a reader (named, netifd) sees the old
-- file or the new one, never half of one. On any failure the temporary file is
-- removed, the old file is left as it was, the error goes to stderr and the
-- exit status is 1; files written before the failure stay written. A file whose
-- content would not change is not touched.
--
-- Zone serials: a zone that changes gets serial YYYYMMDD01 for today, or its
-- old serial + 1 if that is higher (a second change on one day), so secondaries
-- always see it grow. A zone that does not change keeps its file and serial.
-- --serial N gives every zone serial N instead (for reproducible output).
--
-- --check is the drift check: each file in DIR is compared with what the
-- inventory generates now ("same FILE" or "drift FILE", a missing file is
-- drift), nothing is written, and the verdict is published for Prometheus as
-- labsh_check_status{check="config-drift"} (2 on drift, which fires the
-- catalogue's config-drift rule; 0 when all agree) through the textfile
-- collector or the Pushgateway, as the inventory's monitoring section says.
-- A zone whose serial alone differs is not drift. Exit 1 on drift.
--
-- Exit status: 0 done (no drift), 1 a generator or a write failed or drift
-- found, 2 bad usage.

local files = require "labsh.files"

local TARGETS = { "bind", "openwrt", "ansible", "prometheus-rules", "alertmanager", "blackbox" }

local function fail(message)
  io.stderr:write("gen: ", tostring(message), "\n")
  os.exit(1)
end

-- The usage errors cli.parse cannot see: options that go together.
local function check_arguments(ctx, args)
  if args.out == "" then ctx:usage_error("--out needs a directory") end
  if args.check and not args.out then ctx:usage_error("--check needs --out DIR: the files to compare") end
  if args.serial and args.target ~= "bind" then ctx:usage_error("--serial is for bind only") end
  if (args.exporter or args.ca_file) and args.target ~= "blackbox" then
    ctx:usage_error("--exporter and --ca-file are for blackbox only")
  end
  return args
end

----------------------------------------------------------------------------
-- Files

local read_file, write_atomically = files.read, files.write_atomically

-- This run's, set by run: the script's context (for usage errors), where
-- files go (nil: stdout) and the target's name, for messages; checking:
-- compare with DIR instead of writing (--check).
local script, out_dir, target_name, checking

local function path_in(dir, file)
  dir = dir or "."
  return dir:sub(-1) == "/" and dir .. file or dir .. "/" .. file
end

--- The drift check: each file against DIR, the verdict published.
local function check_drift(files)
  local drift = 0
  for _, file in ipairs(files) do
    if read_file(file.path) == file.text then
      print("same " .. file.path)
    else
      drift = drift + 1
      print("drift " .. file.path)
    end
  end
  require("labsh.check_status").publish("config-drift", drift > 0 and "CRITICAL" or "OK")
  if drift > 0 then os.exit(1) end
end

--- Writes each { path =, text =, note = } that differs from what is on disk;
--- without --out, the one file's text goes to stdout.
local function write_all(files)
  if not out_dir then
    if #files ~= 1 then
      script:usage_error(("%s makes %d files: give --out DIR"):format(target_name, #files))
    end
    io.stdout:write(files[1].text)
    return
  end
  if checking then return check_drift(files) end
  for _, file in ipairs(files) do
    local note = file.note and (" (" .. file.note .. ")") or ""
    local old = read_file(file.path)
    if old == file.text then
      print("unchanged " .. file.path)
    elseif lab.options.dry_run then
      print("would write " .. file.path .. note)
    else
      local ok, err = write_atomically(file.path, file.text)
      if not ok then
        fail(("cannot write %s: %s%s"):format(file.path, err, old and "; the old file is unchanged" or ""))
      end
      print("wrote " .. file.path .. note)
    end
  end
end

----------------------------------------------------------------------------
-- Targets

local function generate(fn, opts)
  local ok, result = pcall(fn, opts)
  if not ok then
    -- a drift check that cannot generate must not look like "no drift"
    if checking then require("labsh.check_status").publish("config-drift", "UNKNOWN") end
    fail(result)
  end
  return result
end

-- The serial of a zone file's SOA, and its text with the serial blanked, so
-- two versions compare equal when only the serial differs.
local SERIAL = "(%d+)(%s*; serial\n)"
local function serial_of(text)
  local serial = text and text:match(SERIAL)
  return serial and math.tointeger(tonumber(serial))
end
local function without_serial(text)
  return (text:gsub(SERIAL, "SERIAL%2", 1))
end

local targets = {}

function targets.bind(args)
  if args.serial then
    local files = {}
    for _, zone in ipairs(generate(lab.gen.bind, { serial = args.serial })) do
      files[#files + 1] = { path = path_in(args.out, zone.file), text = zone.text, note = "serial " .. args.serial }
    end
    return write_all(files)
  end
  local today = math.tointeger(tonumber(os.date("%Y%m%d") .. "01"))
  local zones = generate(lab.gen.bind, { serial = today })
  -- Zones that need a serial other than today's, generated again with it.
  local by_serial = { [today] = zones }
  local files = {}
  for i, zone in ipairs(zones) do
    local path = path_in(args.out, zone.file)
    local old = args.out and read_file(path)  -- without --out nothing is there to compare with
    local serial = today
    if old and without_serial(old) == without_serial(zone.text) then
      serial = serial_of(old) or today         -- unchanged: keep it as it is
    elseif serial_of(old) and serial_of(old) >= today then
      serial = serial_of(old) + 1              -- changed again today
    end
    by_serial[serial] = by_serial[serial] or generate(lab.gen.bind, { serial = serial })
    files[i] = { path = path, text = by_serial[serial][i].text, note = "serial " .. serial }
  end
  return write_all(files)
end

function targets.ansible(args)
  return write_all {
    { path = path_in(args.out, "inventory.yml"), text = generate(lab.ansible.export) },
  }
end

function targets.openwrt(args)
  local config = generate(lab.gen.openwrt)
  return write_all {
    { path = path_in(args.out, "network"), text = config.network },
    { path = path_in(args.out, "firewall"), text = config.firewall },
  }
end

targets["prometheus-rules"] = function(args)
  return write_all {
    { path = path_in(args.out, "labsh-alerts.rules.yml"), text = generate(lab.gen.prometheus_rules) },
  }
end

function targets.alertmanager(args)
  return write_all {
    { path = path_in(args.out, "alertmanager.yml"), text = generate(lab.gen.alertmanager) },
  }
end

function targets.blackbox(args)
  local files = {}
  for i, file in ipairs(generate(lab.gen.blackbox, { exporter = args.exporter, ca_file = args.ca_file })) do
    files[i] = { path = path_in(args.out, file.file), text = file.text }
  end
  return write_all(files)
end

----------------------------------------------------------------------------

return labsh.script {
  name = "gen",
  description = "write configuration files generated from the inventory (BIND, OpenWrt, Ansible, Prometheus, Alertmanager, blackbox_exporter)",
  args = { { "TARGET", table.concat(TARGETS, ", "), key = "target", required = true, choices = TARGETS } },
  params = {
    { "--out", "DIR", "write the files into DIR; without it one file goes to stdout" },
    { "--serial", "N", "bind: every zone gets serial N (reproducible output)", type = "count" },
    { "--exporter", "HOST:PORT", "blackbox: where Prometheus reaches blackbox_exporter" },
    { "--ca-file", "PATH", "blackbox: the CA bundle HTTPS probes verify with" },
    { "--check", nil, "compare DIR with what would be generated (drift check), write nothing" },
  },
  exit = "0 done, 1 a generator or a write failed or drift found, 2 usage",
  requires = {
    -- the files there now, and the new ones; the drift check's textfile
    files = { read = { "option:--out" }, write = { "option:--out", "monitoring:textfile_dir" } },
    net = { "monitoring:pushgateway" },       -- where the drift check's verdict is published
    secrets = { "monitoring:pushgateway" },
    mutation = true,                          -- writing them, publishing the verdict
  },
  run = function(ctx, args)
    check_arguments(ctx, args)
    script, out_dir, target_name, checking = ctx, args.out, args.target, args.check
    targets[args.target](args)
  end,
}
