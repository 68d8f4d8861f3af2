-- demo: what `make run` shows until the daily report arrives.
-- Run it with `labsh -m demo`; copy it to start a script of your own.

local pretty = require "labsh.pretty"

print(("labsh %s (%s) on %s, pid %d"):format(
  lab.version, _VERSION, lab.sys.hostname(), lab.sys.pid()))
print()

-- Plain data prints as an aligned table: a list of records.
local checks = {
  { name = "startup", what = "labsh -e ''", note = "compare: lua5.4 -e ''" },
  { name = "modules", what = "lab.sys", note = "loaded on first use" },
  { name = "options", what = "lab.options.format", note = lab.options.format },
}
print(pretty.format(checks))
print()

local started = lab.sys.monotonic()
local sum = 0
for i = 1, 1000000 do sum = sum + i end
print(("counted to a million in %.1f ms (sum %d)"):format(
  (lab.sys.monotonic() - started) * 1000, sum))
