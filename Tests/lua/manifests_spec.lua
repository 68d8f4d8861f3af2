-- Every shipped script and playbook carries its manifest, and declares no
-- more and no less than it uses (issue 20): each is run in check mode
-- (--dry-run) on the built-in homelab, its monitoring endpoints and Proxmox
-- VE pointed at the loopback test servers (Tests/run-with-servers.sh), with
-- LABSH_CAPABILITY_TRACE on. The trace must show a manifest, no refusal
-- ("no less") and every declared entry used at least once over the
-- script's runs ("no more"), but for the entries EXCEPTIONS names with the
-- reason check mode cannot exercise them. Nothing here reaches an address
-- outside 127.0.0.0/8: the homelab's own addresses are data.

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local root = os.getenv("LABSH_ROOT") or "."
local monitoring = dofile(root .. "/Tests/lua/monitoring_support.lua")
local pve = dofile(root .. "/Tests/lua/pve_support.lua")

local scratch = temp_dir()

-- The built-in homelab, its monitoring and Proxmox VE on the test servers;
-- the endpoints carry secret references so the manifests' `secrets` are used.
-- In a directory of its own: the inventory's directory is read freely,
-- the files the runs are given must not be.
local function inventory_file()
  require("labsh.filesystem").make_directories(scratch .. "/inventory")
  local path = scratch .. "/inventory/inventory.lua"
  write_file(path, ("local inv = (function() %s end)()\n"):format(require("labsh.host").embedded("stdlib/labsh/homelab.lua"))
    .. ("inv.monitoring = { prometheus = { url = %q, bearer = %q }, alertmanager = { url = %q, bearer = %q },"
      .. " pushgateway = { url = %q, bearer = %q } }\n"):format(
      monitoring.server("PROMETHEUS"), "env:LABSH_MANIFESTS_TOKEN", monitoring.server("ALERTMANAGER"),
      "env:LABSH_MANIFESTS_TOKEN", monitoring.server("PUSHGATEWAY"), "env:LABSH_MANIFESTS_TOKEN")
    .. ("inv.proxmox = { urls = { { url = %q, fingerprint = %q } }, token = %q }\n"):format(
      pve.env("URL"), pve.env("FINGERPRINT"), "env:LABSH_TEST_PVE_TOKEN")
    .. "return inv\n")
  return path
end

-- Each shipped script's runs: argument lists (the words after -m NAME),
-- representative of what it does, each to exit 0 (`status` when another
-- exit status is what the homelab gives). A script without a row fails the spec.
local function rows(files)
  local tls = pve.env("URL"):match("^https://([^/]+)")  -- a TLS endpoint on loopback
  return {
    slo = { {}, { "--prometheus", monitoring.server("PROMETHEUS"), "--window", "7d" } },
    -- the test Prometheus has none of the catalogue's rules: the alerts are unknown, exit 1
    report = { { status = 1 }, { "--backups", files.runs, "--cert", tls, "--section", "backups", "--section", "certificates" } },
    ["weekly-review"] = { { "--backups", files.runs, status = 1 } },
    ["monthly-review"] = { {} },
    -- a check's verdict on the homelab's backups: WARNING from one run each, UNKNOWN from untagged snapshots
    ["check-backups"] = { { "--source", files.runs, status = 1 },
      { "restic", files.repo, "--password", "file:" .. files.password, status = 3 } },
    ["node-drain"] = { { files.node } },
    pve = { { "status" }, { "drift" }, { "help", "/cluster/status" }, { "trust", pve.env("URL"), "--yes" } },
    ["backup-drill"] = { { files.repo, "--password", "file:" .. files.password, "--restic", "restic" },
      { "--guest", files.guest }, { "--if-configured" } },
    ["backup-restore"] = { { "--guest", files.guest },
      { "--repo", files.repo, "--target", scratch .. "/restored", "--password", "file:" .. files.password } },
    -- the built-in homelab gives no ssh access: the playbook's check mode contacts no host
    ["patch-window"] = { { "--playbook", "dist-upgrade", "--nodes", files.node } },
  }
end

