-- backup-restore: restore a restic snapshot and verify it, as a runbook.
--
-- Bring data back from a restic repository (plan §5.1 DR
-- procedures), as a runbook.
--
--   labsh -m backup-restore --repo /srv/restic/pve1 --target /srv/restore --dry-run
--   labsh -m backup-restore --repo /srv/restic/pve1 --target /srv/restore \
--         --snapshot 4f2a9c1e --include /etc --password env:RESTIC_PASSWORD --yes
--
-- Steps: check the repository's structure, restore the snapshot into an
-- empty target with `restic restore --verify` (every chunk re-read and
-- checked against the snapshot's hashes), then compare the restored files
-- with the snapshot's listing. A restore that fails its verification
-- removes what it wrote.
-- An emergency change: restoring is what an incident needs, at any hour.

local host = require "labsh.host"

local function repository(p)
  return lab.restic(p.repo, { password = p.password })
end

-- Files of the snapshot under `include` (all when nil), as restic lists them.
local function expected_files(repo, snapshot, include)
  local count = 0
  for _, node in ipairs((repo:ls(snapshot))) do
    local wanted = include == nil or node.path == include or node.path:sub(1, #include + 1) == include .. "/"
    if node.type == "file" and wanted then count = count + 1 end
  end
  return count
end

local function restored_files(target)
  local r = lab.process.run { argv = { "find", target, "-type", "f" }, read_only = true }
  if r.status ~= 0 then error("cannot list " .. target .. ": " .. r.stderr, 0) end
  local count = 0
  for _ in r.stdout:gmatch("[^\n]+") do count = count + 1 end
  return count
end

lab.runbook {
  name = "backup-restore",
  description = "Restore a restic snapshot into an empty directory and verify it (§5.1).",
  change = "emergency",
  params = {
    { name = "repo", help = "the restic repository", required = true },
    { name = "target", help = "an empty or new directory to restore into", required = true },
    { name = "snapshot", help = "snapshot ID", default = "latest" },
    { name = "include", help = "restore only this path of the snapshot" },
    { name = "password", help = "the repository password as env:NAME or file:PATH", default = "env:RESTIC_PASSWORD" },
  },
  steps = {
    {
      title = "check the repository",
      plan = function(ctx) return "restic check on " .. ctx.params.repo end,
      run = function(ctx)
        local result = repository(ctx.params):check()
        if not result.ok then error("the repository has errors: " .. tostring(result.output), 0) end
      end,
    },
    {
      title = "restore with verification",
      plan = function(ctx)
        local p = ctx.params
        return ("restic restore %s --target %s%s --verify"):format(p.snapshot, p.target,
          p.include and (" --include " .. p.include) or "")
      end,
      run = function(ctx)
        local p = ctx.params
        local existing = lab.process.run { argv = { "find", p.target, "-mindepth", "1", "-print", "-quit" },
                                           read_only = true }
        if existing.status == 0 and existing.stdout ~= "" then
          error(p.target .. " is not empty: restore into an empty or new directory", 0)
        end
        repository(p):restore(p.snapshot, p.target, { include = p.include, verify = true })
      end,
      verify = function(ctx)
        local p = ctx.params
        local want, have = expected_files(repository(p), p.snapshot, p.include), restored_files(p.target)
        if want ~= have then error(("restored %d files, the snapshot lists %d"):format(have, want), 0) end
        io.stderr:write(("restored and verified %d files into %s\n"):format(have, p.target))
        return true
      end,
      rollback = function(ctx) host.remove_tree(ctx.params.target) end,
    },
  },
}
