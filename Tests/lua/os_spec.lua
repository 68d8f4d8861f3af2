-- labsh.os: the system calls behind jobs and the audit log, against the
-- real thing (sha256sum, flock(1)).

local os_ = require "labsh.os"
local digests = require "labsh.digest"
local filesystem = require "labsh.filesystem"
local tmp = filesystem.temp_directory("labsh-os-spec")

test("sha256 agrees with sha256sum, also across block boundaries", function()
  for _, text in ipairs { "", "abc", ("x"):rep(55), ("x"):rep(56), ("y"):rep(64), ("\0\255"):rep(100000) } do
    local r = lab.process.run { argv = { "sha256sum" }, stdin = text }
    assert_eq(digests.sha256(text), r.stdout:match("^%x+"), #text .. " bytes")
  end
end)

test("lock: exclusive across processes, released when its holder dies", function()
  local path = tmp .. "/x.lock"
  local fd = assert(filesystem.lock(path))
  assert_eq(read_file(path), lab.sys.pid() .. "\n")
  -- flock(1) from another process cannot take it while we hold it
  local r = lab.process.run { argv = { "flock", "--nonblock", path, "true" } }
  assert_eq(r.status, 1)
  filesystem.unlock(fd)
  r = lab.process.run { argv = { "flock", "--nonblock", path, "true" } }
  assert_eq(r.status, 0)
  -- a process that dies holding it leaves no stale lock
  r = lab.process.run { argv = { "sh", "-c", ("flock %s sh -c 'kill -9 $$'"):format(path) } }
  assert(filesystem.lock(path), "the dead holder's lock is gone")
end)

test("list, alive, executable", function()
  write_file(tmp .. "/b", "")
  write_file(tmp .. "/a", "")
  local names = filesystem.list(tmp)
  assert_eq(names[1], "a")
  assert_eq(filesystem.list(tmp .. "/missing"), nil)
  assert_eq(os_.alive(lab.sys.pid()), true)
  assert_eq(os_.alive(math.tointeger(2 ^ 22) + 12345), false)
  assert(os_.executable():match("labsh$"), os_.executable())
end)

test("(cleanup)", function() assert(filesystem.remove_tree(tmp)) end)
