-- The gather answers the file tasks' state reads of a host in one step
-- (labsh.playbook_file_reads): one stat and one cat for all the paths,
-- which a cold run's handshakes need the CPU of. Each answer must be the
-- very result the task's own read would have had, and an output that does
-- not add up must answer nothing (the task then reads for itself).

local test_hosts = dofile((os.getenv("LABSH_ROOT") or ".") .. "/Tests/lua/playbook_support.lua")
local inventory = test_hosts.inventory
local gather = require "labsh.playbook_gather"
local file_reads = require "labsh.playbook_file_reads"
local remote = require "labsh.remote"

local root = "/srv/spec-cold"

-- Every kind of thing a file task may find at its path on host1.
local fixture = table.concat({
  "rm -rf " .. root, "mkdir -p " .. root .. "/dir",
  "printf 'two\\nlines\\n' > " .. root .. "/text",
  "printf 'no newline\\0and a NUL' > " .. root .. "/binary",
  ": > " .. root .. "/empty",
  "printf 'odd name\\n' > \"" .. root .. "/it's a\nname\"",
  "chmod 0600 " .. root .. "/text", "chown ops:ops " .. root .. "/binary",
  "ln -s text " .. root .. "/link", "ln -s nowhere " .. root .. "/dangling",
  "mkfifo " .. root .. "/fifo",
}, " && ")

local paths = { "text", "binary", "empty", "it's a\nname", "dir", "link", "dangling", "fifo", "absent", "dir/absent" }
for i, name in ipairs(paths) do paths[i] = root .. "/" .. name end
paths[#paths + 1] = "/dev/null"

-- The first reads real tasks make of `path`: a file's (with its content)
-- and a directory's (without).
local function reads_of(path)
  local tasks = {
    lab.task.file { name = "file", path = path, content = "x\n" },
    lab.task.file { name = "dir", path = path, state = "directory" },
  }
  return gather.first_reads(tasks, { host = "host1", vars = {}, check = false, sudo = false })
end

test("a file task's read is answered in the gather's step exactly as its own script answers it", function()
  with_inventory(read_file(inventory), function()
    local setup = remote.run("host1", fixture)
    assert_eq(setup.status, 0, setup.stderr)
    local entries, own = {}, {}
    for _, path in ipairs(paths) do
      for _, read in ipairs(reads_of(path)) do
        local p, content = file_reads.recognize(read.script)
        assert_eq(p, path, "lab.task's read of " .. path .. " is recognized: " .. read.script)
        entries[#entries + 1] = { path = p, content = content }
        -- its own script, except a fifo's content: cat would wait for a writer
        if not (content and p:match("/fifo$")) then own[#entries] = remote.run("host1", read.script) end
      end
    end
    assert_eq(#entries, 2 * #paths, "two reads of each path")
    local step = remote.run("host1", file_reads.script(entries))
    local answers = file_reads.answers(step, entries, "host1")
    local answered = 0
    for _ in pairs(answers) do answered = answered + 1 end
    assert_eq(answered, #entries - 2, "every read but the fifo's and /dev/null's content is answered")
    for i, e in ipairs(entries) do
      local what = ("%q (content: %s)"):format(e.path, tostring(e.content))
      if e.content and (e.path:match("/fifo$") or e.path == "/dev/null") then
        assert_eq(answers[i], nil, "no answer for a special file's content: " .. what)
      else
        assert(answers[i], "an answer for " .. what)
        assert_eq(answers[i].stdout, own[i].stdout, what)
        assert_eq(answers[i].stderr, own[i].stderr, what)
        assert_eq(answers[i].status, own[i].status, what)
      end
    end
    remote.run("host1", "rm -rf " .. root)
  end)
end)

test("an output that does not add up answers no file read", function()
  local entries = { { path = "/a", content = true }, { path = "/b", content = false } }
  local function outcome(stdout, status, stderr)
    return { status = status or 0, stdout = stdout, stderr = stderr or "" }
  end
  local good = "content\ndirectory\n/a\0" .. "3 644:root:root\0/b\0" .. "4096 755:root:root\0abc"
  local answers = file_reads.answers(outcome(good), entries, "h")
  assert_eq(answers[1].stdout, "file 644:root:root\nabc")
  assert_eq(answers[2].stdout, "directory 755:root:root\n")
  -- a file that grew or shrank between stat and cat, a record of another
  -- path, a missing record, a failed step: nothing
  assert_eq(next(file_reads.answers(outcome(good .. "d"), entries, "h")), nil)
  assert_eq(next(file_reads.answers(outcome(good:sub(1, -2)), entries, "h")), nil)
  assert_eq(next(file_reads.answers(outcome((good:gsub("/b\0", "/c\0"))), entries, "h")), nil)
  assert_eq(next(file_reads.answers(outcome("content\ndirectory\n/a\0" .. "3 644:root:root\0abc"), entries, "h")), nil)
  assert_eq(next(file_reads.answers(outcome(good, 1), entries, "h")), nil)
  assert_eq(next(file_reads.answers(outcome(good, 0, "cat: /a: Permission denied\n"), entries, "h")), nil)
end)

test("only a read of exactly lab.task's form is recognized", function()
  local script = reads_of("/srv/x")[1].script
  assert_eq(file_reads.recognize(script), "/srv/x")
  assert_eq(file_reads.recognize(script .. " "), nil)
  assert_eq(file_reads.recognize(script:gsub("stat %-c", "stat -L -c")), nil)
  assert_eq(file_reads.recognize("p='/srv/x'; if [ -L \"$p\" ]; then rm -rf /; fi"), nil)
end)

test("a rerun of file tasks reads them in one step: the host starts one stat and one cat", function()
  local text = ([[
return lab.playbook {
  name = "cold", hosts = "host1",
  tasks = {
    lab.task.file { name = "a", path = "%s/a", content = "a\n" },
    lab.task.file { name = "b", path = "%s/b", content = "b\n", mode = "0600" },
    lab.task.line { name = "c", path = "%s/c", line = "c = 1", create = true },
    lab.task.file { name = "d", path = "%s/d", state = "directory" },
  },
}
]]):gsub("%%s", root)
  test_hosts.on_hosts("rm -rf " .. root .. " && mkdir -p " .. root)
  local out, rc = test_hosts.play(text)
  assert_eq(rc, 0, out)
  -- the session's script, as the rerun sends it
  local dump = write_temp(([[
local session = require "labsh.playbook_session"
local script = session.script
session.script = function(records)
  local text = script(records)
  io.stdout:write("SCRIPT\n", text, "END\n")
  return text
end
return dofile(%q)
]]):format(write_temp(text)))
  out, rc = run_labsh(("--inventory %s --yes %s"):format(inventory, dump))
  assert_eq(rc, 0, out)
  assert(out:find("ok=4 changed=0", 1, true), out)
  local sent = assert(out:match("SCRIPT\n(.-)END\n"), out)
  local _, stats = sent:gsub("stat %-%-printf", "")
  local _, own = sent:gsub("stat %-c", "")
  assert_eq(stats, 1, sent)
  assert_eq(own, 0, sent)
  test_hosts.on_hosts("rm -rf " .. root)
end)
