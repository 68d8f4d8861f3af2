-- lab.ssh and lab.exec against real OpenSSH servers: Tests/servers/sshd_hosts.py
-- starts one sshd per test host on its own 127.0.0.x address, each in its
-- own mount namespace (its own /etc, /srv, /root), and writes an inventory.

local dir = assert(os.getenv("LABSH_TEST_SSH_DIR"), "run under Tests/run-with-servers.sh (no ssh test hosts)")
local inventory = os.getenv("LABSH_TEST_SSH_INVENTORY")
local count = tonumber(os.getenv("LABSH_TEST_SSH_HOSTS"))
local base_text = read_file(inventory)

local function hosts()
  local names = {}
  for i = 1, count do names[i] = "host" .. i end
  return names
end

-- The test inventory with `edit` applied to its text.
local function variant(edit)
  local text = edit(base_text)
  assert(text ~= base_text, "the edit changed nothing")
  return text
end

test("a command fans out and each host answers for itself", function()
  with_inventory(base_text, function()
    local results = lab.exec({ tag = "test" }, "cat /srv/whoami", { parallel = 4 })
    assert_eq(#results, count, "one outcome per host")
    for i, name in ipairs(hosts()) do
      assert_eq(results[i].host, name, "in inventory order")
      assert_eq(results[i].status, 0, name)
      assert_eq(results[i].stdout, name .. "\n", "each host has its own /srv")
      assert(results[i]:ok())
    end
    assert_eq(results.host2.stdout, "host2\n", "by name")
    assert_same(results:failed(), {}, "nothing failed")
  end)
end)

test("an unreachable host and a failing command affect only their host", function()
  with_inventory(base_text, function()
    local results = lab.exec("all", '[ "$(cat /srv/whoami)" = host2 ] && exit 3; echo fine', { timeout = 20 })
    assert_eq(results.down1.kind, "ssh")
    assert_eq(results.down1.reason, "unreachable")
    assert(results.down1.message:find("down1", 1, true), "the error names the host")
    assert_eq(results.host2.status, 3, "host2's own exit status")
    for _, name in ipairs(hosts()) do
      if name ~= "host2" then assert_eq(results[name].stdout, "fine\n", name) end
    end
    assert_same(results:failed(), { "host2", "down1" })
    local text = tostring(results)
    assert(text:find("down1%s+unreachable"), "prints as a table:\n" .. text)
  end)
end)

test("node:exec raises the host's ssh error and returns a non-zero exit", function()
  with_inventory(base_text, function()
    assert_eq(lab.node("host1"):exec("exit 7").status, 7)
    local ok, err = pcall(lab.node("down1").exec, lab.node("down1"), "true")
    assert(not ok and err.kind == "ssh" and err.reason == "unreachable", tostring(err))
  end)
end)

test("a command that runs too long is stopped and reported as a timeout", function()
  with_inventory(base_text, function()
    local started = lab.sys.monotonic()
    local results = lab.exec({ "host1", "host2" }, '[ "$(cat /srv/whoami)" = host1 ] && sleep 30; echo quick', { timeout = 1 })
    assert_eq(results.host1.reason, "timeout")
    assert_eq(results.host2.stdout, "quick\n")
    assert(lab.sys.monotonic() - started < 10, "stopped at the timeout")
  end)
end)

test("stdin, env and output streaming reach the remote command", function()
  with_inventory(base_text, function()
    local r = lab.ssh.run("host3", 'cat; echo "$GREETING"', { stdin = "from stdin\n", env = { GREETING = "it's me" } })
    assert_eq(r.stdout, "from stdin\nit's me\n")
  end)
  local out, rc = run_labsh(("--inventory %s -e 'lab.exec({tag = \"odd\"}, \"cat /srv/whoami\", {stream = true})'"):format(inventory))
  assert_eq(rc, 0)
  assert(out:find("host1 | host1", 1, true) and out:find("host3 | host3", 1, true), out)
end)

test("a wrong host key is refused and nothing runs on that host", function()
  local wrong = variant(function(t) return (t:gsub("/known_hosts\"", "/known_hosts.wrong\"")) end)
  with_inventory(wrong, function()
    local results = lab.exec({ "host1", "host2" }, "touch /srv/reached")
    assert_eq(results.host1.reason, "host_key", tostring(results.host1))
    assert_eq(results.host2.status, 0, "host2's key is right")
  end)
  with_inventory(base_text, function()
    assert_eq(lab.ssh.run("host1", "test -e /srv/reached").status, 1, "nothing ran on host1")
    lab.ssh.run("host2", "rm -f /srv/reached")
  end)
end)

test("an unknown key is refused as an authentication failure", function()
  local other = variant(function(t) return (t:gsub("/client_key\"", "/wrong_host_key\"")) end)
  with_inventory(other, function()
    local r = lab.ssh.run("host1", "true")
    assert_eq(r.reason, "auth", tostring(r))
  end)
end)

test("sudo takes its password from a secret reference, never from the command line", function()
  local password = assert(io.open(dir .. "/sudo_password")):read("l")
  local as_ops = variant(function(t)
    return (t:gsub('user = "root",', ('user = "ops", sudo_password = "file:%s/sudo_password",'):format(dir)))
  end)
  with_inventory(as_ops, function()
    assert_eq(lab.ssh.run("host1", "id -un").stdout, "ops\n")
    local r = lab.ssh.run("host1", "id -u", { sudo = true })
    assert_eq(r.stdout, "0\n", r.stderr)
    local request = require("labsh.remote").request("host1", "id -u", { sudo = true })
    for _, word in ipairs(request.spec.argv) do
      assert(not word:find(password, 1, true), "the password is not an argument")
    end
    assert(not r.stdout:find(password, 1, true) and not r.stderr:find(password, 1, true))
  end)
  local no_password = variant(function(t) return (t:gsub('user = "root",', 'user = "ops",')) end)
  with_inventory(no_password, function()
    local r = lab.ssh.run("host1", "id -u", { sudo = true })
    assert_eq(r.reason, "sudo", tostring(r))
  end)
end)

test("files copy to a host and back", function()
  local source = write_temp("payload with 'quotes' and\nlines\n")
  local back = os.tmpname()
  with_inventory(base_text, function()
    assert(lab.ssh.copy("host2", source, "/srv/copied"))
    assert_eq(lab.ssh.run("host2", "cat /srv/copied").stdout, read_file(source))
    assert_eq(lab.ssh.run("host1", "test -e /srv/copied").status, 1, "only on host2")
    assert(lab.ssh.fetch("host2", "/srv/copied", back))
    assert_eq(read_file(back), read_file(source))
    local ok, err = pcall(lab.ssh.fetch, "host2", "/srv/missing", back)
    assert(not ok and err.kind == "ssh", tostring(err))
  end)
  os.remove(source)
  os.remove(back)
end)

local function accepted(name)
  local n = 0
  for line in io.lines(("%s/%s/sshd.log"):format(dir, name)) do
    if line:find("Accepted publickey", 1, true) then n = n + 1 end
  end
  return n
end

test("a jump host carries the connection to the host behind it", function()
  local jumped = variant(function(t)
    return (t:gsub('(name = "host3".-ssh = {)', '%1 jump = "host1",'))
  end)
  with_inventory(jumped, function()
    lab.ssh.close({ "host1", "host3" })  -- so the jump has to log in to host1 anew
    local before = accepted("host1")
    local r = lab.ssh.run("host3", "cat /srv/whoami")
    assert_eq(r.stdout, "host3\n", tostring(r.stderr))
    assert(accepted("host1") > before, "host1 let the jump in")
  end)
end)

test("one master connection per host serves every command, in a private directory", function()
  local runtime = os.tmpname()
  os.remove(runtime)
  lab.process.run { argv = { "mkdir", "-m", "0700", runtime } }
  local script = "for i = 1, 3 do assert(#lab.exec({tag = 'test'}, 'true'):failed() == 0) end"
  local r = lab.process.run {
    argv = { os.getenv("LABSH_BIN") or arg[-1], "--inventory", inventory, "-e", script },
    env = { XDG_RUNTIME_DIR = runtime },
  }
  assert_eq(r.status, 0, r.stderr)
  local sockets = 0
  for _ in lab.process.run({ argv = { "ls", runtime .. "/labsh-ssh" } }).stdout:gmatch("%S+") do sockets = sockets + 1 end
  assert_eq(sockets, count, "one master per host after three runs")
  local mode = lab.process.run({ argv = { "stat", "-c", "%a", runtime .. "/labsh-ssh" } }).stdout
  assert_eq(mode, "700\n")
  -- the masters end with their ControlPersist; close them now
  lab.process.run {
    argv = { os.getenv("LABSH_BIN") or arg[-1], "--inventory", inventory, "-e", "lab.ssh.close({tag = 'test'})" },
    env = { XDG_RUNTIME_DIR = runtime },
  }
  require("labsh.filesystem").remove_tree(runtime)
end)

test("a host without ssh access in the inventory is never contacted", function()
  assert_eq(lab.inventory.summary().file, "(built-in homelab)")  -- it has no ssh section
  local r = lab.ssh.run("pve1", "true")
  assert_eq(r.reason, "no_access")
  assert(r.message:find("no ssh section", 1, true), r.message)
end)

test("inventory ssh settings are validated", function()
  local function load_error(edit)
    local ok, err = pcall(with_inventory, variant(edit), function() end)
    assert(not ok, "loads")
    return tostring(err)
  end
  assert(load_error(function(t) return (t:gsub('jump = nil', ''):gsub('(name = "host2".-ssh = {)', '%1 jump = "nowhere",')) end)
    :find("'nowhere' is not a node or guest", 1, true))
  assert(load_error(function(t) return (t:gsub('key = "file:', 'key = "-----BEGIN ')) end)
    :find("secret is given as a reference", 1, true))
  assert(load_error(function(t) return (t:gsub('host = "127.0.0.11"', 'host = "-oProxyCommand=x"')) end)
    :find("no spaces, no leading '-'", 1, true))
  assert(load_error(function(t) return (t:gsub('(name = "host1".-ssh = {)', '%1 jump = "host2",'):gsub('(name = "host2".-ssh = {)', '%1 jump = "host1",')) end)
    :find("circle", 1, true))
end)

test("host key checking turned off is said out loud, once per host", function()
  local unchecked = variant(function(t) return (t:gsub('connect_timeout = 5,', 'connect_timeout = 5, host_key_checking = "no",')) end)
  local path = write_temp(unchecked)
  local r = lab.process.run { argv = { os.getenv("LABSH_BIN") or arg[-1], "--inventory", path, "-e",
    "lab.exec('host1', 'true') lab.exec('host1', 'true')" } }
  os.remove(path)
  assert_eq(r.status, 0, r.stderr)
  local warnings = select(2, r.stderr:gsub("host key checking is off", ""))
  assert_eq(warnings, 1, r.stderr)
end)

test("a command's own exit 255 is its result, not an ssh failure", function()
  with_inventory(base_text, function()
    local r = lab.ssh.run("host1", "echo 'curl: (7) Connection refused' >&2; exit 255")
    assert_eq(r.status, 255, tostring(r))
    assert_eq(r.kind, nil)
  end)
end)

test("a key given as env:NAME is a private file while labsh runs, never an argument", function()
  local from_env = variant(function(t) return (t:gsub('key = "file:[^"]*"', 'key = "env:LABSH_SPEC_KEY"')) end)
  local path = write_temp(from_env)
  local runtime = require("labsh.filesystem").temp_directory("labsh-spec-runtime")
  local r = lab.process.run {
    argv = { os.getenv("LABSH_BIN") or arg[-1], "--inventory", path, "-e", [[
      io.write(lab.ssh.run("host2", "cat /srv/whoami").stdout)
      for _, word in ipairs(require("labsh.remote").request("host2", "true").spec.argv) do
        assert(not word:find("PRIVATE KEY", 1, true), "the key is no argument")
      end
      local dir = os.getenv("XDG_RUNTIME_DIR") .. "/labsh-ssh"
      io.write(lab.process.run({ argv = { "sh", "-c", "stat -c %a " .. dir .. "/key-*" } }).stdout)
      lab.ssh.close("host2")]] },
    env = { LABSH_SPEC_KEY = read_file(dir .. "/client_key"), XDG_RUNTIME_DIR = runtime },
  }
  os.remove(path)
  assert_eq(r.status, 0, r.stderr)
  assert_eq(r.stdout, "host2\n600\n", "mode 0600 while labsh runs")
  local left = lab.process.run { argv = { "sh", "-c", "ls " .. runtime .. "/labsh-ssh | grep -c key-" } }
  assert_eq(left.stdout, "0\n", "gone when labsh ends")
  require("labsh.filesystem").remove_tree(runtime)
end)

test("user runs the command as another account through sudo", function()
  with_inventory(base_text, function()
    assert_eq(lab.ssh.run("host1", "id -un", { user = "ops" }).stdout, "ops\n")
    assert_eq(lab.ssh.run("host1", "id -un", { sudo = true }).stdout, "root\n", "root needs no sudo")
  end)
end)

test("a guest is a target like a node", function()
  local port = os.getenv("LABSH_TEST_SSH_PORT")
  local with_guest = variant(function(t)
    return (t:gsub("\n  vlans = {", ([[

  guests = {
    { name = "vm1", kind = "vm", node = "host1", vcpu = 1, ram = "1GiB", disk = "10GiB", vlan = 77,
      address = "10.77.0.50", tags = { "guest" }, ssh = { host = "127.0.0.12", port = %s } },
  },
  vlans = {]]):format(port), 1))
  end)
  with_inventory(with_guest, function()
    local results = lab.exec({ tag = "guest" }, "cat /srv/whoami")
    assert_eq(#results, 1)
    assert_eq(results.vm1.stdout, "host2\n", "vm1's sshd is host2's")
  end)
end)

test("accept-new trusts a host's first key and refuses a changed one", function()
  local function checking(known_hosts)
    return variant(function(t)
      return (t:gsub('known_hosts = "[^"]*"', ('known_hosts = "%s", host_key_checking = "accept-new"'):format(known_hosts)))
    end)
  end
  local fresh = os.tmpname()
  with_inventory(checking(fresh), function()
    assert_eq(lab.ssh.run("host3", "cat /srv/whoami").stdout, "host3\n")
  end)
  assert(read_file(fresh):find("127.0.0.13", 1, true), "the key was added")
  local changed = write_temp(read_file(dir .. "/known_hosts.wrong"))
  with_inventory(checking(changed), function()
    assert_eq(lab.ssh.run("host1", "true").reason, "host_key")
  end)
  os.remove(fresh)
  os.remove(changed)
end)
