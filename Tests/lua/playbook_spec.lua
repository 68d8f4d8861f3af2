-- lab.playbook and lab.task against the real sshd test hosts
-- (Tests/servers/sshd_hosts.py): idempotence, check mode, handlers, serial
-- batches, failures that stay on their host, and the mutation gate.

local test_hosts = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/playbook_support.lua")
local inventory, count = test_hosts.inventory, test_hosts.count
local play, on_hosts = test_hosts.play, test_hosts.on_hosts

-- The recap lines: host -> {ok =, changed =, ...}.
local function recap(out)
  local stats = {}
  local tail = out:match("PLAY RECAP\n(.*)$") or ""
  for name, fields in tail:gmatch("%s*(%S+)%s+(ok=[^\n]*)") do
    stats[name] = {}
    for key, value in fields:gmatch("(%a+)=(%d+)") do stats[name][key] = tonumber(value) end
  end
  return stats
end

local function tasks_play(root, extra)
  return ([[
return lab.playbook {
  name = "spec",
  hosts = { tag = "test" },
  vars = { owner_note = "set by the spec" },
  %s
  tasks = {
    lab.task.file { name = "root", path = "%s", state = "directory", mode = "0755" },
    lab.task.file { name = "motd", path = "%s/motd", content = "managed by labsh\n", mode = "0640" },
    lab.task.line { name = "no passwords", path = "%s/sshd_config", regexp = "^#?PasswordAuthentication",
                    line = "PasswordAuthentication no", create = true, notify = "reload" },
    lab.task.line { name = "no root", path = "%s/sshd_config", regexp = "^#?PermitRootLogin",
                    line = "PermitRootLogin prohibit-password", notify = "reload" },
    lab.task.template { name = "hosts", path = "%s/hosts",
                        text = "# {{ owner_note }}\n{%% for _, n in ipairs(inventory.nodes) do %%}\n{{ n.address }} {{ n.name }}\n{%% end %%}\n" },
    lab.task.command { name = "flag", "date > %s/flag", creates = "%s/flag" },
    lab.task.user { "spec-user", shell = "/bin/sh" },
  },
  handlers = {
    reload = lab.task.command { "echo reloaded >> %s/handler.log" },
  },
}
]]):format(extra or "", root, root, root, root, root, root, root, root)
end

test("a play's first run changes each host, its second run changes nothing", function()
  local root = "/srv/spec-idem"
  on_hosts("rm -rf " .. root .. "; userdel spec-user 2>/dev/null; true")
  local out, rc = play(tasks_play(root))
  assert_eq(rc, 0, out)
  local first = recap(out)
  for i = 1, count do
    local s = first["host" .. i]
    assert(s, "recap for host" .. i .. ":\n" .. out)
    assert_eq(s.changed, 8, "host" .. i .. " first run (7 tasks and the handler)")
    assert_eq(s.failed, 0)
  end
  out, rc = play(tasks_play(root))
  assert_eq(rc, 0, out)
  for name, s in pairs(recap(out)) do
    assert_eq(s.changed, 0, name .. " second run:\n" .. out)
    assert_eq(s.ok, 7, name)
  end
  assert(not out:find("HANDLER", 1, true), "no handler without a change")
  -- what the tasks wrote, on every host
  local motd = on_hosts(("stat -c '%%a %%U' %s/motd && cat %s/motd %s/sshd_config %s/handler.log"):format(root, root, root, root))
  for i = 1, count do
    assert_eq(motd["host" .. i], "640 root\nmanaged by labsh\nPasswordAuthentication no\nPermitRootLogin prohibit-password\nreloaded\n",
      "host" .. i .. ": the handler ran once though two tasks notified it")
  end
  local hosts = on_hosts("cat " .. root .. "/hosts")
  assert(hosts.host1:find("^# set by the spec\n10%.77%.0%.11 host1\n"), hosts.host1)
  assert_eq(on_hosts("getent passwd spec-user | cut -d: -f7").host2, "/bin/sh\n")
end)

test("check mode reports what would change, with a diff, and changes nothing", function()
  local root = "/srv/spec-check"
  on_hosts("rm -rf " .. root)
  local out, rc = play(tasks_play(root), "--dry-run")
  assert_eq(rc, 0, out)
  assert(out:find("(check mode)", 1, true), out)
  assert(out:find("+++ " .. root .. "/motd", 1, true) and out:find("+managed by labsh", 1, true), "a diff:\n" .. out)
  assert(out:find("would run: date > " .. root .. "/flag", 1, true), out)
  for name, seen in pairs(on_hosts("ls -d " .. root .. " 2>&1")) do
    assert(seen:find("No such file", 1, true), name .. ": " .. seen)
  end
  -- check mode on a host in the wanted state: nothing to change
  play(tasks_play(root))
  out = play(tasks_play(root), "--dry-run")
  for name, s in pairs(recap(out)) do assert_eq(s.changed, 0, name .. "\n" .. out) end
  -- a changed file shows as a diff of the lines that differ
  on_hosts("echo 'PasswordAuthentication yes' >> " .. root .. "/sshd_config")
  out = play(tasks_play(root), "--dry-run")
  assert(out:find("-PasswordAuthentication yes", 1, true), out)
  assert_eq(on_hosts("grep -c Authentication " .. root .. "/sshd_config").host1, "2\n", "still unchanged")
end)

