-- labsh.dryrun: under --dry-run the effects labsh causes itself do not
-- happen. A program (lab.process), a command on a host (lab.exec,
-- node:exec), a copy (lab.ssh.copy, lab.ssh.fetch) or an HTTP write (any
-- method but GET, HEAD and OPTIONS) that is not marked read_only = true is
-- skipped: the gate says on stderr what would have
-- happened ("dry run: would run on pve1: rm -rf /srv/data") and the audit
-- log records it as a dry-run entry.
--
-- A call that only reads says so with read_only = true and runs, so a dry
-- run still sees the real state (playbooks' check mode reads each host).

local gate = require "labsh.gate"

local dryrun = {}

--- Whether --dry-run is on (lab.options.dry_run, set before or after -m).
function dryrun.active()
  return lab.options.dry_run and true or false
end

--- Under --dry-run: says `text` ("run on pve1: uptime") on stderr, records
--- `action` on `target` with `details` in the audit log and returns true:
--- the caller must not do it. Otherwise returns false.
function dryrun.skips(text, action, target, details)
  if not dryrun.active() then return false end
  gate.allows(gate.redact(text))
  gate.audit { action = action, target = target, details = details, outcome = "dry run", dry_run = true }
  return true
end

-- A word as a shell would need it, for showing a command line.
local function shell_word(word)
  if word ~= "" and not word:find("[^%w%./_=:,+@%%-]") then return word end
  return "'" .. word:gsub("'", "'\\''") .. "'"
end

--- Says and records the program `argv` that a dry run does not start
--- (lab.process.run and run_all call it for each skipped program).
function dryrun.process(argv)
  local words = {}
  for i, word in ipairs(argv) do words[i] = shell_word(word) end
  return dryrun.skips("run: " .. table.concat(words, " "), "process.run", argv[1], { argv = argv })
end

--- Says and records the HTTP write a dry run does not send ("dry run:
--- would POST http://am:9093/api/v2/silences"); lab.http calls it for each
--- request it skips.
function dryrun.http(method, url)
  return dryrun.skips(method .. " " .. url, "http." .. method:lower(), url, { method = method, url = url })
end

return dryrun
