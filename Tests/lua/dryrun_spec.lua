-- --dry-run stops every effect labsh causes (issue 13, finding 5): no
-- program runs (lab.process), no command reaches a host (lab.exec,
-- node:exec, lab.ssh.copy/fetch, a playbook in check mode beyond its
-- reads), inventory init writes nothing; calls marked read_only = true run.
-- And labsh's global options mean the same before and after -m NAME.
--
-- Whether ssh started at all is seen by its ProxyCommand: each test gets an
-- ssh_config of its own (so no master connection of an earlier test is
-- reused) whose ProxyCommand appends a line to a local marker file before
-- connecting. Needs the sshd test hosts (Tests/run-with-servers.sh).

local host = require "labsh.host"
local filesystem = require "labsh.filesystem"

local ssh_dir = assert(os.getenv("LABSH_TEST_SSH_DIR"), "run under Tests/run-with-servers.sh (no ssh test hosts)")
local base_inventory = read_file(assert(os.getenv("LABSH_TEST_SSH_INVENTORY")))
local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-dryrun-spec")
local state_dir = tmp .. "/state"

-- A TCP relay for ProxyCommand: stdin to the socket, the socket to stdout.
local relay = tmp .. "/relay.py"
write_file(relay, [[
import os, socket, sys, threading
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
def up():
    while True:
        data = os.read(0, 65536)
        if not data:
            s.shutdown(socket.SHUT_WR)
            return
        s.sendall(data)
threading.Thread(target=up, daemon=True).start()
while True:
    data = s.recv(65536)
    if not data:
        break
    os.write(1, data)
]])

local serial = 0

-- A fresh inventory of the test hosts whose ssh reads an ssh_config that
-- logs each connection: returns the inventory's path and the marker's.
local function watched_inventory()
  serial = serial + 1
  local config, marker = ("%s/ssh_config.%d"):format(tmp, serial), ("%s/contacted.%d"):format(tmp, serial)
  write_file(config, ("Host *\n  ProxyCommand /bin/sh -c 'echo %%h >> %s; exec python3 %s %%h %%p'\n")
    :format(marker, relay))
  local text = base_inventory:gsub('config = "none"', ('config = %q'):format(config))
  assert(text ~= base_inventory, "the test inventory names its ssh config")
  local path = ("%s/inventory.%d.lua"):format(tmp, serial)
  write_file(path, text)
  return path, marker
end

-- How many connections ssh opened through the watched config.
local function contacts(marker)
  local text = read_file(marker) or ""
  return select(2, text:gsub("\n", ""))
end