test("a failing task and an unreachable host stop only themselves", function()
  local out, rc = play([[
return lab.playbook {
  name = "failures",
  hosts = "all",
  tasks = {
    lab.task.command { name = "fails on host2", '[ "$(cat /srv/whoami)" != host2 ]', changed = false },
    lab.task.file { name = "after", path = "/srv/spec-after", content = "reached\n" },
  },
}
]])
  assert(rc ~= 0, "a failed host makes the run fail")
  local s = recap(out)
  assert_eq(s.host2.failed, 1, out)
  assert_eq(s.down1.unreachable, 1, out)
  assert_eq(s.host1.changed, 1, "the others went on")
  local reached = on_hosts("cat /srv/spec-after 2>/dev/null; rm -f /srv/spec-after")
  assert_eq(reached.host1, "reached\n")
  assert_eq(reached.host2, "", "host2 dropped out after its failure")
end)

test("max_fail_percentage stops the play when too many hosts fail", function()
  local out, rc = play([[
return lab.playbook {
  name = "strict",
  hosts = "all",
  max_fail_percentage = 0,
  tasks = {
    lab.task.command { name = "probe", "true", changed = false },
    lab.task.file { name = "never", path = "/srv/spec-never", content = "x\n" },
  },
}
]])
  assert(rc ~= 0)
  assert(out:find("play stopped", 1, true), out)
  assert(not out:find("TASK [never]", 1, true), out)
end)

test("serial runs the play batch by batch", function()
  local out, rc = play([[
return lab.playbook {
  name = "batches",
  hosts = { tag = "test" },
  serial = 2,
  tasks = {
    lab.task.command { name = "stamp", "echo $(cat /srv/whoami) >> /srv/spec-serial.log", changed = false },
  },
}
]])
  assert_eq(rc, 0, out)
  local headers = select(2, out:gsub("TASK %[stamp%]", ""))
  assert_eq(headers, math.ceil(count / 2), "one task block per batch:\n" .. out)
  local first_block = out:match("TASK %[stamp%]\n(.-)TASK") or out
  assert(first_block:find("host1") and first_block:find("host2") and not first_block:find("host3"), first_block)
  on_hosts("rm -f /srv/spec-serial.log")
end)

test("without --yes and without a terminal the play is refused and audited", function()
  local root = "/srv/spec-refused"
  on_hosts("rm -rf " .. root)
  local out, rc = play(tasks_play(root), "")
  assert(rc ~= 0)
  assert(not out:find("TASK", 1, true), out)
  assert(on_hosts("ls -d " .. root .. " 2>&1").host1:find("No such file", 1, true))
  local log = read_file(require("labsh.gate").audit_path())
  assert(log:find('"action":"playbook"', 1, true) and log:find("refused", 1, true), "audited")
  assert(log:find('"action":"playbook.task"', 1, true), "each change of the earlier runs is audited")
end)

test("task arguments are checked when the play is written", function()
  local function refused(code)
    local ok, err = pcall(load(code, "=play", "t", _ENV))
    assert(not ok, code)
    return tostring(err)
  end
  assert(refused('lab.task.file { path = "/x", mode = 644 }'):find("octal string", 1, true))
  assert(refused('lab.task.file { path = "/x", contnet = "a" }'):find("unknown argument 'contnet'", 1, true))
  assert(refused('lab.task.package { state = "present" }'):find("give what it is about", 1, true))
  assert(refused('lab.task.line { path = "/x", line = "a", regexp = "[" }'):find("not a valid Lua pattern", 1, true))
  assert(refused('lab.playbook { name = "x", hosts = "all", tasks = { lab.task.command { "true", notify = "nobody" } } }')
    :find("not a handler", 1, true))
end)

test("a secret file never shows its content, in check mode or after", function()
  on_hosts("rm -f /srv/spec-token")
  local text = [[
return lab.playbook {
  name = "secret",
  hosts = { "host1" },
  tasks = { lab.task.file { name = "token", path = "/srv/spec-token", content = "s3cr3t-t0ken\n", mode = "0600", secret = true } },
}
]]
  local out, rc = play(text, "--dry-run")
  assert_eq(rc, 0, out)
  assert(out:find("secret: no diff", 1, true), out)
  assert(not out:find("s3cr3t", 1, true), "the content is not shown")
  out, rc = play(text)
  assert_eq(rc, 0, out)
  assert(not out:find("s3cr3t", 1, true))
  assert_eq(on_hosts("cat /srv/spec-token 2>/dev/null; stat -c %a /srv/spec-token 2>/dev/null").host1, "s3cr3t-t0ken\n600\n")
end)

