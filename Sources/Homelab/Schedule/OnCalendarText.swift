/// A schedule as systemd's `OnCalendar=` says it, for timer units. A cron
/// expression is written from the fields cron parsed (CronExpression), so
/// the timer fires at the times cron would, in the zone it is given.
extension Schedule {
    /// cron's macros that systemd has a word for; `@weekly` is not one
    /// (systemd's `weekly` is Monday, cron's Sunday).
    static let calendarWords = ["@yearly": "yearly", "@annually": "yearly", "@monthly": "monthly",
                                "@daily": "daily", "@midnight": "daily", "@hourly": "hourly"]

    /// The OnCalendar text; an OnCalendar expression comes back as written.
    /// With `zone`, an expression that names no zone of its own gets it.
    /// Throws for a cron expression systemd cannot say: day of month and day
    /// of week both restricted (cron runs on either, systemd needs both).
    public func onCalendar(zone: String? = nil) throws -> String {
        let trimmed = text.trimmedBlanks
        var calendar = trimmed
        if kind == .cron {
            guard let cron = pattern as? CronExpression else { preconditionFailure("a cron schedule has a cron pattern") }
            calendar = try Self.calendarWords[trimmed.lowercased()] ?? cron.onCalendar(text: trimmed)
        }
        guard let zone, zoneName == nil else { return calendar }
        return calendar + " " + zone
    }
}

extension CronExpression {
    func onCalendar(text: String) throws -> String {
        var weekdays = weekdays, days = Array(days).sorted()
        if !domStar && !dowStar {
            // cron's OR: a field that holds every value makes every day run.
            if weekdays.count == 7 || days.count == 31 {
                weekdays = Set(0...6)
                days = Array(1...31)
            } else {
                throw HomelabError("cron '\(text)' restricts day of month and day of week (cron runs on either): "
                                   + "no OnCalendar equivalent")
            }
        }
        let dayPart = weekdays.count == 7 ? "" : Self.weekdayList(weekdays) + " "
        let date = "*-" + Self.list(months.sorted(), 1...12, pad: false) + "-" + Self.list(days, 1...31, pad: false)
        let time = Self.list(hours, 0...23, pad: false) + ":" + Self.list(minutes, 0...59, pad: true) + ":00"
        return dayPart + date + " " + time
    }

    /// Sorted values of one field as systemd writes them: `*` for all of
    /// them, `a/step` or `a..b/step` for a progression, else a list of
    /// values and `a..b` runs.
    static func list(_ values: [Int], _ all: ClosedRange<Int>, pad: Bool) -> String {
        func text(_ v: Int) -> String { pad && v < 10 ? "0\(v)" : "\(v)" }
        if values.count == all.count { return "*" }
        if values.count >= 3 {
            let step = values[1] - values[0]
            if step > 1, zip(values, values.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                let last = values[values.count - 1]
                return text(values[0]) + (last + step > all.upperBound ? "" : ".." + text(last)) + "/\(step)"
            }
        }
        return runs(values).map { $0.count >= 3 ? text($0[0]) + ".." + text($0[$0.count - 1]) : $0.map(text).joined(separator: ",") }
            .joined(separator: ",")
    }

    /// Weekdays (0 = Sunday) in systemd's week, which runs Monday to Sunday.
    static func weekdayList(_ days: Set<Int>) -> String {
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let mondayFirst = days.map { ($0 + 6) % 7 }.sorted()
        return runs(mondayFirst).map { $0.count >= 3 ? names[$0[0]] + ".." + names[$0[$0.count - 1]] : $0.map { names[$0] }.joined(separator: ",") }
            .joined(separator: ",")
    }

    /// Sorted values cut into runs of consecutive ones.
    static func runs(_ values: [Int]) -> [[Int]] {
        var out: [[Int]] = []
        for v in values {
            if let last = out.last?.last, last + 1 == v { out[out.count - 1].append(v) } else { out.append([v]) }
        }
        return out
    }
}
