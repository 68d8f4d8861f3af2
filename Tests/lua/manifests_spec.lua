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
    audit = { { "tail", "-n", "5" } },
    demo = { {} },
    lint = { { status = 1 } },  -- the plan's stated totals against its nodes: findings
    -- the plan's homelab does not survive the loss of a node: guests stranded
    ["node-failure"] = { { files.node, status = 1 }, { files.node, "--model", status = 1 } },
    capacity = { {}, { "--format", "html", "--out", scratch .. "/capacity.html" }, { "--source", "live" } },
    ["certificate-renewal"] = { { "--cert", tls, "--renew", "true", status = 2 } },
    gen = { { "bind", "--out", scratch .. "/bind" }, { "prometheus-rules" },
      { "alertmanager", "--out", scratch .. "/bind", "--check", status = 1 } },  -- no such file there: drift
    inventory = { { "init" }, { "check", files.other_inventory }, { "list" }, { "graph" },
      { "host", files.node } },
    library = { { "status", files.library }, { "check", files.library } },
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
for _, script in ipairs { "slo", "check-backups", "backup-drill", "gen" } do
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
for _, e in ipairs { { "capacity", "files.write", "option:--out" }, { "capacity", "mutation", "true" },
                     { "gen", "files.write", "option:--out" },
                     { "inventory", "files.write", "config" }, { "inventory", "mutation", "true" },
                     { "certificate-renewal", "commands", "sh" }, { "certificate-renewal", "mutation", "true" },
                     { "library", "mutation", "true" } } do
  EXCEPTIONS[#EXCEPTIONS + 1] = { e[1], e[2], e[3], "what it writes (a renewal it runs) is written outside check mode only" }
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
    -- a child labsh it ran (a playbook) traces its own manifest; a script
    -- of several plays names each "NAME: part"
    if e.script ~= script and e.script:sub(1, #script + 1) ~= script .. ":" then
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
  local argv = { labsh, "--inventory", args.inventory or (scratch .. "/inventory/inventory.lua"), "-m", name }
  if args[#args] ~= "--yes" then table.insert(argv, 2, "--dry-run") end  -- check mode, but for a setup step
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
  files.guest = lab.inventory.current().guests[1].name
  files.library = scratch .. "/library"  -- a library never trusted
  require("labsh.filesystem").make_directories(files.library .. "/scripts")
  write_file(files.library .. "/library.lua", 'return { name = "manifests", version = "1.0.0", description = "a test" }\n')
  write_file(files.library .. "/scripts/hello.lua", 'print("hello")\n')
  local trusted = run("library", { "trust", files.library, "--yes" }, scratch .. "/trust-trace.jsonl")
  assert_eq(trusted.status, 0, trusted.stderr)
  -- an inventory outside the one labsh reads freely (its directory)
  require("labsh.filesystem").make_directories(scratch .. "/other")
  files.other_inventory = scratch .. "/other/inventory.lua"
  write_file(files.other_inventory, read_file(scratch .. "/inventory/inventory.lua"))  -- the simulator's cluster runs the homelab's guests
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

-- Runs `name` with each of `runs` and adds to `wrong` what is wrong: an
-- unexpected exit status, a refusal, a declared entry never used.
local function hold_to_manifest(name, runs, wrong)
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
    elseif not runs then
      wrong[#wrong + 1] = name .. ": no row in manifests_spec (add its representative runs)"
    else
      hold_to_manifest(name, runs, wrong)
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

-- The sshd test hosts (Tests/servers/sshd_hosts.py) as every target a
-- playbook names: its check mode reads their state over ssh, on loopback.
local function ssh_inventory()
  local path = scratch .. "/ssh-inventory.lua"
  local text = read_file(assert(os.getenv("LABSH_TEST_SSH_INVENTORY"), "run under Tests/run-with-servers.sh"))
  local targets = '  targets = { hypervisors = { role = "test-host" }, linux = { role = "test-host" },'
    .. ' k8s_servers = { role = "test-host" }, k8s_agents = { role = "test-host" } },\n'
  write_file(path, (text:gsub("\n}%s*$", "\n" .. targets .. "}\n")))
  return path
end

-- A playbook's exit status on a test host where not 0 (a host failed):
-- proxmox-setup knows Proxmox VE's Debian releases only, the test hosts run
-- plain Debian; the others start a service, and the test hosts run no systemd.
local PLAYBOOK_STATUS = { ["proxmox-setup"] = 1, ["monitoring-deploy"] = 1, ["security-hardening"] = 1,
                          ["k8s-bootstrap"] = 1 }

-- What a playbook's check mode cannot exercise.
local PLAYBOOK_EXCEPTIONS = {
  { "mutation", "true", "the play's changes are made outside check mode only" },
}
EXCEPTIONS[#EXCEPTIONS + 1] = { "k8s-bootstrap", "commands", "cat",
  "the first server's join token is read once it runs, outside check mode only" }

test("every shipped playbook declares no more and no less than it uses in check mode", function()
  inventory_file()
  local on_test_hosts = ssh_inventory()
  local wrong = {}
  for _, name in ipairs(names_in(root .. "/scripts/playbooks")) do
    for _, e in ipairs(PLAYBOOK_EXCEPTIONS) do EXCEPTIONS[#EXCEPTIONS + 1] = { name, e[1], e[2], e[3] } end
    -- the built-in homelab gives no ssh access: the plan per host, nothing contacted;
    -- then one of the test hosts, whose state check mode reads
    hold_to_manifest(name, { {}, { "--limit", "host1", inventory = on_test_hosts, status = PLAYBOOK_STATUS[name] } }, wrong)
  end
  assert(#wrong == 0, table.concat(wrong, "\n") .. "\n(the traces are in " .. scratch .. ")")
end)

test("the spec's own judgement fails a manifest that declares less, or more, than the script uses", function()
  local cases = {
    -- runs `true` without declaring it: refused, and said so
    leaky = { 'requires = {}', "refused commands 'true'" },
    -- declares `false` it never runs
    greedy = { 'requires = { commands = { "true", "false" } }', "declares commands false but never used it" },
    -- a selector that names nothing it reached
    roaming = { 'requires = { commands = { "true" }, net = { "monitoring:prometheus" } }',
                "declares net monitoring:prometheus but never used it" },
  }
  for name, case in pairs(cases) do
    local path = scratch .. "/" .. name .. ".lua"
    write_file(path, ([[
return labsh.script {
  name = %q, description = "a manifest under test",
  %s,
  run = function() pcall(lab.process.run, { argv = { "true" }, read_only = true }) end,
}
]]):format(name, case[1]))
    local trace = scratch .. "/judged-" .. name .. ".jsonl"
    run_shell(("LABSH_CAPABILITY_TRACE=%s LABSH_STATE_DIR=%s/state %s %s 2>&1"):format(trace, scratch, labsh, path))
    local found = problems(name, read_trace(trace), {})
    assert(#found == 1 and found[1]:find(case[2], 1, true), name .. ": " .. table.concat(found, "; "))
  end
  -- a script with no manifest at all
  local path = scratch .. "/bare.lua"
  write_file(path, 'print("no manifest")\n')
  local trace = scratch .. "/judged-bare.jsonl"
  run_shell(("LABSH_CAPABILITY_TRACE=%s LABSH_STATE_DIR=%s/state %s %s 2>&1"):format(trace, scratch, labsh, path))
  local found = problems("bare", read_trace(trace), {})
  assert(#found == 1 and found[1]:find("declares no manifest", 1, true), table.concat(found, "; "))
  -- and an exception excuses exactly the entry it names
  assert_same(problems("greedy", read_trace(scratch .. "/judged-greedy.jsonl"), { ["commands false"] = true }), {})
end)
