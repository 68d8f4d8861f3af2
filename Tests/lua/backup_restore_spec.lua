-- labsh -m backup-restore against a real restic repository: the plan under
-- --dry-run, a verified restore with --yes, and a refusal to restore over
-- existing files.

local filesystem = require "labsh.filesystem"

local labsh = os.getenv("LABSH_BIN") or arg[-1]
local tmp = filesystem.temp_directory("labsh-restore-spec")
local repo, source = tmp .. "/repo", tmp .. "/src"
local env = { RESTIC_PASSWORD = "restore-spec", RESTIC_CACHE_DIR = tmp .. "/cache",
              LABSH_STATE_DIR = tmp .. "/state", LABSH_PATH = false }

local function sh(argv)
  local r = lab.process.run { argv = argv, env = env, timeout = 120 }
  return r.status, r.stdout .. r.stderr
end

local function restore(...)
  return sh { labsh, "-m", "backup-restore", "--repo", repo, ... }
end

local function files_under(dir)
  local _, out = sh { "find", dir, "-type", "f" }
  local count = 0
  for _ in out:gmatch("[^\n]+") do count = count + 1 end
  return count
end

-- One repository with one snapshot of three files.
filesystem.make_directories(source .. "/etc")
write_file(source .. "/a.txt", "alpha\n")
write_file(source .. "/etc/b.conf", "beta\n")
write_file(source .. "/etc/c.conf", ("gamma\n"):rep(1000))
assert(sh { "restic", "init", "--repo", repo, "-q" } == 0, "restic init")
assert(sh { "restic", "--repo", repo, "backup", "-q", source } == 0, "restic backup")

test("--dry-run prints the plan and restores nothing", function()
  local status, said = restore("--target", tmp .. "/dry", "--dry-run")
  assert_eq(status, 0, said)
  assert(said:find("restic restore latest --target " .. tmp .. "/dry --verify", 1, true), said)
  assert_eq(sh { "test", "-e", tmp .. "/dry" }, 1, "no target made")
end)

test("a restore with --yes is verified against the snapshot's listing", function()
  local status, said = restore("--target", tmp .. "/full", "--yes")
  assert_eq(status, 0, said)
  assert(said:find("restored and verified 3 files", 1, true), said)
  assert_eq(files_under(tmp .. "/full"), 3)
  assert_eq(read_file(tmp .. "/full" .. source .. "/etc/c.conf"), ("gamma\n"):rep(1000))
  local status2, said2 = restore("--target", tmp .. "/part", "--include", source .. "/etc", "--yes")
  assert_eq(status2, 0, said2)
  assert_eq(files_under(tmp .. "/part"), 2, "only --include's files")
end)

test("a target with files in it is refused and left as it was", function()
  filesystem.make_directories(tmp .. "/busy")
  write_file(tmp .. "/busy/keep.txt", "mine\n")
  local status, said = restore("--target", tmp .. "/busy", "--yes")
  assert_eq(status, 1, said)
  assert(said:find("is not empty", 1, true), said)
  assert_eq(read_file(tmp .. "/busy/keep.txt"), "mine\n")
end)

test("cleanup", function() filesystem.remove_tree(tmp) end)
