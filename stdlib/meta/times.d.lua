---@meta
-- Times and durations: one grammar for the whole of labsh (inventories,
-- lab.job, lab.prom, lab.alertmanager, lab.capacity, the command line),
-- read by Homelab (Sources/Homelab/DurationText.swift, Retention/
-- ZonedTimeText.swift) through labsh.times (Sources/LabBindings/TimesModule.swift).

---A duration: whole numbers with a unit, s m h d w, written together:
---"30s", "15m", "4h", "7d", "2w", "1h30m". No fractions ("1.5h": write
---"1h30m"), no milliseconds, no years (a year is not a fixed length).
---Where labsh takes a duration from Lua or the command line, a number of
---seconds also does: 90, or its decimal text "90", "2.5".
---@class lab.Duration

---A time: Unix seconds (a number, or its decimal text "1795748400"),
---"now", an offset from now in the duration grammar ("-1h", "+30m",
---"-1h30m"), or RFC 3339 ("2026-11-27T03:00:00Z", "2026-11-27
---04:00:00.250+01:00"), read from its fields whatever TZ says. Seconds
---run 00-59 (no leap second 60) and a fraction needs its dot. Written
---back as RFC 3339 in UTC, with milliseconds when not whole.
---@class lab.Time
