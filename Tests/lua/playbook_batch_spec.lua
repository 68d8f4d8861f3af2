-- A play learns each host's state in one ssh session (labsh.playbook_gather):
-- a rerun that changes nothing costs one session per host, a task that
-- depends on an earlier task's change reads again after it (and only such a
-- task), and the host's answer is read strictly.

local test_hosts = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/playbook_support.lua")
local dir, inventory, count = test_hosts.dir, test_hosts.inventory, test_hosts.count
local play, on_hosts = test_hosts.play, test_hosts.on_hosts
local session = require "labsh.playbook_session"

-- The sessions (commands, multiplexed or not) host `name`'s sshd has
-- started so far: sshd logs each at LogLevel VERBOSE.
local function sessions(name)
  local n = 0
  for line in io.lines(("%s/%s/sshd.log"):format(dir, name)) do
    if line:find("Starting session: ", 1, true) then n = n + 1 end
  end
  return n
end

-- Runs `fn` and returns how many sessions each test host saw meanwhile.
local function sessions_during(fn)
  local before = {}
  for i = 1, count do before[i] = sessions("host" .. i) end
  fn()
  local during = {}
  for i = 1, count do during["host" .. i] = sessions("host" .. i) - before[i] end
  return during
end

local function recap(out)
  local stats = {}
  for name, fields in (out:match("PLAY RECAP\n(.*)$") or ""):gmatch("%s*(%S+)%s+(ok=[^\n]*)") do
    stats[name] = {}
    for key, value in fields:gmatch("(%a+)=(%d+)") do stats[name][key] = tonumber(value) end
  end
  return stats
end

-- Ten tasks of every kind that reads a file or a guard.
local function ten_tasks(root)
  local text = ([[
return lab.playbook {
  name = "batch",
  hosts = { tag = "test" },
  tasks = {
    lab.task.file { name = "root", path = "%s", state = "directory", mode = "0755" },
    lab.task.file { name = "motd", path = "%s/motd", content = "managed by labsh\n", mode = "0644" },
    lab.task.line { name = "no passwords", path = "%s/sshd_config", regexp = "^PasswordAuthentication",
                    line = "PasswordAuthentication no", create = true },
    lab.task.file { name = "app dir", path = "%s/app", state = "directory", mode = "0755" },
    lab.task.command { name = "flag", "touch %s/flag", creates = "%s/flag" },
    lab.task.line { name = "root by key only", path = "%s/sshd_config", regexp = "^PermitRootLogin",
                    line = "PermitRootLogin prohibit-password" },
    lab.task.template { name = "app config", path = "%s/app/app.conf", text = "host = {{ host.name }}\n", mode = "0640" },
    lab.task.command { name = "ready", "touch %s/app/ready", unless = "test -e %s/app/ready" },
    lab.task.user { "batch-user", shell = "/bin/sh" },
    lab.task.command { name = "only reads", "true", changed = false, onlyif = "false" },
  },
}
]]):gsub("%%s", root)
  return text
end

test("a rerun that changes nothing opens one ssh session per host", function()
  local root = "/srv/spec-batch"
  on_hosts("rm -rf " .. root .. "; userdel batch-user 2>/dev/null; true")
  local out, rc = play(ten_tasks(root))
  assert_eq(rc, 0, out)
  for name, s in pairs(recap(out)) do assert_eq(s.failed, 0, name .. "\n" .. out) end
  local during = sessions_during(function()
    out, rc = play(ten_tasks(root))
    assert_eq(rc, 0, out)
  end)
  for i = 1, count do
    local s = recap(out)["host" .. i]
    assert_eq(s.ok, 10, "host" .. i .. " rerun:\n" .. out)
    assert_eq(during["host" .. i], 1, "host" .. i .. ": sessions for a rerun")
  end
  -- check mode, too, learns the state in one session
  during = sessions_during(function()
    out, rc = play(ten_tasks(root), "--dry-run")
    assert_eq(rc, 0, out)
  end)
  assert_eq(recap(out).host1.ok, 10, out)
  assert_eq(during.host1, 1, "sessions for a check")
end)