test("options after the playbook's name count; others are refused", function()
  local path = write_temp([[return lab.playbook { name = "flags", hosts = { "host1" },
    tasks = { lab.task.file { path = "/srv/spec-flags", content = "x\n" } } }]])
  local out, rc = run_labsh(("--inventory %s %s --dry-run"):format(inventory, path))
  assert_eq(rc, 0, out)
  assert(out:find("(check mode)", 1, true), out)
  assert_eq(on_hosts("ls /srv/spec-flags 2>/dev/null").host1, "", "nothing written")
  out, rc = run_labsh(("--inventory %s %s --yse"):format(inventory, path))
  assert(rc ~= 0 and not out:find("TASK", 1, true), out)
  os.remove(path)
end)

test("packages, services and reboots read the host's real state (check mode only: dpkg is shared)", function()
  local out, rc = play([[
return lab.playbook {
  name = "system",
  hosts = { "host1" },
  tasks = {
    lab.task.package { name = "installed", "openssh-server" },
    lab.task.package { name = "missing", "cowsay", "openssh-server" },
    lab.task.package { name = "gone", "cowsay", state = "absent" },
    lab.task.reboot { name = "reboot" },
  },
}
]], "--dry-run")
  assert_eq(rc, 0, out)
  assert(out:find("TASK %[installed%]\n  ok +host1\n"), out)
  assert(out:find("TASK %[missing%]\n  changed +host1  install cowsay\n"), out)
  assert(out:find("TASK %[gone%]\n  ok +host1\n"), out)
  assert(out:find("would reboot", 1, true), out)
  assert_eq(on_hosts("dpkg-query -W cowsay >/dev/null 2>&1 && echo yes || echo no").host1, "no\n")
  -- without systemd (these hosts have none) a service task fails clearly
  out, rc = play([[
return lab.playbook { name = "service", hosts = { "host1" },
  tasks = { lab.task.service { "ssh", state = "started" } } }
]])
  assert(rc ~= 0)
  assert(out:find("failed +host1  systemd is not running on this host"), out)
end)

test("a reboot whose host never comes back with a new boot id fails after its timeout", function()
  local started = lab.sys.monotonic()
  local out, rc = play([[
return lab.playbook { name = "reboot", hosts = { "host2" },
  tasks = { lab.task.reboot { command = "true", timeout = 3 } } }
]])
  assert(rc ~= 0, out)
  assert(out:find("failed +host2  not back after 3 s"), out)
  assert(lab.sys.monotonic() - started < 15)
end)

test("line: replace the last match, insert after a pattern, remove, and leave a matching file alone", function()
  on_hosts("printf 'a=1\\n# keys\\nb=2\\nb=3\\nend' > /srv/spec-lines")
  local out, rc = play([[
return lab.playbook { name = "lines", hosts = { "host3" }, tasks = {
  lab.task.line { name = "replace", path = "/srv/spec-lines", regexp = "^b=", line = "b=9" },
  lab.task.line { name = "insert", path = "/srv/spec-lines", line = "c=1", after = "^# keys" },
  lab.task.line { name = "remove", path = "/srv/spec-lines", regexp = "^a=", state = "absent" },
  lab.task.line { name = "present", path = "/srv/spec-lines", line = "end" },
} }
]])
  assert_eq(rc, 0, out)
  assert(out:find("TASK %[present%]\n  ok"), "a line already there changes nothing:\n" .. out)
  assert_eq(on_hosts("cat /srv/spec-lines").host3, "# keys\nc=1\nb=2\nb=9\nend\n")
end)

test("--format json gives the play's results as one document", function()
  local out, rc = play([[
return lab.playbook { name = "json", hosts = { "host1", "down1" },
  tasks = { lab.task.file { name = "probe", path = "/srv/spec-json", content = "x\n" } } }
]], "--dry-run --format json")
  assert(rc ~= 0, "down1 is unreachable")
  local doc = lab.json.decode(out)
  assert_eq(doc.play, "json")
  assert_eq(doc.check, true)
  assert_eq(doc.tasks[1].task, "probe")
  assert_eq(doc.tasks[1].hosts.host1.status, "changed")
  assert(doc.tasks[1].hosts.host1.diff:find("+x", 1, true))
  assert_eq(doc.tasks[1].hosts.down1.status, "unreachable")
  assert_eq(doc.stats.host1.changed, 1)
  assert_same(doc.failed, { "down1" })
end)
