-- The symbolic selectors of a manifest (issue 20): a shipped script names
-- the inventory's places and the operator's own options, and the host
-- resolves them against the inventory it runs on and the command line it
-- was given. LABSH_CAPABILITY_TRACE records which entry allowed what.
-- Nothing here reaches the network: ctx:allows asks the host's check.

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local host = require "labsh.host"

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local dir = temp_dir()

-- An inventory: the built-in homelab with `extra` (Lua statements on `inv`).
local function inventory(extra)
  local path = dir .. "/inventory-" .. math.random(1, 1 << 30) .. ".lua"
  write_file(path, ("local inv = (function() %s end)()\n%s\nreturn inv\n")
    :format(host.embedded("stdlib/labsh/homelab.lua"), extra))
  return path
end

-- A script declaring `requires` (Lua text) that prints, for each probe
-- { kind, target }, "kind target yes|no".
local function script(requires, probes)
  local lines = {}
  for _, p in ipairs(probes) do
    lines[#lines + 1] = ("    print(%q, %q, ctx:allows(%q, %q) and 'yes' or 'no')"):format(p[1], p[2], p[1], p[2])
  end
  local path = dir .. "/probe-" .. math.random(1, 1 << 30) .. ".lua"
  write_file(path, ([[
return labsh.script {
  name = "probe", description = "asks the host what it may touch",
  params = { { "--prometheus", "URL", "a Prometheus" }, { "--out", "DIR", "a directory" },
             { "--host", "NAME", "a host" } },
  requires = %s,
  run = function(ctx, opts)
%s
  end,
}
]]):format(requires, table.concat(lines, "\n")))
  return path
end

-- Runs labsh SCRIPT ARGS with `inv` (or the built-in homelab); returns
-- output (stderr too) and exit code.
local function run(path, args, inv, env)
  return run_shell(("LABSH_STATE_DIR=%s %s %s %s %s %s 2>&1 </dev/null"):format(quote(dir .. "/state"), env or "",
    labsh, inv and ("--inventory=" .. quote(inv)) or "", quote(path), args or ""))
end

test("monitoring:NAME follows the inventory's endpoint", function()
  local probes = { { "net", "127.0.0.1:9090" }, { "net", "127.0.0.2:9093" }, { "net", "127.0.0.3:9091" } }
  local path = script('{ net = { "monitoring:prometheus", "monitoring:alertmanager" } }', probes)
  local out, rc = run(path, "", inventory([[inv.monitoring = { prometheus = "http://127.0.0.1:9090",
    alertmanager = "http://127.0.0.2:9093/", pushgateway = "http://127.0.0.3:9091" }]]))
  assert_eq(rc, 0, out)
  assert_eq(out, "net\t127.0.0.1:9090\tyes\nnet\t127.0.0.2:9093\tyes\nnet\t127.0.0.3:9091\tno\n")
  -- another inventory, another Prometheus: the selector follows it
  out, rc = run(path, "", inventory([[inv.monitoring = { prometheus = "https://127.0.0.5/" }]]))
  assert_eq(rc, 0, out)
  assert_eq(out, "net\t127.0.0.1:9090\tno\nnet\t127.0.0.2:9093\tno\nnet\t127.0.0.3:9091\tno\n")
  out = run(script('{ net = { "monitoring:prometheus" } }', { { "net", "127.0.0.5:443" } }), "",
    inventory([[inv.monitoring = { prometheus = "https://127.0.0.5/" }]]))
  assert_eq(out, "net\t127.0.0.5:443\tyes\n")
  -- none in the inventory: it names nothing
  out = run(script('{ net = { "monitoring:prometheus" } }', { { "net", "127.0.0.1:9090" } }), "")
  assert_eq(out, "net\t127.0.0.1:9090\tno\n")
end)

test("proxmox names the inventory's Proxmox VE API origins", function()
  local path = script('{ net = { "proxmox" } }', { { "net", "127.0.0.7:8006" }, { "net", "127.0.0.8:8006" } })
  local out, rc = run(path, "", inventory([[inv.proxmox = { urls = { "https://127.0.0.7:8006" }, token = "env:T" }]]))
  assert_eq(rc, 0, out)
  assert_eq(out, "net\t127.0.0.7:8006\tyes\nnet\t127.0.0.8:8006\tno\n")
end)

test("option:--NAME matches only what the operator passed, literally", function()
  local probes = { { "net", "127.0.0.1:9090" }, { "net", "127.0.0.9:9090" }, { "files.write", dir .. "/out/x.txt" },
                   { "files.write", dir .. "/elsewhere/x.txt" }, { "hosts", "pve1" }, { "hosts", "pve2" } }
  local path = script('{ net = { "option:--prometheus" }, files = { write = { "option:--out" } }, hosts = { "option:--host" } }',
    probes)
  local out, rc = run(path, "--prometheus http://127.0.0.1:9090/api --out=" .. quote(dir .. "/out") .. " --host pve1")
  assert_eq(rc, 0, out)
  assert_eq(out, ("net\t127.0.0.1:9090\tyes\nnet\t127.0.0.9:9090\tno\nfiles.write\t%s/out/x.txt\tyes\n"
    .. "files.write\t%s/elsewhere/x.txt\tno\nhosts\tpve1\tyes\nhosts\tpve2\tno\n"):format(dir, dir))
  -- not given: nothing
  out, rc = run(path, "")
  assert_eq(rc, 0, out)
  assert(not out:find("yes", 1, true), out)
  -- a glob the operator typed is a name, not a pattern
  out = run(path, "--host 'pve*'")
  assert(out:find("hosts\tpve1\tno\n", 1, true), out)
end)

test("an unknown selector is an error at declare, naming the fix", function()
  local out, rc = run(script('{ net = { "monitorin:prometheus" } }', {}), "")
  assert_eq(rc, 1, out)
  assert(out:find("labsh.script: requires.net: unknown selector 'monitorin:prometheus'", 1, true), out)
  assert(out:find("did you mean", 1, true) or out:find("monitoring:prometheus", 1, true), out)
  out, rc = run(script('{ net = { "monitoring:grafana" } }', {}), "")
  assert_eq(rc, 1, out)
  assert(out:find("unknown selector 'monitoring:grafana'", 1, true), out)
  out, rc = run(script('{ hosts = { "group:db" } }', {}), "")
  assert_eq(rc, 1, out)
  assert(out:find("requires.hosts: unknown selector 'group:db'", 1, true), out)
  out, rc = run(script('{ net = { "prometheus" } }', {}), "")
  assert_eq(rc, 1, out)
  assert(out:find("unknown selector 'prometheus'", 1, true), out)
  out, rc = run(script('{ proxmox = { "option:--privilege" } }', {}), "")
  assert_eq(rc, 1, out)
  assert(out:find("option selectors are for hosts, net, commands, secrets and files, not proxmox", 1, true), out)
end)

test("LABSH_CAPABILITY_TRACE records declared entries, the entry that allowed each target, and refusals", function()
  local trace = dir .. "/trace.jsonl"
  local path = dir .. "/traced.lua"
  write_file(path, [[
return labsh.script {
  name = "traced", description = "runs true, then what it did not declare",
  requires = { commands = { "true", "false" }, net = { "monitoring:prometheus" }, mutation = true },
  run = function()
    lab.process.run { argv = { "true" } }
    lab.process.run { argv = { "true" } }
    lab.process.run { argv = { "sleep", "0" } }
  end,
}
]])
  local out, rc = run(path, "", inventory([[inv.monitoring = { prometheus = "http://127.0.0.1:9090" }]]),
    "LABSH_CAPABILITY_TRACE=" .. quote(trace))
  assert_eq(rc, 1, out)
  local events = {}
  for line in read_file(trace):gmatch("[^\n]+") do events[#events + 1] = lab.json.decode(line) end
  local seen = {}
  for _, e in ipairs(events) do
    seen[#seen + 1] = table.concat({ e.event, e.kind or "", e.entry or e.target or "", e.resolved or e.target or "" }, " ")
    assert_eq(e.script, "traced")
  end
  assert_same(seen, {
    "manifest   ",
    "declared commands true true", "declared commands false false",
    "declared net monitoring:prometheus 127.0.0.1:9090", "declared mutation true ",
    "used commands true true",  -- once, however often
    "refused commands sleep sleep",
  })
end)

test("arguments names the origin of every URL among the script's arguments, and only those", function()
  local path = dir .. "/urls.lua"
  write_file(path, [[
return labsh.script {
  name = "urls", description = "asks about the URLs it was given",
  args = { { "URL", "a URL", key = "urls", multiple = true } },
  requires = { net = { "arguments" } },
  run = function(ctx)
    for _, target in ipairs { "127.0.0.1:8006", "127.0.0.2:443", "127.0.0.3:80" } do
      print(target, ctx:allows("net", target) and "yes" or "no")
    end
  end,
}
]])
  local out, rc = run(path, "https://127.0.0.1:8006/api2 https://127.0.0.2/ not-a-url")
  assert_eq(rc, 0, out)
  assert_eq(out, "127.0.0.1:8006\tyes\n127.0.0.2:443\tyes\n127.0.0.3:80\tno\n")
end)

test("a certificate probe (pve trust's handshake) is checked against requires.net", function()
  local path = dir .. "/probe.lua"
  write_file(path, [[
return labsh.script {
  name = "prober", description = "a TLS handshake with what it did not declare",
  requires = {},
  run = function() print(require("labsh.pve").probe("https://127.0.0.1:1/", 1)) end,
}
]])
  local out, rc = run(path, "")
  assert_eq(rc, 1, out)
  assert(out:find("not capable: prober (" .. path .. ":4) cannot reach '127.0.0.1:1': not in requires.net", 1, true), out)
end)

test("target:NAME names the hosts the inventory's target picks, else labsh's default for it", function()
  local inv = inventory([[inv.targets = { hypervisors = { kind = "workstation" } }]])
  local names = {}
  with_inventory(read_file(inv), function()
    names.workstation = lab.nodes { kind = "workstation" }[1].name
    names.hypervisor = lab.nodes { kind = "hypervisor" }[1].name
    names.vm = lab.guests()[1].name
  end)
  local probes = { { "hosts", names.workstation }, { "hosts", names.hypervisor }, { "hosts", names.vm } }
  local path = script('{ hosts = { "target:hypervisors" } }', probes)
  local out, rc = run(path, "", inv)  -- the inventory's own selection
  assert_eq(rc, 0, out)
  assert_eq(out, ("hosts\t%s\tyes\nhosts\t%s\tno\nhosts\t%s\tno\n"):format(names.workstation, names.hypervisor, names.vm))
  out = run(script('{ hosts = { "target:linux" } }', probes), "", inv)  -- the default: by kind
  assert_eq(out, ("hosts\t%s\tno\nhosts\t%s\tyes\nhosts\t%s\tyes\n"):format(names.workstation, names.hypervisor, names.vm))
  out = run(script('{ hosts = { "target:k8s_agents" } }', probes), "", inv)  -- none in this inventory
  assert(not out:find("yes", 1, true), out)
end)

test("an operator's own script under a manifest makes a change: the gate reads its file for the audit line", function()
  local path = dir .. "/changer.lua"  -- outside the script path: read freely as its own file
  write_file(path, [[
return labsh.script {
  name = "changer", description = "one change through the gate", requires = { mutation = true },
  run = function()
    require("labsh.gate").perform({ action = "probe.change", target = "nothing", summary = "a change" }, function() end)
    print("changed")
  end,
}
]])
  local out, rc = run(path, "--yes")
  assert_eq(rc, 0, out)
  assert_eq(out, "changed\n")
  assert(read_file(dir .. "/state/audit.log"):find('"action":"probe.change"', 1, true))
end)