test("a first run sends the changes in a batch per command whose output a task reports", function()
  local root = "/srv/spec-batch-first"
  on_hosts("rm -rf " .. root .. "; userdel batch-user 2>/dev/null; true")
  local out, rc
  local during = sessions_during(function()
    out, rc = play(ten_tasks(root))
    assert_eq(rc, 0, out)
  end)
  -- five sessions: the state check; root's directory before motd reads
  -- below it; motd, the line and app dir with flag's command; the line and
  -- app.conf with ready's command; the user before the last task's guard,
  -- which any change may affect, reads again
  for i = 1, count do
    local s = recap(out)["host" .. i]
    assert_eq(s.changed, 9, "host" .. i .. "\n" .. out)
    assert_eq(during["host" .. i], 5, "host" .. i .. ": sessions for a first run")
  end
  local seen = on_hosts(("cd %s && stat -c '%%n %%a' motd app/app.conf flag app/ready && cat sshd_config app/app.conf"):format(root))
  assert_eq(seen.host3, "motd 644\napp/app.conf 640\nflag 644\napp/ready 644\n"
    .. "PasswordAuthentication no\nPermitRootLogin prohibit-password\nhost = host3\n")
  on_hosts("userdel batch-user 2>/dev/null; true")
end)

-- Runs a play with its own audit log; output, exit code and the log's lines.
local function play_audited(text)
  local state = os.tmpname()
  os.remove(state)
  local path = write_temp(text)
  local labsh = os.getenv("LABSH_BIN") or arg[-1]
  local p = assert(io.popen(("LABSH_STATE_DIR=%s %s --inventory %s --yes %s 2>/dev/null; echo \"rc=$?\"")
    :format(state, labsh, inventory, path)))
  local all = p:read("a")
  p:close()
  os.remove(path)
  local out, rc = all:match("^(.-)rc=(%d+)\n$")
  local log = {}
  local f = io.open(state .. "/audit.log")
  if f then
    for line in f:lines() do log[#log + 1] = lab.json.decode(line) end
    f:close()
  end
  os.execute("rm -rf '" .. state .. "'")
  return out, tonumber(rc), log
end

test("a change that fails stops its host at its task, with the task's own message; the others go on", function()
  local root = "/srv/spec-batch-fail"
  on_hosts("rm -rf " .. root .. "; mkdir -p " .. root .. "/sub")
  -- on host2, sub is a file: writing sub/x fails there
  with_inventory(read_file(inventory), function()
    lab.ssh.run("host2", ("rm -rf %s/sub && echo > %s/sub"):format(root, root))
  end)
  local out, rc, log = play_audited(([[
return lab.playbook {
  name = "stops",
  hosts = { tag = "test" },
  tasks = {
    lab.task.file { name = "a", path = "%s/a", content = "a\n" },
    lab.task.file { name = "x", path = "%s/sub/x", content = "x\n" },
    lab.task.file { name = "c", path = "%s/c", content = "c\n" },
    lab.task.command { name = "d", "echo ran > %s/d" },
  },
}
]]):gsub("%%s", root))
  assert_eq(rc, 1, out)
  local s = recap(out)
  assert_eq(s.host2.changed, 1, out)
  assert_eq(s.host2.failed, 1, out)
  assert_eq(s.host1.changed, 4, out)
  assert(out:find("failed      host2   write " .. root .. "/sub/x: mktemp: ", 1, true), out)
  assert(not out:find("host2  [^\n]*\n[^\n]*TASK %[c%]"), out)
  local seen = on_hosts(("cd %s && ls -p | tr '\\n' ' '"):format(root))
  assert_eq(seen.host2, "a sub ", "nothing after the failed change ran on host2")
  assert_eq(seen.host1, "a c d sub/ ")
  -- the audit log holds the changes made, none of the dropped ones
  local changes = {}
  for _, entry in ipairs(log) do
    if entry.action == "playbook.task" and entry.target == "host2" then changes[#changes + 1] = entry.details.task end
  end
  assert_same(changes, { "a" }, "host2's audited changes")
end)

test("a task that depends on an earlier change reads the host again; the others keep the first answer", function()
  local root = "/srv/spec-batch-dep"
  local text = ([[
return lab.playbook {
  name = "dependent",
  hosts = { tag = "test" },
  tasks = {
    lab.task.file { name = "config", path = "%s/app/config", content = "a = 1\nkeep = yes\n" },
    lab.task.line { name = "keep", path = "%s/app/config", line = "keep = yes" },
    lab.task.file { name = "other", path = "%s/other", content = "other\n" },
  },
}
]]):gsub("%%s", root)
  on_hosts(("rm -rf %s; mkdir -p %s/app"):format(root, root))
  local out, rc = play(text)
  assert_eq(rc, 0, out)
  -- config changes again; keep reads the file anew after that change and
  -- finds its line (from the gathered answer it would add it again); other
  -- is answered from the first session. Two sessions: the state check, then
  -- the write with the dependent task's new read after it
  on_hosts(("echo changed > %s/app/config"):format(root))
  local during = sessions_during(function()
    out, rc = play(text)
    assert_eq(rc, 0, out)
  end)
  local s = recap(out).host1
  assert_eq(s.changed, 1, out)
  assert_eq(s.ok, 2, out)
  assert_eq(on_hosts("cat " .. root .. "/app/config").host1, "a = 1\nkeep = yes\n")
  assert_eq(during.host1, 2, "sessions: the state check, then the write and the dependent task's read")
end)

test("a template into a directory a file task creates, a line in a file a command creates", function()
  local root = "/srv/spec-batch-new"
  local text = ([[
return lab.playbook {
  name = "new things",
  hosts = { tag = "test" },
  tasks = {
    lab.task.file { name = "dir", path = "%s/conf.d", state = "directory", mode = "0750" },
    lab.task.template { name = "conf", path = "%s/conf.d/app.conf", text = "name = {{ host.name }}\n" },
    lab.task.command { name = "seed", "printf 'a = 1\\nb = 1\\n' > %s/conf.d/seeded", creates = "%s/conf.d/seeded" },
    lab.task.line { name = "a", path = "%s/conf.d/seeded", regexp = "^a =", line = "a = 2" },
  },
}
]]):gsub("%%s", root)
  on_hosts("rm -rf " .. root)
  local out, rc = play(text)
  assert_eq(rc, 0, out)
  for i = 1, count do
    local s = recap(out)["host" .. i]
    assert_eq(s.changed, 4, "host" .. i .. "\n" .. out)
  end
  local seen = on_hosts(("stat -c %%a %s/conf.d; cat %s/conf.d/app.conf %s/conf.d/seeded"):format(root, root, root))
  assert_eq(seen.host2, "750\nname = host2\na = 2\nb = 1\n", "the line task saw the file the command made")
  out, rc = play(text)
  assert_eq(rc, 0, out)
  assert_eq(recap(out).host1.ok, 4, out)
end)

test("file names and contents with newlines and NUL bytes come back whole", function()
  local root = "/srv/spec-batch-odd"
  local odd = root .. "/two\nlines 'quoted' $x"
  local text = ([[
return lab.playbook {
  name = "odd",
  hosts = "host1",
  tasks = {
    lab.task.file { name = "dir", path = %q, state = "directory" },
    lab.task.file { name = "odd", path = %q, content = "labsh-read 1 0 5 0\n\0bytes\255\n" },
    lab.task.file { name = "plain", path = %q, content = "labsh-end 3\n" },
  },
}
]]):format(root, odd, root .. "/plain")
  on_hosts("rm -rf " .. root)
  local out, rc = play(text)
  assert_eq(rc, 0, out)
  out, rc = play(text)
  assert_eq(rc, 0, out)
  assert_eq(recap(out).host1.ok, 3, out)
end)

test("the host's answer is read strictly: a malformed one is an error, never an ok", function()
  local reads = { { script = "a" }, { script = "b" } }
  local heads = "labsh-answers 2\nlabsh-read 1 0 3 1\nlabsh-read 2 1 0 0\n"
  local good = heads .. "ab\nE" .. "labsh-end 2\n"
  local answers = assert(session.parse(good, reads, "h"))
  assert_eq(answers[1].stdout, "ab\n")
  assert_eq(answers[1].stderr, "E")
  assert_eq(answers[2].status, 1)
  local bad = {
    ["cut short"] = heads .. "ab\n",
    ["a body too long"] = heads .. "ab\nEE" .. "labsh-end 2\n",
    ["a record missing"] = "labsh-answers 2\nlabsh-read 1 0 3 1\nab\nElabsh-end 2\n",
    ["fewer answers without a failed change"] = "labsh-answers 1\nlabsh-read 1 0 0 0\nlabsh-end 1\n",
    ["more answers than commands"] = "labsh-answers 3\nlabsh-read 1 0 0 0\nlabsh-read 2 0 0 0\nlabsh-read 3 0 0 0\nlabsh-end 3\n",
    ["numbered out of turn"] = "labsh-answers 2\nlabsh-read 2 0 0 0\nlabsh-read 1 0 0 0\nlabsh-end 2\n",
    ["bytes after the end"] = good .. "x",
    ["no end line"] = heads .. "ab\nE",
    ["an exit status over 255"] = "labsh-answers 2\nlabsh-read 1 300 0 0\nlabsh-read 2 0 0 0\nlabsh-end 2\n",
    ["a negative length"] = "labsh-answers 2\nlabsh-read 1 0 -3 0\nlabsh-read 2 0 0 0\nlabsh-end 2\n",
    ["a length too long to be one"] = "labsh-answers 2\nlabsh-read 1 0 1234567890123 0\nlabsh-read 2 0 0 0\nlabsh-end 2\n",
    ["nothing"] = "",
  }
  for what, text in pairs(bad) do
    local parsed, why = session.parse(text, reads, "h")
    assert(parsed == nil and type(why) == "string", what .. ": taken as an answer")
  end
  -- a change that fails ends the answer there, and nothing else does
  local changes = { { script = "a", write = true }, { script = "b" } }
  local stopped = assert(session.parse("labsh-answers 1\nlabsh-read 1 1 0 2\nnolabsh-end 1\n", changes, "h"))
  assert_eq(#stopped, 1)
  assert_eq(stopped[1].stderr, "no")
  for what, text in pairs {
    ["a record after a failed change"] = "labsh-answers 2\nlabsh-read 1 1 0 0\nlabsh-read 2 0 0 0\nlabsh-end 2\n",
    ["an early end after a change that worked"] = "labsh-answers 1\nlabsh-read 1 0 0 0\nlabsh-end 1\n",
  } do
    assert(session.parse(text, changes, "h") == nil, what .. ": taken as an answer")
  end
end)

test("a host whose state check answers in a wrong form fails with a clear error", function()
  -- host1's wc says every file is empty (its root's .bashrc puts it first on
  -- the PATH): the lengths in its answer do not fit the bytes that follow
  local home, bin = dir .. "/host1/root/.bashrc", dir .. "/host1/srv/spec-hostile-bin"
  os.execute("mkdir -p '" .. bin .. "'")
  write_file(bin .. "/wc", '#!/bin/sh\nshift\nfor f in "$@"; do echo "0 $f"; done\n')
  os.execute("chmod 755 '" .. bin .. "/wc'")
  write_file(home, "PATH=/srv/spec-hostile-bin:$PATH\n")
  local out, rc = play([[
return lab.playbook {
  name = "hostile",
  hosts = { "host1", "host2" },
  tasks = { lab.task.file { name = "f", path = "/srv/spec-batch-hostile", content = "x\n" } },
}
]])
  os.remove(home)
  os.execute("rm -rf '" .. bin .. "'")
  assert(rc ~= 0, out)
  local s = recap(out)
  assert_eq(s.host1.failed, 1, out)
  assert_eq(s.host1.ok + s.host1.changed, 0, out)
  assert(out:find("host1  state check: the host's answer is malformed", 1, true), out)
  assert_eq(s.host2.changed + s.host2.ok, 1, "the other host goes on:\n" .. out)
  on_hosts("rm -f /srv/spec-batch-hostile")
end)

test("a play that mixes sudo and not learns each through its own session", function()
  -- logged in as ops, sudo with a password from a secret reference
  local as_ops = read_file(inventory):gsub('user = "root",',
    ('user = "ops", sudo_password = "file:%s/sudo_password",'):format(dir))
  local ops_inventory = write_temp(as_ops)
  local text = [[
return lab.playbook {
  name = "sudo",
  hosts = "host1",
  sudo = true,
  tasks = {
    lab.task.file { name = "as root", path = "/srv/spec-batch-sudo", content = "root's\n", mode = "0600" },
    lab.task.file { name = "as ops", path = "/tmp/spec-batch-ops", content = "ops'\n", sudo = false },
  },
}
]]
  on_hosts("rm -f /srv/spec-batch-sudo /tmp/spec-batch-ops")
  local path = write_temp(text)
  local function run() return run_labsh(("--inventory %s --yes %s"):format(ops_inventory, path)) end
  local out, rc = run()
  assert_eq(rc, 0, out)
  assert_eq(recap(out).host1.changed, 2, out)
  local during = sessions_during(function()
    out, rc = run()
    assert_eq(rc, 0, out)
  end)
  os.remove(path)
  os.remove(ops_inventory)
  assert_eq(recap(out).host1.ok, 2, out)
  assert_eq(during.host1, 2, "one session as root, one as ops")
  assert_eq(on_hosts("stat -c '%U %a' /srv/spec-batch-sudo /tmp/spec-batch-ops").host1, "root 600\nops 644\n")
end)

test("a run stopped midway has printed and audited what its finished sessions did", function()
  local root = "/srv/spec-batch-stop"
  on_hosts("rm -rf " .. root .. "; mkdir -p " .. root)
  local state = os.tmpname()
  os.remove(state)
  local path = write_temp(([[
return lab.playbook {
  name = "stopped",
  hosts = { "host1", "host2" },
  tasks = {
    lab.task.file { name = "first", path = "%s/first", content = "1\n" },
    lab.task.command { name = "quick", "echo quick" },
    lab.task.command { name = "long", "touch %s/started; sleep 60" },
    lab.task.file { name = "never", path = "%s/never", content = "2\n" },
  },
}
]]):gsub("%%s", root))
  local labsh = os.getenv("LABSH_BIN") or arg[-1]
  local printed = os.tmpname()
  local pid = io.popen(("LABSH_STATE_DIR=%s %s --inventory %s --yes %s >%s 2>&1 & echo $!")
    :format(state, labsh, inventory, path, printed)):read("l")
  -- wait (at most a minute) until the long command runs on both hosts, then stop labsh
  local started = false
  for _ = 1, 300 do
    local seen = on_hosts("ls " .. root .. "/started 2>/dev/null | wc -l")
    if seen.host1 == "1\n" and seen.host2 == "1\n" then started = true; break end
    os.execute("sleep 0.2")
  end
  os.execute("kill -TERM " .. pid .. "; sleep 1; kill -KILL " .. pid .. " 2>/dev/null")
  os.remove(path)
  assert(started, "the long command started on both hosts")
  local changed = {}
  for line in io.lines(state .. "/audit.log") do
    local entry = lab.json.decode(line)
    if entry.action == "playbook.task" then changed[#changed + 1] = entry.target .. " " .. entry.details.task end
  end
  os.execute("rm -rf '" .. state .. "'")
  local out = read_file(printed)
  os.remove(printed)
  assert(out:find("TASK [quick]\n  changed     host1  quick\n  changed     host2  quick\n", 1, true), out)
  assert(not out:find("TASK [long]", 1, true), out)
  table.sort(changed)
  -- first and quick went in one session, which ended before long's began
  assert_same(changed, { "host1 first", "host1 quick", "host2 first", "host2 quick" },
    "the changes made before the stop")
  on_hosts("pkill -f 'sleep 60' 2>/dev/null; rm -rf " .. root .. "; true")
end)
