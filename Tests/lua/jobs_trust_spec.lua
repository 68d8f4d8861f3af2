-- lab.job under attack (issue 13: findings 2, 4, 5, 7; issue 14: finding 7):
-- a killed recorder, a slow inventory, hostile job fields, --dry-run after
-- -m, and one endless output line. Every run is a real child labsh with its
-- own state directory and job files.

local filesystem = require "labsh.filesystem"
local os_ = require "labsh.os"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-jobs-trust")
local state = tmp .. "/state"

local function exists(path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

local function wait_for(what, check, seconds)
  local deadline = lab.sys.monotonic() + (seconds or 20)
  while not check() do
    if lab.sys.monotonic() > deadline then error("never happened: " .. what, 2) end
    os_.sleep(0.02)
  end
end

-- A directory for the script path holding jobs/NAME.lua with `source`.
local function job_path(name, source)
  local dir = tmp .. "/" .. name
  filesystem.make_directories(dir .. "/jobs")
  write_file(dir .. "/jobs/" .. name .. ".lua", source)
  return dir
end

-- The script path of a child labsh: the job files' directory.
local function search_path(path) return path end

local function env_for(path, extra)
  -- the system in the zone of the built-in homelab: crontab lines are written directly
  local env = { LABSH_PATH = search_path(path), LABSH_STATE_DIR = state, TZ = "Europe/Berlin" }
  for k, v in pairs(extra or {}) do env[k] = v end
  return env
end

local function labsh_run(path, args, opts)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  opts = opts or {}
  return lab.process.run { argv = argv, env = env_for(path, opts.env), timeout = opts.timeout or 60,
                           max_output = 1 << 20 }
end

local function history(path, name)
  local r = labsh_run(path, { "--format", "json", "-m", "jobs", "history", name, "--limit", "50" })
  assert_eq(r.status, 0, r.stderr)
  return lab.json.decode(r.stdout).runs
end

-- ---- 13.7: kill -9 of the recording labsh ---------------------------------

test("kill -9 of `jobs run`: no second run while its child lives; history says killed, not crashed", function()
  local marks = tmp .. "/guarded-marks"
  filesystem.make_directories(marks)
  -- The work: a program that ignores SIGTERM, so the child labsh lives on
  -- for its stop's grace (2 s) after the parent dies.
  local path = job_path("guarded", ([[
local marks = %q
lab.job { name = "guarded", run = function()
  local f = assert(io.open(marks .. "/child.pid", "w")); f:write(lab.sys.pid()); f:close()
  if io.open(marks .. "/quick") then return end
  lab.process.run { argv = { "sh", "-c", "trap '' TERM; echo started > " .. marks .. "/started; sleep 8" } }
  f = assert(io.open(marks .. "/finished", "w")); f:close()
end }
]]):format(marks))
  local parent_pid_file = marks .. "/parent.pid"
  os.execute(("LABSH_PATH=%s LABSH_STATE_DIR=%s %s -m jobs run guarded >/dev/null 2>&1 & echo $! > %s")
    :format(search_path(path), state, labsh, parent_pid_file))
  wait_for("the job's program started", function() return exists(marks .. "/started") end)
  local parent = assert(tonumber(read_file(parent_pid_file):match("%d+")))
  local child = assert(tonumber(read_file(marks .. "/child.pid"):match("%d+")))
  assert(os_.kill(parent, 9), "kill -9 failed")

  local again = labsh_run(path, { "-m", "jobs", "run", "guarded" })
  local child_alive_after = os_.alive(child)
  -- Only meaningful while the first run's child is alive (it is, for ~2 s).
  if child_alive_after then
    assert_eq(again.status, 0, again.stderr)
    assert(again.stdout:find("skipped", 1, true), "a second run started beside the first: " .. again.stdout)
  end
  -- The child dies with its parent: it never finishes the work.
  wait_for("the first run's child to end", function() return not os_.alive(child) end, 15)
  assert(not exists(marks .. "/finished"), "the first run's child outlived its parent and finished")

  local runs = history(path, "guarded")
  local first = runs[#runs]
  assert_eq(first.status, "killed", first.output)
  assert(first.output:find("was killed", 1, true), first.output)
  for _, r in ipairs(runs) do assert(r.status ~= "crashed" and r.status ~= "running", r.status) end

  -- Now nothing of the first run is left: the next run proceeds.
  write_file(marks .. "/quick", "")
  local third = labsh_run(path, { "-m", "jobs", "run", "guarded" })
  assert_eq(third.status, 0, third.stderr)
  assert(not third.stdout:find("skipped", 1, true), third.stdout)
  assert_eq(history(path, "guarded")[1].status, "ok")
end)

test("a job's child holds the job's lock (inherited fd 3) and gets LABSH_PARENT_DEATH_SIGNAL no further", function()
  local marks = tmp .. "/fd-marks"
  filesystem.make_directories(marks)
  local path = job_path("holder", ([[
lab.job { name = "holder", run = function()
  local f = assert(io.open(%q, "w"))
  f:write(tostring(os.getenv("LABSH_PARENT_DEATH_SIGNAL")), "\n")
  local p = io.popen("readlink /proc/" .. lab.sys.pid() .. "/fd/3")
  f:write(p:read("a")); p:close(); f:close()
end }
]]):format(marks .. "/seen"))
  local r = labsh_run(path, { "-m", "jobs", "run", "holder" })
  assert_eq(r.status, 0, r.stderr)
  local seen = read_file(marks .. "/seen")
  assert(seen:find("^nil\n"), seen)  -- removed at start: the job's own programs do not see it
  assert(seen:find(state .. "/jobs/holder.lock", 1, true), seen)
end)

-- ---- 13.2: run-due loads the inventory before its lock ---------------------

test("run-due does not hold its lock while the inventory and job files load", function()
  local gate_dir = tmp .. "/slow-marks"
  filesystem.make_directories(gate_dir)
  -- A job file that takes as long as the test wants (like a slow inventory).
  local slow = job_path("slowload", ([[
local marks = %q
local f = assert(io.open(marks .. "/loading", "w")); f:close()
local deadline = lab.sys.monotonic() + 60
while not io.open(marks .. "/release") and lab.sys.monotonic() < deadline do require("labsh.os").sleep(0.02) end
lab.job { name = "slowload", schedule = "* * * * *", run = function() end }
]]):format(gate_dir))
  local quick = job_path("quickdue", 'lab.job { name = "quickdue", run = function() end }\n')
  os.execute(("LABSH_PATH=%s LABSH_STATE_DIR=%s %s -m jobs run-due >/dev/null 2>&1 & echo $! > %s/pid")
    :format(search_path(slow), state, labsh, gate_dir))
  wait_for("the slow run-due to load its jobs", function() return exists(gate_dir .. "/loading") end)

  local fd = filesystem.lock(state .. "/run-due.lock")
  write_file(gate_dir .. "/release", "")  -- whatever happens next, the slow one may go on
  assert(fd, "run-due holds its lock while it is still loading")
  filesystem.unlock(fd)
  local r = labsh_run(quick, { "-m", "jobs", "run-due" }, { timeout = 30 })
  assert(not r.timed_out, "a second run-due waited for the first one's loading")
  assert_eq(r.status, 0, r.stderr)
  local slow_pid = assert(tonumber(read_file(gate_dir .. "/pid"):match("%d+")))
  wait_for("the slow run-due to end", function() return not os_.alive(slow_pid) end, 30)
end)

test("run-due with a broken inventory fails alone: the mark stays, the next run-due is not held up", function()
  local path = job_path("inventoried", 'lab.job { name = "inventoried", schedule = "* * * * *", run = function() end }\n')
  local mark = state .. "/run-due.last"
  write_file(mark, "1000\n")
  local broken = tmp .. "/broken-inventory.lua"
  write_file(broken, "return { nodes = ")
  local r = labsh_run(path, { "--inventory", broken, "-m", "jobs", "run-due" })
  assert(r.status ~= 0, "a broken inventory was accepted")
  assert(r.stderr:find("broken-inventory.lua", 1, true), r.stderr)
  assert_eq(read_file(mark), "1000\n")
  local fd = filesystem.lock(state .. "/run-due.lock")
  assert(fd, "the lock was left held")
  filesystem.unlock(fd)
  r = labsh_run(path, { "-m", "jobs", "run-due" }, { timeout = 30 })
  assert_eq(r.status, 0, r.stderr)
  assert(read_file(mark) ~= "1000\n", "the mark did not move")
end)

-- ---- 13.5: --dry-run after -m jobs -------------------------------------------

test("--dry-run before or after `-m jobs run NAME` and `run-due` runs nothing and says what it would run", function()
  local marker = tmp .. "/dry-marker"
  local path = job_path("drymark", ([[
lab.job { name = "drymark", schedule = "* * * * *", run = function()
  local f = assert(io.open(%q, "w")); f:write("ran"); f:close()
end }
]]):format(marker))
  for _, args in ipairs {
    { "-m", "jobs", "run", "drymark", "--dry-run" },
    { "--dry-run", "-m", "jobs", "run", "drymark" },
    { "-m", "jobs", "--dry-run", "run", "drymark" },
  } do
    local r = labsh_run(path, args)
    assert_eq(r.status, 0, r.stderr)
    assert(r.stderr:find("dry run: would run job drymark: ", 1, true), table.concat(args, " ") .. ": " .. r.stderr)
    assert(not exists(marker), table.concat(args, " ") .. " ran the job")
  end
  local mark = state .. "/run-due.last"
  write_file(mark, tostring(os.time() - 600) .. "\n")
  local before = read_file(mark)
  local r = labsh_run(path, { "-m", "jobs", "run-due", "--dry-run" })
  assert_eq(r.status, 0, r.stderr)
  assert(r.stderr:find("dry run: would run job drymark: ", 1, true), r.stderr)
  assert(not exists(marker), "run-due --dry-run ran the job")
  assert_eq(read_file(mark), before)
  -- and without --dry-run it does run (the marker is a real witness)
  r = labsh_run(path, { "-m", "jobs", "run", "drymark" })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(read_file(marker), "ran")
end)

-- ---- 14.7: output stored per run is capped in bytes ----------------------------

test("a job printing one 100 MB line stores at most 64 KiB of it, with a note of what was cut", function()
  local path = job_path("bigline", [[
lab.job { name = "bigline", run = function()
  local chunk = ("x"):rep(1 << 20)
  for _ = 1, 100 do io.write(chunk) end
  io.write(("y"):rep(1000), "\n")
end }
lab.job { name = "smallcap", max_output = 1000, run = function()
  for i = 1, 5000 do print(("line %d %s"):format(i, ("z"):rep(100))) end
end }
]])
  local r = labsh_run(path, { "-e", 'lab.job.run("bigline", { echo = false }) lab.job.run("smallcap", { echo = false })' })
  assert_eq(r.status, 0, r.stderr)
  local run = history(path, "bigline")[1]
  assert_eq(run.status, "ok")
  local note, kept = run.output:match("^(%[%.%.%. [^\n]* cut %.%.%.%])\n(.*)$")
  assert(note, run.output:sub(1, 200))
  assert(#kept <= 64 * 1024, ("stored %d bytes"):format(#kept))
  assert(kept:find(("y"):rep(1000) .. "$"), "the end of the output is kept")
  assert(note:find("MiB", 1, true), note)

  local small = history(path, "smallcap")[1]
  local small_kept = small.output:match("^%[%.%.%. [^\n]* cut %.%.%.%]\n(.*)$")
  assert(small_kept and #small_kept <= 1000, small.output)
  assert(small_kept:find("line 5000 ", 1, true), small.output)
end)

test("max_output must be a whole number of bytes", function()
  local path = job_path("badcap", 'lab.job { name = "badcap", max_output = "lots", run = function() end }\n')
  local r = labsh_run(path, { "-m", "jobs", "list" })
  assert_eq(r.status, 1)
  assert(r.stderr:find("max_output", 1, true), r.stderr)
end)

-- ---- 13.4: exported units and crontab lines cannot be injected ------------------

-- The directives of a unit file as systemd reads them: {section.key = count};
-- a line ending in an odd number of backslashes goes on to the next.
local function unit_directives(text)
  local found, section, pending = {}, nil, ""
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    line = pending .. line
    local tail = line:match("(\\*)$")
    if #tail % 2 == 1 then
      pending = line:sub(1, -2) .. " "
    else
      pending = ""
      local header = line:match("^%[(.*)%]$")
      if header then section = header
      elseif line:match("^%s*[^#;%s]") then
        local key = assert(line:match("^%s*([%w]+)%s*="), "not a directive: " .. line)
        local name = section .. "." .. key
        found[name] = (found[name] or 0) + 1
      end
    end
  end
  return found
end

-- Environment=: LABSH_PATH and LABSH_STATE_DIR of the export (env_for), carried to the run
local SERVICE_KEYS = { ["Unit.Description"] = 1, ["Service.Type"] = 1, ["Service.ExecStart"] = 1,
                       ["Service.Environment"] = 2 }
local TIMER_KEYS = { ["Unit.Description"] = 1, ["Timer.OnCalendar"] = 1, ["Timer.Persistent"] = 1,
                     ["Timer.Unit"] = 1, ["Install.WantedBy"] = 1 }

-- Hostile text: the finding's own, then seeded random strings of the
-- characters that matter to unit files, crontab and shells.
local function hostile_strings()
  local list = {
    "x\n[Service]\nExecStartPre=/bin/sh -c 'id > /tmp/p'",
    "x\r\nExecStartPre=/bin/true", "nul\0byte", "tab\there", "ends in a backslash\\", "two\\\\",
    "100% done %n %q %Z %%", "$HOME ${PATH} $$", "quotes \" and ' and `id`", "semi; colon # hash",
    "[Service]", "=", "Ünïcödé ✓", "\xff\xfe not UTF-8", ("long "):rep(20000), "",
  }
  local alphabet = { "\n", "\r", "\0", "%", "$", "\\", '"', "'", " ", "[", "]", "=", ";", "#", "\t", "\xff",
                     "é", "a", "Z", "@daily", "ExecStart=", "\27[31m" }
  math.randomseed(1307)
  for _ = 1, 12 do
    local parts = {}
    for i = 1, math.random(1, 12) do parts[i] = alphabet[math.random(#alphabet)] end
    list[#list + 1] = table.concat(parts)
  end
  return list
end

-- Exports the jobs of `source`; returns (ok, stderr, unit texts, crontab).
local function export(name, source)
  local path = job_path(name, source)
  local units = tmp .. "/" .. name .. "/units"
  local r = labsh_run(path, { "-m", "jobs", "export", "--systemd", units })
  if r.status ~= 0 then return false, r.stderr end
  local cron = labsh_run(path, { "-m", "jobs", "export", "--crontab" })
  assert_eq(cron.status, 0, cron.stderr)
  local files = {}
  for file in r.stdout:gmatch("[^\n]+") do files[#files + 1] = file end
  return true, r.stderr, files, cron.stdout
end

local function verify_units(files, why)
  local argv = { "systemd-analyze", "verify" }
  for _, f in ipairs(files) do argv[#argv + 1] = f end
  local r = lab.process.run { argv = argv, timeout = 60 }
  assert_eq(r.status, 0, why .. ": " .. r.stderr)
  assert_eq(r.stderr, "", why)
  for _, f in ipairs(files) do
    local expected = f:match("%.service$") and SERVICE_KEYS or TIMER_KEYS
    assert_same(unit_directives(read_file(f)), expected, why .. ": directives of " .. f)
  end
end

test("hostile descriptions, schedules, time zones and names: refused clearly, or units systemd accepts with no injected directive", function()
  local accepted, refused = 0, 0
  for i, text in ipairs(hostile_strings()) do
    for _, field in ipairs { "description", "schedule", "tz", "name" } do
      local spec = { name = "hostile", schedule = "*/5 * * * *", run = "demo" }
      spec[field] = text
      local source = ("lab.job { name = %q, schedule = %q, tz = %s, description = %s, run = 'demo' }\n"):format(
        spec.name, spec.schedule, spec.tz and ("%q"):format(spec.tz) or "nil",
        spec.description and ("%q"):format(spec.description) or "nil")
      local why = ("%s #%d %q"):format(field, i, text:sub(1, 60))
      local ok, stderr, files, crontab = export(("hostile%d%s"):format(i, field), source)
      if not ok then
        refused = refused + 1
        assert(stderr:find("job hostile: " .. field, 1, true) or stderr:find("job name", 1, true)
          or (field == "tz" and stderr:find("job hostile: schedule", 1, true)), why .. ": unclear refusal: " .. stderr)
        assert(not stderr:find("traceback", 1, true), why .. ": " .. stderr)
      else
        accepted = accepted + 1
        verify_units(files, why)
        local lines, built_in = {}, {}
        -- the built-in homelab's own jobs are exported beside this one
        for _, j in ipairs(require "labsh.homelab_jobs") do built_in[" -m jobs run " .. j.name] = true end
        for line in crontab:gmatch("[^\n]+") do
          if not built_in[line:match(" %-m jobs run .*$") or ""] then lines[#lines + 1] = line end
        end
        assert_eq(#lines, 2, why .. ": " .. crontab)
        assert(lines[2]:find(" %-m jobs run " .. spec.name .. "$"), why .. ": " .. lines[2])
      end
    end
  end
  assert(accepted > 5 and refused > 20, ("accepted %d, refused %d"):format(accepted, refused))
end)

test("the finding: a description that starts a [Service] section is refused", function()
  local ok, stderr = export("finding4", [[
lab.job { name = "x", schedule = "@daily", run = "demo",
          description = "x\n[Service]\nExecStartPre=/bin/sh -c 'id > /tmp/p'" }
]])
  assert(not ok)
  assert(stderr:find("description has a control character", 1, true), stderr)
  ok, stderr = export("finding4b", 'lab.job { name = "y", schedule = "@daily\\n", run = "demo" }\n')
  assert(not ok)
  assert(stderr:find("schedule has a control character", 1, true), stderr)
end)

test("printable hostile text is escaped: %, $, quotes and backslashes reach systemd and cron as written", function()
  -- labsh itself at paths full of characters that systemd and cron treat specially
  local function copy_labsh(dir)
    filesystem.make_directories(dir)
    local copied = lab.process.run { argv = { "cp", labsh, dir .. "/labsh" } }
    assert_eq(copied.status, 0, copied.stderr)
    return dir .. "/labsh"
  end
  local bin = copy_labsh(tmp .. "/bin 100% $HOME ${X} #x")
  local quoted_bin = copy_labsh(tmp .. "/bin \"q\" 'a' \\b %n")
  local witness = tmp .. "/cron-witness"
  local path = job_path("escaped", ([[
lab.job { name = "esc", schedule = "*/5 * * * *", run = function()
  local f = assert(io.open(%q, "w")); f:write("ran"); f:close()
end, description = [==[50%% off %%n $HOME ${X} "q" 'a' \ \\ end\]==] }
]]):format(witness))
  local units = tmp .. "/escaped/units"
  local r = lab.process.run { argv = { bin, "-m", "jobs", "export", "--systemd", units }, env = env_for(path) }
  assert_eq(r.status, 0, r.stderr)
  local files = {}
  for file in r.stdout:gmatch("[^\n]+") do files[#files + 1] = file end
  verify_units(files, "escaped")  -- verify also checks that ExecStart's program exists
  local service = read_file(units .. "/labsh-esc.service")
  assert(service:find("Description=labsh job esc: 50%% off %%n $HOME", 1, true), service)

  -- systemd cannot run a program whose path has a quote or a backslash: refused, naming it
  r = lab.process.run { argv = { quoted_bin, "-m", "jobs", "export", "--systemd", units .. "2" }, env = env_for(path) }
  assert_eq(r.status, 1)
  assert(r.stderr:find("systemd refuses a quote or a backslash", 1, true), r.stderr)

  -- The crontab line's command, as cron hands it to /bin/sh, runs the job.
  for _, program in ipairs { bin, quoted_bin } do
    os.remove(witness)
    r = lab.process.run { argv = { program, "-m", "jobs", "export", "--crontab" }, env = env_for(path) }
    assert_eq(r.status, 0, r.stderr)
    local line = r.stdout:match("\n(%*/5 [^\n]*)\n")
    assert(line, r.stdout)
    local command = line:match("^%S+ %S+ %S+ %S+ %S+ (.*)$")
    -- cron: \% is a %, an unescaped % would end the command
    assert(not command:gsub("\\%%", ""):find("%", 1, true), "an unescaped % in: " .. command)
    command = command:gsub("\\%%", "%%")
    r = lab.process.run { argv = { "sh", "-c", command }, env = env_for(path), timeout = 60 }
    assert_eq(r.status, 0, command .. ": " .. r.stderr)
    assert_eq(read_file(witness), "ran")
  end
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