-- Runs labsh with `args` (a list); its result (status, stdout, stderr).
local function labsh_run(args, env)
  local argv = { labsh }
  for _, a in ipairs(args) do argv[#argv + 1] = a end
  env = env or {}
  env.LABSH_STATE_DIR = env.LABSH_STATE_DIR or state_dir
  env.XDG_CONFIG_HOME = env.XDG_CONFIG_HOME or (tmp .. "/no-config")  -- the built-in homelab
  if env.LABSH_INVENTORY == nil then env.LABSH_INVENTORY = false end
  return lab.process.run { argv = argv, env = env, timeout = 120 }
end

-- The audit entries with this action.
local function audited(action)
  local found = {}
  for line in (read_file(state_dir .. "/audit.log") or ""):gmatch("[^\n]+") do
    local entry = lab.json.decode(line)
    if entry.action == action then found[#found + 1] = entry end
  end
  return found
end

-- Whether `path` exists on the test host `name` (read over plain ssh).
local function exists_on(name, path)
  local r
  with_inventory(base_inventory, function()
    r = lab.ssh.run(name, "test -e " .. lab.ssh.quote(path))
  end)
  assert(r.status == 0 or r.status == 1, tostring(r.message or r.stderr))
  return r.status == 0
end

----------------------------------------------------------------------------
-- Commands on hosts

test("the watch works: without --dry-run lab.exec goes through the logging ProxyCommand", function()
  local inventory, marker = watched_inventory()
  local r = labsh_run { "--inventory", inventory, "-e", 'io.write(lab.exec("host1", "cat /srv/whoami").host1.stdout)' }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "host1\n")
  assert_eq(contacts(marker), 1, "one connection, seen by the marker")
end)

test("lab.exec and node:exec under --dry-run start no ssh, say what they would run, and never look like success", function()
  local inventory, marker = watched_inventory()
  local r = labsh_run { "--inventory", inventory, "--dry-run", "-e", [[
    local results = lab.exec({ "host1", "host2" }, "touch /srv/dry-exec")
    for _, x in ipairs(results) do print(x.host, x.dry_run, x.status, x:ok()) end
    print("failed", table.concat(results:failed(), ","))
    local one = lab.node("host3"):exec("touch /srv/dry-exec")
    print(one.host, one.dry_run, one.status, one:ok())
    print(tostring(results))
  ]] }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(contacts(marker), 0, "no ssh was started")
  for _, name in ipairs { "host1", "host2", "host3" } do
    assert(r.stderr:find(("dry run: would run on %s: touch /srv/dry-exec\n"):format(name), 1, true), r.stderr)
    assert(r.stdout:find(name .. "\ttrue\tnil\tfalse\n", 1, true), "not run, not ok:\n" .. r.stdout)
    assert(not exists_on(name, "/srv/dry-exec"), name .. ": nothing ran")
  end
  assert(r.stdout:find("failed\thost1,host2\n", 1, true), "a command that did not run is not a success")
  assert(r.stdout:find("host1%s+dry run%s+%S*%s*not run %(dry run%)"), r.stdout)
  local entries = audited("ssh.exec")
  local last = entries[#entries]
  assert_eq(last.target, "host3")
  assert_eq(last.dry_run, true)
  assert_eq(last.outcome, "dry run")
  assert_eq(last.details.command, "touch /srv/dry-exec")
end)

test("read_only = true commands do reach the host under --dry-run", function()
  local inventory, marker = watched_inventory()
  local r = labsh_run { "--inventory", inventory, "--dry-run", "-e", [[
    io.write(lab.exec("host2", "cat /srv/whoami", { read_only = true }).host2.stdout)
    io.write(lab.node("host3"):exec("cat /srv/whoami", { read_only = true }).stdout)
  ]] }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "host2\nhost3\n")
  assert_eq(contacts(marker), 2, "both reads connected")
  assert(not r.stderr:find("would run", 1, true), r.stderr)
end)

test("lab.ssh.copy and lab.ssh.fetch under --dry-run start no scp and copy nothing", function()
  local inventory, marker = watched_inventory()
  local src, fetched = tmp .. "/to-copy", tmp .. "/fetched"
  write_file(src, "payload\n")
  local r = labsh_run { "--inventory", inventory, "--dry-run", "-e", ([[
    print(lab.ssh.copy("host1", %q, "/srv/dry-copy"))
    print(lab.ssh.fetch("host1", "/srv/whoami", %q))
  ]]):format(src, fetched) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "nil\tdry run\nnil\tdry run\n")
  assert_eq(contacts(marker), 0, "no scp was started")
  assert(r.stderr:find(("dry run: would copy %s to host1:/srv/dry-copy\n"):format(src), 1, true), r.stderr)
  assert(r.stderr:find(("dry run: would fetch host1:/srv/whoami to %s\n"):format(fetched), 1, true), r.stderr)
  assert_eq(read_file(fetched), nil, "nothing fetched")
  assert(not exists_on("host1", "/srv/dry-copy"), "nothing copied")
  assert_eq(#audited("ssh.copy") > 0 and #audited("ssh.fetch") > 0, true, "both recorded")
end)

test("a playbook in check mode sends its reads (read_only) and nothing else", function()
  local inventory, marker = watched_inventory()
  local play = write_temp([[
return lab.playbook {
  name = "dry-spec",
  hosts = { "host1" },
  tasks = {
    lab.task.file { name = "motd", path = "/srv/dry-play-motd", content = "from the spec\n" },
    lab.task.command { name = "flag", "touch /srv/dry-play-flag", creates = "/srv/dry-play-flag" },
    lab.task.package { "coreutils" },
  },
}
]])
  local r = labsh_run { "--inventory", inventory, play, "--dry-run" }
  os.remove(play)
  assert_eq(r.status, 0, r.stdout .. r.stderr)
  assert(r.stdout:find("changed%s+host1%s+create"), "the file task read the host and reports a change:\n" .. r.stdout)
  assert(r.stdout:find("+from the spec", 1, true), "with its diff:\n" .. r.stdout)
  assert(r.stdout:find("would run: touch /srv/dry-play-flag", 1, true), r.stdout)
  assert(r.stdout:find("ok%s+host1"), "the package task read dpkg's state:\n" .. r.stdout)
  assert(contacts(marker) >= 1, "check mode reads reach the host")
  assert(not r.stderr:find("would run on", 1, true), "no read was stopped:\n" .. r.stderr)
  assert(not exists_on("host1", "/srv/dry-play-motd"), "no file written")
  assert(not exists_on("host1", "/srv/dry-play-flag"), "no command run")
end)

----------------------------------------------------------------------------
-- Local programs

test("lab.process.run under --dry-run starts nothing unless read_only = true", function()
  local skipped, ran = tmp .. "/process-skipped", tmp .. "/process-ran"
  local r = labsh_run { "--dry-run", "-e", ([[
    local r = lab.process.run { argv = { "touch", %q } }
    print(r.dry_run, r.status, r.stdout == "")
    print(lab.process.run({ argv = { "touch", %q }, read_only = true }).status)
  ]]):format(skipped, ran) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "true\tnil\ttrue\n0\n")
  assert_eq(read_file(skipped), nil, "the skipped program created nothing")
  assert_eq(read_file(ran), "", "the read_only one ran")
  assert(r.stderr:find("dry run: would run: touch " .. skipped .. "\n", 1, true), r.stderr)
  local entries = audited("process.run")
  assert_same(entries[#entries].details.argv, { "touch", skipped })
end)

test("lab.process.run_all under --dry-run runs only the read_only programs, results in order", function()
  local skipped, ran = tmp .. "/all-skipped", tmp .. "/all-ran"
  local r = labsh_run { "--dry-run", "-e", ([[
    local exits = {}
    local list = lab.process.run_all({
      { argv = { "touch", %q } },
      { argv = { "sh", "-c", "touch %s; echo read" }, read_only = true },
    }, { on_exit = function(i, result) exits[#exits + 1] = i end })
    table.sort(exits)
    print(list[1].dry_run, list[1].status, list[2].dry_run, list[2].status, list[2].stdout, table.concat(exits, ","))
  ]]):format(skipped, ran) }
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "true\tnil\tnil\t0\tread\n\t1,2\n")
  assert_eq(read_file(skipped), nil)
  assert_eq(read_file(ran), "")
end)

test("a labsh without --dry-run runs a program with or without read_only", function()
  local plain = tmp .. "/plain-ran"
  local r = labsh_run { "-e", ("print(lab.process.run({ argv = { 'touch', %q } }).status)"):format(plain) }
  assert_eq(r.stdout, "0\n", r.stderr)
  assert_eq(read_file(plain), "")
end)

----------------------------------------------------------------------------
-- inventory init

test("inventory init --dry-run (after -m) writes nothing; after -- it is not labsh's and is refused", function()
  local config = tmp .. "/config-init"
  local r = labsh_run({ "-m", "inventory", "init", "--dry-run" }, { XDG_CONFIG_HOME = config })
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout:sub(1, 12), "would write ", r.stdout)
  assert(r.stdout:find(config .. "/labsh/inventory.lua", 1, true), r.stdout)
  assert_eq(read_file(config .. "/labsh/inventory.lua"), nil, "nothing written")
  r = labsh_run({ "-m", "inventory", "init", "--", "--dry-run" }, { XDG_CONFIG_HOME = config })
  assert_eq(r.status, 2, r.stdout .. r.stderr)
  assert_eq(read_file(config .. "/labsh/inventory.lua"), nil, "a refused command writes nothing either")
end)

----------------------------------------------------------------------------
-- Global options before and after -m NAME

-- Each case: the script's arguments, the global option, and a check of the
-- outcome that holds for both placements. `prepare` gives a fresh setting
-- per run (files and directories the run may touch).
local function placements(script_args, option)
  local before, after = {}, {}
  for _, a in ipairs(option) do before[#before + 1] = a end
  before[#before + 1] = "-m"
  for _, a in ipairs(script_args) do before[#before + 1] = a; after[#after + 1] = a end
  table.insert(after, 1, "-m")
  for _, a in ipairs(option) do after[#after + 1] = a end
  return { before = before, after = after }
end

local other_inventory, broken_inventory = tmp .. "/other-inventory.lua", tmp .. "/broken-inventory.lua"
write_file(other_inventory, base_inventory)
write_file(broken_inventory, "return {}\n")

local cases = {
  {
    name = "--dry-run: inventory init writes nothing",
    script = { "inventory", "init" }, option = { "--dry-run" },
    prepare = function(run) return { XDG_CONFIG_HOME = ("%s/cfg-%s"):format(tmp, run) } end,
    check = function(r, env)
      assert_eq(r.status, 0, r.stderr)
      assert_eq(read_file(env.XDG_CONFIG_HOME .. "/labsh/inventory.lua"), nil, "nothing written")
    end,
  },
  {
    name = "--dry-run: gen bind writes no zone",
    script = { "gen", "bind", "--out", "OUT" }, option = { "--dry-run" },
    prepare = function(run)
      local out = ("%s/zones-%s"):format(tmp, run)
      os.execute("mkdir -p " .. out)
      return {}, { OUT = out }
    end,
    check = function(r, _, words)
      assert_eq(r.status, 0, r.stderr)
      assert(r.stdout:find("would write ", 1, true), r.stdout)
      assert_eq(read_file(words.OUT .. "/db.homelab.local"), nil, "no zone written")
    end,
  },
  {
    name = "--dry-run: a playbook plans only",
    script = { "security-hardening" }, option = { "--dry-run" },
    check = function(r)
      assert_eq(r.status, 0, r.stderr)
      assert(r.stdout:find("(check mode", 1, true), r.stdout)
    end,
  },
  {
    name = "--dry-run: capacity --format html --out FILE writes no page",
    script = { "capacity", "--format", "html", "--out", "OUT" }, option = { "--dry-run" },
    prepare = function(run) return {}, { OUT = ("%s/capacity-%s.html"):format(tmp, run) } end,
    check = function(r, _, words)
      assert_eq(r.status, 0, r.stderr)
      assert(r.stderr:find("dry run: would write " .. words.OUT, 1, true), r.stderr)
      assert_eq(read_file(words.OUT), nil, "no page written")
    end,
  },
  {
    name = "--format json: jobs history",
    script = { "jobs", "history" }, option = { "--format", "json" },
    check = function(r)
      assert_eq(r.status, 0, r.stderr)
      assert_same(lab.json.decode(r.stdout).runs, {}, "JSON, not text")
    end,
  },
  {
    name = "--format json: node-failure",
    script = { "node-failure", "--node", "pve4" }, option = { "--format", "json" },
    check = function(r)
      assert(r.status == 0 or r.status == 1, "0 survives, 1 does not: " .. r.stderr)  -- the same both ways
      assert_eq(lab.json.decode(r.stdout).node, "pve4")
    end,
  },
  {
    name = "--format=json: refused with 2 by a script that writes text only, before it writes",
    script = { "gen", "bind", "--out", "OUT" }, option = { "--format=json" },
    prepare = function(run)
      local out = ("%s/refused-%s"):format(tmp, run)
      os.execute("mkdir -p " .. out)
      return {}, { OUT = out }
    end,
    check = function(r, _, words)
      assert_eq(r.status, 2, r.stdout .. r.stderr)
      assert(r.stderr:find("--format json is not supported", 1, true), r.stderr)
      assert_eq(read_file(words.OUT .. "/db.homelab.local"), nil, "nothing written")
    end,
  },
  {
    name = "--format json: lint writes JSON (issue 15)",
    script = { "lint" }, option = { "--format", "json" },
    check = function(r)
      assert(lab.json.decode(r.stdout).findings, r.stdout .. r.stderr)
    end,
  },
  {
    name = "--inventory FILE: inventory check loads that file",
    script = { "inventory", "check" }, option = { "--inventory", other_inventory },
    check = function(r)
      assert_eq(r.status, 0, r.stderr)
      assert_eq(r.stdout:sub(1, #other_inventory + 2), other_inventory .. ": ")
    end,
  },
  {
    name = "--inventory=FILE: lint loads that file",
    script = { "lint" }, option = { "--inventory=" .. broken_inventory },
    check = function(r)
      assert_eq(r.status, 1, r.stdout .. r.stderr)  -- 2 is a usage error (labsh.cli)
      assert(r.stderr:find(broken_inventory, 1, true), "its errors name it: " .. r.stderr)
    end,
  },
}

for _, case in ipairs(cases) do
  test("before and after -m NAME: " .. case.name, function()
    local outcomes = {}
    for where, args in pairs(placements(case.script, case.option)) do
      local env, words = {}, {}
      if case.prepare then env, words = case.prepare(where) end
      words = words or {}
      local argv = {}
      for i, a in ipairs(args) do argv[i] = words[a] or a end
      local r = labsh_run(argv, env)
      local ok, err = pcall(case.check, r, env, words)
      if not ok then error(("%s (%s): %s"):format(where, table.concat(argv, " "), tostring(err)), 0) end
      outcomes[where] = r.status
    end
    assert_eq(outcomes.before, outcomes.after, "same exit status")
  end)
end

test("before and after -m NAME: --yes is consent for certificate-renewal's renewal, and -- keeps it the script's", function()
  local cert, key = tmp .. "/cert.pem", tmp .. "/key.pem"
  assert_eq(lab.process.run { argv = { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3",
    "-subj", "/CN=localhost", "-keyout", key, "-out", cert } }.status, 0)
  local port = 20000 + (lab.sys.pid() + 4099) % 20000
  local pidfile = tmp .. "/s_server.pid"
  os.execute(("openssl s_server -accept 127.0.0.1:%d -cert %s -key %s -quiet >/dev/null 2>&1 & echo $! > %s")
    :format(port, cert, key, pidfile))
  local ok, err = pcall(function()
    local endpoint = "127.0.0.1:" .. port
    local function renew(marker, ...)
      local args = { ... }
      local argv = {}
      for _, a in ipairs(args) do argv[#argv + 1] = a end
      for _, a in ipairs { "--cert", endpoint, "--renew", "touch " .. marker } do argv[#argv + 1] = a end
      return labsh_run(argv)
    end
    -- wait for the server: the check answers UNKNOWN (3) until it listens
    for _ = 1, 50 do
      if labsh_run({ "-m", "certificate-renewal", "--cert", endpoint }).status ~= 3 then break end
      os.execute("sleep 0.1")
    end
    local refused, before, after = tmp .. "/renew-refused", tmp .. "/renew-before", tmp .. "/renew-after"
    renew(refused, "-m", "certificate-renewal")
    assert_eq(read_file(refused), nil, "without --yes and without a terminal: refused")
    renew(before, "--yes", "-m", "certificate-renewal")
    assert_eq(read_file(before), "", "--yes before -m")
    local r = labsh_run { "-m", "certificate-renewal", "--cert", endpoint, "--renew", "touch " .. after, "--yes" }
    assert_eq(read_file(after), "", "--yes after -m: " .. r.stdout .. r.stderr)
    local ignored = tmp .. "/renew-after-dashes"
    r = labsh_run { "-m", "certificate-renewal", "--cert", endpoint, "--renew", "touch " .. ignored, "--", "--yes" }
    assert_eq(read_file(ignored), nil, "--yes after -- is not consent")
    assert((r.stdout .. r.stderr):find("unexpected argument '--yes'", 1, true), r.stdout .. r.stderr)
  end)
  require("labsh.os").kill(tonumber(read_file(pidfile):match("%d+")), 15)
  if not ok then error(err, 0) end
end)
