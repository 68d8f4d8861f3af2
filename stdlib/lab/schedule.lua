-- lab.schedule: when cron jobs and systemd timers fire. Parsing and the
-- calendar arithmetic are Swift (Sources/Homelab/Schedule): Vixie cron's and
-- systemd's rules exactly, daylight saving time included.

local native = require "labsh.schedule"

local schedule = {}

--- The next fire times of a cron expression ("30 2 * * 1-5", "@daily") or
--- a systemd OnCalendar expression ("Mon..Fri 02:00", "weekly"), as Unix
--- seconds, strictly after `opts.from` (default now), `opts.count` of
--- them (default 1), in time zone `opts.tz` (default the local one).
--- (The Swift function itself, so errors name the caller's line.)
schedule.next = native.next

return schedule
