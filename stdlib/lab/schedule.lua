-- lab.schedule: when cron jobs and systemd timers fire. Parsing and the
-- calendar arithmetic are Swift (Sources/Homelab/Schedule): Vixie cron's and
-- systemd's rules exactly, daylight saving time included.

local blame = require "labsh.blame"
local columns = require "labsh.columns"
local native = require "labsh.schedule"

local schedule = {}

--- The next fire times of a cron expression ("30 2 * * 1-5", "@daily") or
--- a systemd OnCalendar expression ("Mon..Fri 02:00", "weekly"), as Unix
--- seconds, strictly after `opts.from` (default now), `opts.count` of
--- them (default 1), in time zone `opts.tz` (default the local one). The
--- list prints at the prompt as local times; its values stay the numbers.
function schedule.next(expression, opts)
  local times = blame.call("lab.schedule.next", 0, 2, native.next, expression, opts)
  return columns.mark("lab.schedule.Times", times)
end

return schedule
