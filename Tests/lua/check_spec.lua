-- lab.check: Monitoring Plugins output, thresholds at their edges, and
-- labsh -m check-backups run as a child process for its output and exit code.

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-check-spec")

local run = run_labsh

test("ranges alert exactly as the guidelines define them, ends included", function()
  local cases = {
    -- range, value, alerts
    { "10", -0.001, true }, { "10", 0, false }, { "10", 10, false }, { "10", 10.001, true },
    { "10:", 9.999, true }, { "10:", 10, false }, { "10:", 1e9, false },
    { "~:10", -1e9, false }, { "~:10", 10, false }, { "~:10", 10.5, true },
    { "10:20", 9, true }, { "10:20", 10, false }, { "10:20", 20, false }, { "10:20", 21, true },
    { "@10:20", 9.9, false }, { "@10:20", 10, true }, { "@10:20", 20, true }, { "@10:20", 20.1, false },
    { 5, 6, true }, { "-5:-1", -3, false }, { "-5:-1", 0, true },
  }
  for _, c in ipairs(cases) do
    assert_eq(lab.check.range(c[1]).alerts(c[2]), c[3], ("range %s, value %s"):format(c[1], c[2]))
  end
  for _, bad in ipairs { "", "x", "20:10", "@", "1:2:3" } do
    assert(not pcall(lab.check.range, bad), "refused: " .. bad)
  end
end)

test("status, line and perfdata", function()
  assert_eq(lab.check.status(5, "10", "20"), "OK")
  assert_eq(lab.check.status(15, "10", "20"), "WARNING")
  assert_eq(lab.check.status(25, "10", "20"), "CRITICAL")
  local line, code = lab.check.result { name = "DISK", value = 93.5, unit = "%", warn = "80", crit = "90", min = 0, max = 100,
                                        text = "93.5% used" }
  assert_eq(line, "DISK CRITICAL: 93.5% used | 'disk'=93.5%;80;90;0;100")
  assert_eq(code, 2)
  line, code = lab.check.result { name = "X", status = "OK", text = "fine",
                                  perfdata = { { label = "it's", value = 3, unit = "c" } } }
  assert_eq(line, "X OK: fine | 'it''s'=3c")
  assert_eq(code, 0)
  assert_eq(select(2, lab.check.result { name = "NONE" }), 3, "no value, no status: UNKNOWN")
end)

test("lab.check prints and exits; a script error exits 3, never 0", function()
  write_file(tmp .. "/ok.lua", [[lab.check{name = "T", value = 12, warn = "10", crit = "20"}]])
  local out, rc = run(tmp .. "/ok.lua")
  assert_eq(out, "T WARNING: 12 | 't'=12;10;20\n")
  assert_eq(rc, 1)
  write_file(tmp .. "/broken.lua", [[lab.check.guard("T", function() error("no data") end)]])
  out, rc = run(tmp .. "/broken.lua")
  assert(out:match("^T UNKNOWN: .*no data\n$"), out)
  assert_eq(rc, 3)
end)

-- The hour (UTC) of the backup's daily run: half a day from now, so the
-- last scheduled run is never within its hour of grace, whenever this runs.
local HOUR = (tonumber(os.date("!%H")) + 12) % 24

-- The built-in homelab with one daily backup in place of its own.
local function write_inventory(path)
  write_file(path, ("local inv = (function() %s end)()\n"):format(host.embedded("stdlib/labsh/homelab.lua"))
    .. ('inv.backups = { { name = "vm", resource = "VM", schedule = "0 %d * * *", retention = "30d", target = "pbs",\n'):format(HOUR)
    .. [[
                  rpo = "48h", copies = { "primary", "pbs", "s3" } } }
return inv
]])
end

-- Runs at HOUR:05 UTC on the 40 days up to the last HOUR:00 that is an
-- hour (the grace) in the past; the newest left out when `late`.
local function runs(late)
  local now = os.time()
  local fire = now - now % 86400 + HOUR * 3600
  if fire > now - 3600 then fire = fire - 86400 end
  local list = {}
  for i = late and 1 or 0, 39 do list[#list + 1] = { time = fire - i * 86400 + 300, ok = true } end
  return list
end

test("check-backups: exit code, status line and perfdata", function()
  local inv = tmp .. "/inventory.lua"
  write_inventory(inv)
  local check = ("TZ=UTC %s --inventory %s"):format(labsh, inv)
  local function run_check(args)
    local p = assert(io.popen(("%s %s 2>/dev/null; echo \"rc=$?\""):format(check, args)))
    local out = p:read("a")
    p:close()
    local text, rc = out:match("^(.-)rc=(%d+)\n$")
    return text, tonumber(rc)
  end
  write_file(tmp .. "/good.json", lab.json.encode { vm = runs(false) })
  local out, rc = run_check("-m check-backups --source " .. tmp .. "/good.json")
  assert_eq(rc, 0, out)
  assert(out:match("^BACKUPS OK: 1 OK | 'vm age'=%d+s;%d+;172800;0 'vm runs'=%d+;;;0 'vm success'=100%%;;;0;100 'vm gaps'=0;;;0\n$"), out)

  write_file(tmp .. "/late.json", lab.json.encode { vm = runs(true) })
  out, rc = run_check("-m check-backups --source " .. tmp .. "/late.json")
  assert_eq(rc, 1, out)
  assert(out:match("^BACKUPS WARNING: 1 WARNING; vm: late: newest good backup is 1d "), out)

  out, rc = run_check("-m check-backups")
  assert_eq(rc, 3, "no source: nothing is known")
  assert(out:match("^BACKUPS UNKNOWN: 1 UNKNOWN; vm: no history for it in the source"), out)

  out, rc = run_check("-m check-backups --source " .. tmp .. "/missing.json")
  assert_eq(rc, 3, "an error is UNKNOWN, never OK")
  assert(out:match("^BACKUPS UNKNOWN: .*missing.json"), out)

  out, rc = run_check("--format json -m check-backups --source " .. tmp .. "/good.json")
  assert_eq(rc, 0)
  local rows = lab.json.decode(out)
  assert_eq(rows[1].name, "vm")
  assert_eq(rows[1].status, "OK")
  assert_eq(rows[1].copies, 3)
  assert_eq(rows[1].gaps, 0)
end)

test("check-backups reads a real restic repository's snapshots by tag", function()
  local inv = tmp .. "/inventory.lua"
  write_inventory(inv)
  local repo = tmp .. "/repo"
  local env = ("RESTIC_PASSWORD=spec RESTIC_CACHE_DIR=%s/cache TZ=UTC"):format(tmp)
  local function sh(command)
    local ok = os.execute(("%s %s >/dev/null 2>&1"):format(env, command))
    assert(ok, command)
  end
  sh(("restic init --repo %s"):format(repo))
  write_file(tmp .. "/data.txt", "backed up\n")
  local list = runs(false)
  for i = 1, 3 do  -- the three newest runs, as snapshots tagged "vm"
    sh(("restic backup --repo %s --tag vm --time %q %s"):format(repo, os.date("!%Y-%m-%d %H:%M:%S", list[i].time),
                                                              tmp .. "/data.txt"))
  end
  local p = assert(io.popen(("%s %s --inventory %s -m check-backups restic %s 2>&1; echo \"rc=$?\""):format(
    env, labsh, inv, repo)))
  local out = p:read("a")
  p:close()
  assert(out:match("^BACKUPS OK: 1 OK | 'vm age'=%d+s;%d+;172800;0 'vm runs'=3;;;0 "), out)
  assert(out:match("rc=0\n$"), out)
end)
