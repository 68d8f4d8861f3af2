-- labsh.gate: the one place that decides whether labsh may change anything.
--
-- Every mutating call (posting alerts, silences, pushes, writing files) asks
-- here first. Today it honours --dry-run; asking at a terminal and the audit
-- log belong here too, so callers need not change when they arrive.

local gate = {}

--- May labsh do `action` (e.g. "create a silence on http://am:9093 for
--- alertname=\"DiskFull\"")? Under --dry-run it says on stderr what it would
--- do and answers false; the caller then changes nothing and returns nil.
function gate.allows(action)
  if lab.options.dry_run then
    io.stderr:write("dry run: would ", action, "\n")
    return false
  end
  return true
end

return gate
