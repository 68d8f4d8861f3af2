-- The shipped scripts beyond report and jobs (their own specs): weekly-review,
-- monthly-review, node-failure, patch-window, certificate-renewal. Each has
-- --help listing its parameters, machine output, and says "not configured"
-- rather than failing.

local filesystem = require "labsh.filesystem"
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-scripts-spec")

local function run(args, env)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  env = env or {}
  env.LABSH_STATE_DIR, env.LABSH_PATH = tmp .. "/state", tmp .. "/nothing"
  return lab.process.run { argv = argv, env = env, timeout = 60 }
end

test("every shipped script answers --help with its parameters and exits 0", function()
  local expect = {
    report = "--backups", ["weekly-review"] = "--backups", ["monthly-review"] = "--now",
    ["node-failure"] = "--node", ["patch-window"] = "--playbook", ["certificate-renewal"] = "--cert",
    jobs = "run-due", audit = "--action",
  }
  for script, param in pairs(expect) do
    local r = run { "-m", script, "--help" }
    assert_eq(r.status, 0, script .. ": " .. r.stderr)
    assert(r.stdout:find(param, 1, true), script .. " --help lacks " .. param .. ":\n" .. r.stdout)
  end
end)

test("weekly-review: the §12 checklist, each item with a status", function()
  local r = run { "--format", "json", "-m", "weekly-review" }
  assert_eq(r.status, 0, r.stderr)
  local data = lab.json.decode(r.stdout)
  assert_eq(#data.checklist, 5)
  assert_eq(data.checklist[2].item, "Check backup success/failures")
  assert_eq(data.checklist[2].status, "not configured")
  r = run { "-m", "weekly-review" }
  assert(r.stdout:find("Checklist (§12, weekly):", 1, true), r.stdout)
end)

test("monthly-review: patches not configured, growth projected, documentation by hand", function()
  local r = run { "--format", "json", "-m", "monthly-review" }
  assert_eq(r.status, 0, r.stderr)
  local data = lab.json.decode(r.stdout)
  local by = {}
  for _, s in ipairs(data.sections) do by[s.name] = s end
  assert_eq(by.patches.status, "not configured")
  assert(by.growth.summary:find("memory +30% a year", 1, true), by.growth.summary)
  assert_eq(#by.growth.rows, 5)
  assert_eq(data.checklist[4].status, "by hand")
end)

test("node-failure: a verdict with an exit code; an unknown node is an error", function()
  local r = run { "--format", "json", "-m", "node-failure", "--node", "pve4" }
  assert(r.status == 0 or r.status == 1, r.stderr)  -- 2 is a usage error (labsh.cli)
  local data = lab.json.decode(r.stdout)
  assert_eq(data.node, "pve4")
  assert_eq(data.survives, r.status == 0)
  r = run { "-m", "node-failure", "--node", "pve9" }
  assert_eq(r.status, 2)  -- a node that does not exist is a usage error
  assert(r.stderr:find("pve9", 1, true), r.stderr)
end)

test("patch-window --dry-run: one step per node with its command, nothing run, exit 0", function()
  local r = run { "-m", "patch-window", "--playbook", "patch.yml", "--nodes", "pve1,pve2", "--dry-run" }
  assert_eq(r.status, 0, r.stderr)
  assert(r.stderr:find("1. patch pve1: ansible-playbook -i inventory.yml -l pve1 patch.yml", 1, true), r.stderr)
  assert(r.stderr:find("2. patch pve2", 1, true), r.stderr)
  r = run { "-m", "patch-window", "--playbook", "patch.yml", "--nodes", "nope", "--dry-run" }
  assert_eq(r.status, 1)
end)

test("certificate-renewal: UNKNOWN without endpoints, CRITICAL for a certificate under 7 days", function()
  local r = run { "-m", "certificate-renewal" }
  assert_eq(r.status, 3)
  assert(r.stdout:find("^CERTIFICATES UNKNOWN"), r.stdout)
  local cert, key = tmp .. "/cert.pem", tmp .. "/key.pem"
  assert_eq(lab.process.run { argv = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
    "-subj", "/CN=localhost", "-keyout", key, "-out", cert } }.status, 0)
  local port = 20000 + (lab.sys.pid() + 7919) % 20000
  local pidfile = tmp .. "/s_server.pid"
  os.execute(("openssl s_server -accept 127.0.0.1:%d -cert %s -key %s -quiet >/dev/null 2>&1 & echo $! > %s")
    :format(port, cert, key, pidfile))
  local ok, err = pcall(function()
    for _ = 1, 50 do
      r = run { "-m", "certificate-renewal", "--cert", "127.0.0.1:" .. port, "--renew", "echo renewing $ENDPOINT", "--dry-run" }
      if r.status ~= 3 then break end
      os.execute("sleep 0.1")
    end
    assert_eq(r.status, 2, r.stdout .. r.stderr)
    assert(r.stdout:find("^CERTIFICATES CRITICAL: 127%.0%.0%.1:%d+ expires in %d days %(P2%)"), r.stdout)
    assert(r.stderr:find("dry run: would renew the certificate", 1, true), r.stderr)
  end)
  require("labsh.os").kill(tonumber(read_file(pidfile):match("%d+")), 15)
  if not ok then error(err, 0) end
end)

test("audit tail: the newest entries, filtered by action", function()
  -- a dry run of patch-window writes one runbook line
  run { "-m", "patch-window", "--playbook", "p.yml", "--nodes", "pve1", "--dry-run" }
  local r = run { "-m", "audit", "tail", "-n", "5", "--action", "runbook" }
  assert_eq(r.status, 0, r.stderr)
  assert(r.stdout:find("runbook%s+patch%-window%s+dry run"), r.stdout)
  r = run { "--format", "json", "-m", "audit", "tail", "-n", "1" }
  local entry = lab.json.decode(r.stdout)[1]  -- one JSON document: the list
  assert_eq(entry.target, "patch-window")
  assert_eq(entry.script, "labsh:scripts/patch-window.lua")
  assert_eq(#entry.sha256, 64)
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
