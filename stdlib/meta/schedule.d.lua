---@meta
-- Declarations of `lab.schedule`, for editors (LuaLS) and help() at the prompt.

---When cron jobs and systemd timers fire, exactly as cron and systemd decide.
lab.schedule = {}

---The next fire times of `expr`, as Unix seconds, strictly after
---`opts.from` (Unix seconds or RFC 3339; default now); `opts.count` of them
---(default 1, fewer when the expression stops matching); in time zone
---`opts.tz` ("Europe/Berlin", "UTC"; default the local zone).
---`expr` is a cron expression with Vixie cron's rules ("30 2 * * 1-5",
---"*/15 * * * *", names like mon and jan, Sunday 0 or 7, day of month OR day
---of week unless either starts with *, "@daily" and the other macros) or a
---systemd OnCalendar expression ("Mon..Fri 02:00", "*-*~01", "weekly",
---"*-*-* 02:00 Europe/Berlin"; a zone in it wins over opts.tz).
---Across daylight saving time each does what its scheduler does: cron runs
---a job with a fixed minute and hour that falls in a skipped hour right after
---the jump, and only once in a repeated hour; `*` jobs run at the wall times
---that happen. OnCalendar skips wall times that do not exist and fires once
---in a repeated hour: in its first pass (in the second when counting from
---inside it).
---@param expr string
---@param opts {from: number|string?, count: integer?, tz: string?}?
---@return integer[]
function lab.schedule.next(expr, opts) end