-- Declared entries a check-mode run on the built-in homelab cannot
-- exercise: { script, kind, entry, why }.
local EXCEPTIONS = {}
-- A check publishes its verdict (labsh.check_status): a mutation, which
-- check mode only says it would make.
for _, script in ipairs { "slo", "check-backups", "backup-drill" } do
  local why = "publishing the verdict is a mutation; check mode only says it would"
  EXCEPTIONS[#EXCEPTIONS + 1] = { script, "mutation", "true", why }
  EXCEPTIONS[#EXCEPTIONS + 1] = { script, "net", "monitoring:pushgateway", why }
  EXCEPTIONS[#EXCEPTIONS + 1] = { script, "secrets", "monitoring:pushgateway", why }
  EXCEPTIONS[#EXCEPTIONS + 1] = { script, "files.write", "monitoring:textfile_dir", why }
end
-- A runbook's changes, and the silence it sets while it runs, are made
-- only outside check mode.
for _, runbook in ipairs { "node-drain", "patch-window" } do
  for _, e in ipairs { { "proxmox", "VM.Migrate" }, { "net", "monitoring:alertmanager" },
                       { "secrets", "monitoring:alertmanager" }, { "mutation", "true" } } do
    EXCEPTIONS[#EXCEPTIONS + 1] = { runbook, e[1], e[2], "a runbook's change (and its silence) is made outside check mode only" }
  end
end
EXCEPTIONS[#EXCEPTIONS + 1] = { "patch-window", "proxmox", "Sys.PowerMgmt", "the reboot is made outside check mode only" }

for _, e in ipairs { { "proxmox", "VM.PowerMgmt" }, { "proxmox", "VM.Audit" }, { "proxmox", "VM.Allocate" },
                     { "proxmox", "*" }, { "commands", "find" } } do
  EXCEPTIONS[#EXCEPTIONS + 1] = { "backup-drill", e[1], e[2],
    "a drill's restore, start, check and cleanup (and comparing the restored tree) run outside check mode only" }
end
for _, e in ipairs { { "commands", "restic" }, { "commands", "find" }, { "secrets", "option:--password" },
                     { "secrets", "env:RESTIC_PASSWORD" }, { "files.write", "option:--target" },
                     { "proxmox", "VM.PowerMgmt" }, { "proxmox", "VM.Audit" }, { "proxmox", "VM.Allocate" },
                     { "proxmox", "*" }, { "mutation", "true" } } do
  EXCEPTIONS[#EXCEPTIONS + 1] = { "backup-restore", e[1], e[2],
    "a restore's steps (restic's check and restore, the guest's restore and start) run outside check mode only" }
end
EXCEPTIONS[#EXCEPTIONS + 1] = { "patch-window", "commands", "ansible-playbook",
  "an Ansible playbook's check mode would reach the homelab's own addresses; the spec runs a labsh playbook" }

--- The trace's events, decoded.
local function read_trace(path)
  local events = {}
  for line in (read_file(path) or ""):gmatch("[^\n]+") do events[#events + 1] = lab.json.decode(line) end
  return events
end

--- What is wrong with `script`'s manifest by its trace `events` (all its
--- runs): a list of sentences, empty when it declares no more and no less
--- than it uses. `excepted[kind .. " " .. entry]` are left out of "no more".
local function problems(script, events, excepted)
  local found, declared, used = {}, {}, {}
  local manifest = false
  for _, e in ipairs(events) do
    if e.script ~= script then  -- a child labsh it ran (a playbook) traces its own manifest
    elseif e.event == "manifest" then manifest = true
    elseif e.event == "declared" then declared[#declared + 1] = e.kind .. " " .. e.entry
    elseif e.event == "used" then used[e.kind .. " " .. e.entry] = true
    elseif e.event == "refused" then
      found[#found + 1] = ("%s: refused %s '%s' (%s): declare it"):format(script, e.kind, e.target, e.reason)
    end
  end
  if not manifest then found[#found + 1] = script .. ": declares no manifest (return labsh.script { ... })" end
  local seen = {}
  for _, entry in ipairs(declared) do
    if not used[entry] and not excepted[entry] and not seen[entry] then
      found[#found + 1] = ("%s: declares %s but never used it: drop it, or name the exception and why"):format(script, entry)
    end
    seen[entry] = true
  end
  return found
end

-- Runs `labsh --dry-run -m NAME args...` with the trace going to `trace`.
local function run(name, args, trace, env)
  local argv = { labsh, "--dry-run", "--inventory", scratch .. "/inventory/inventory.lua", "-m", name }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  local vars = { LABSH_CAPABILITY_TRACE = trace, LABSH_MANIFESTS_TOKEN = "not-checked-by-the-test-servers", LABSH_STATE_DIR = scratch .. "/state", HOME = scratch .. "/home",
                 XDG_CONFIG_HOME = scratch .. "/config", XDG_DATA_HOME = scratch .. "/data" }
  for k, v in pairs(env or {}) do vars[k] = v end
  return lab.process.run { argv = argv, env = vars, timeout = 120, read_only = true }
end

-- Scripts that run the operator's own code in their own process, which a
-- manifest of labsh's would limit to what labsh wrote: they carry none, and
-- the spec checks that they do not.
local WITHOUT_MANIFEST = {
  jobs = "loads the operator's job files and runs a function job's code in-process (each other job runs"
    .. " in a labsh of its own, under its script's manifest)",
  test = "runs a library's specs in-process, which reach what the specs reach",
}

-- Scripts not converted to labsh.script yet: reported, not failed.
local UNCONVERTED = {
  audit = true, capacity = true,
  ["certificate-renewal"] = true, demo = true, gen = true, inventory = true, library = true,
  lint = true, ["node-failure"] = true,
}

local function names_in(dir)
  local out = assert(run_shell(("ls %s/*.lua"):format(dir)))
  local names = {}
  for path in out:gmatch("[^\n]+") do names[#names + 1] = path:match("([^/]+)%.lua$") end
  return names
end

local function excepted_for(script)
  local set = {}
  for _, e in ipairs(EXCEPTIONS) do
    if e[1] == script then set[e[2] .. " " .. e[3]] = true end
  end
  return set
end

-- The files the runs read: backup runs of each of the homelab's backups,
-- a restic repository and its password file.
local function inputs()
  local files = { runs = scratch .. "/runs.json", repo = scratch .. "/restic", password = scratch .. "/restic-password" }
  local runs = {}
  for _, b in ipairs(lab.inventory.current().backups or {}) do runs[b.name] = { { time = os.time() - 3600, ok = true } } end
  write_file(files.runs, lab.json.encode(runs))
  files.guest = lab.inventory.current().guests[1].name  -- the simulator's cluster runs the homelab's guests
  for _, node in ipairs(lab.inventory.current().nodes) do  -- a Proxmox VE node of the homelab
    if node.cluster and not files.node then files.node = node.name end
  end
  write_file(files.password, "manifests\n")
  local out, rc = run_shell(("restic init --repo %s --password-file %s 2>&1"):format(files.repo, files.password))
  assert_eq(rc, 0, out)
  write_file(scratch .. "/runs.json.copy", "a file to back up\n")  -- one snapshot to drill
  out, rc = run_shell(("restic backup --repo %s --password-file %s %s 2>&1"):format(files.repo, files.password,
    scratch .. "/runs.json.copy"))
  assert_eq(rc, 0, out)
  return files
end

test("every shipped script declares no more and no less than it uses in check mode", function()
  inventory_file()
  pve.reset()
  local all_rows = rows(inputs())
  local wrong = {}
  for _, name in ipairs(names_in(root .. "/scripts")) do
    local runs = all_rows[name]
    if WITHOUT_MANIFEST[name] then
      local r = run(name, { "--help" }, scratch .. "/trace-" .. name .. ".jsonl")
      assert_eq(r.status, 0, r.stderr)
      local declared = false
      for _, e in ipairs(read_trace(scratch .. "/trace-" .. name .. ".jsonl")) do declared = declared or e.event == "manifest" end
      if declared then
        wrong[#wrong + 1] = name .. ": declares a manifest, but WITHOUT_MANIFEST says why it has none: which is it?"
      end
    elseif UNCONVERTED[name] then
      io.stderr:write("manifests_spec: not converted yet: ", name, "\n")
    elseif not runs then
      wrong[#wrong + 1] = name .. ": no row in manifests_spec (add its representative runs)"
    else
      local trace = scratch .. "/trace-" .. name .. ".jsonl"
      for _, args in ipairs(runs) do
        local r = run(name, args, trace)
        local log = assert(io.open(scratch .. "/" .. name .. ".log", "a"))  -- for whoever reads a failure
        log:write("$ ", table.concat(args, " "), "\nexit ", tostring(r.status), "\n", r.stdout, r.stderr, "\n")
        log:close()
        if r.status ~= (args.status or 0) or r.stderr:find("not capable:", 1, true) then
          wrong[#wrong + 1] = ("%s %s: exit %s: %s"):format(name, table.concat(args, " "), tostring(r.status), r.stderr)
        end
      end
      for _, p in ipairs(problems(name, read_trace(trace), excepted_for(name))) do wrong[#wrong + 1] = p end
    end
  end
  assert(#wrong == 0, table.concat(wrong, "\n") .. "\n(the traces are in " .. scratch .. ")")
end)

test("labsh's own classes, callable modules and data work under a manifest", function()
  -- freezing labsh's libraries once moved what Lua reads raw out of reach:
  -- an endpoint's methods (its metatable was the module), lab.restic's
  -- __call, the built-in homelab as the model's validator reads it
  local path = scratch .. "/classes.lua"
  write_file(path, [[
return labsh.script {
  name = "classes", description = "uses labsh's classes", requires = {},
  run = function()
    print(tostring(lab.restic("/nonexistent/repository")))
    print(lab.prom.connect { url = "http://127.0.0.1:9" }.endpoint:url("/api"))
    print(lab.inventory.model() ~= nil)
  end,
}
]])
  local out, rc = run_shell(("LABSH_STATE_DIR=%s/state %s %s 2>&1"):format(scratch, labsh, path))
  assert_eq(rc, 0, out)
  assert_eq(out, "lab.ResticRepository: /nonexistent/repository\nhttp://127.0.0.1:9/api\ntrue\n")
end)
