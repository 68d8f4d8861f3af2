/// The inventory's maintenance windows (plan §5.3) in time: a window with a
/// schedule (cron or OnCalendar: when it opens) and a duration (how long it
/// stays open). One without either, "as needed", never opens by itself.
public struct MaintenanceOpening: Equatable, Sendable {
    public let name: String
    public let opens: Int64
    public let closes: Int64
}

extension Inventory {
    /// The window open at `now` (the first of the section's order), else
    /// nil and the next time any window opens. Schedules are read in
    /// `zone`: the inventory's site.timezone, never the process's TZ.
    public func maintenanceWindow(at now: Int64, zone: TimeZoneRules) throws -> (open: MaintenanceOpening?, next: Int64?) {
        var next: Int64?
        for window in maintenance {
            guard let text = window.schedule, let duration = window.duration else { continue }
            let schedule = try Schedule(parsing: text)  // checked when the inventory loaded
            let length = duration.components.seconds
            // The latest opening that can still be open is the first one
            // after now - length.
            if let start = schedule.next(after: now - length, zone: zone).first, start <= now, now < start + length {
                return (MaintenanceOpening(name: window.name, opens: start, closes: start + length), nil)
            }
            if let upcoming = schedule.next(after: now, zone: zone).first, next.map({ upcoming < $0 }) ?? true {
                next = upcoming
            }
        }
        return (nil, next)
    }
}
