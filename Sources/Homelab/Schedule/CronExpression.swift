/// A crontab time specification with Vixie cron's semantics (entry.c and
/// cron.c of the cron Debian ships):
/// - five fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or
///   jan-dec, day of week 0-7 or sun-sat (0 and 7 are Sunday); names are
///   three letters, any case;
/// - each field a list of `*`, `N`, or `N-M`, where `*` and `N-M` may take a
///   `/step`; a bare `N/step` is an error, as are reversed ranges and step 0;
/// - day of month and day of week: when both are restricted a day matching
///   either runs the job; when either field starts with `*` (also `*/2`)
///   both must match;
/// - `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight` `@hourly`.
struct CronExpression: CalendarPattern {
    var minutes: [Int], hours: [Int], days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    var domStar: Bool, dowStar: Bool
    /// Neither minute nor hour starts with `*`: cron's "fixed-time" job.
    var fixedTime: Bool

    static let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                         "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                         "@hourly": "0 * * * *"]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Five fields of digits, letters and `*,-/`: cron's shape. OnCalendar
    /// expressions have `:` or `..` or fewer fields.
    static func looksLikeCron(_ text: String) -> Bool {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        return fields.count == 5 && !text.contains(":") && !text.contains(".")
    }

    init(parsing text: String) throws {
        var expression = text
        if text.hasPrefix("@") {
            guard let expanded = Self.macros[text.lowercased()] else {
                throw HomelabError("'\(text)' is not a cron macro (\(Self.macros.keys.sorted().joined(separator: " ")))")
            }
            expression = expanded
        }
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw HomelabError("'\(text)': a cron expression has five fields (minute hour day-of-month month day-of-week), got \(fields.count)")
        }
        func field(_ i: Int, _ name: String, _ low: Int, _ high: Int, _ names: [String]?) throws -> [Int] {
            do { return try Self.parseField(fields[i], low: low, high: high, names: names) }
            catch let e as HomelabError { throw HomelabError("'\(text)': \(name) '\(fields[i])': \(e.message)") }
        }
        minutes = try field(0, "minute", 0, 59, nil)
        hours = try field(1, "hour", 0, 23, nil)
        days = Set(try field(2, "day of month", 1, 31, nil))
        months = Set(try field(3, "month", 1, 12, Self.monthNames))
        var dow = Set(try field(4, "day of week", 0, 7, Self.dayNames))
        if dow.contains(7) { dow.insert(0) }
        dow.remove(7)
        weekdays = dow
        domStar = fields[2].hasPrefix("*")
        dowStar = fields[4].hasPrefix("*")
        fixedTime = !fields[0].hasPrefix("*") && !fields[1].hasPrefix("*")
    }

    /// A list of ranges, as Vixie's get_list and get_range read it.
    static func parseField(_ text: String, low: Int, high: Int, names: [String]?) throws -> [Int] {
        var set = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            var range = Substring(item), step = 1
            if let slash = item.firstIndex(of: "/") {
                range = item[..<slash]
                let stepText = item[item.index(after: slash)...]
                guard let s = Int(stepText), s > 0, stepText.allSatisfy(\.isASCII) else {
                    throw HomelabError("step '\(stepText)' is not a positive number")
                }
                step = s
            }
            var first: Int, last: Int
            if range == "*" {
                first = low; last = high
            } else if let dash = range.firstIndex(of: "-") {
                first = try number(range[..<dash], low, high, names)
                last = try number(range[range.index(after: dash)...], low, high, names)
                guard first <= last else { throw HomelabError("range \(range) runs backwards") }
            } else {
                guard step == 1, !item.contains("/") else {
                    throw HomelabError("a step needs a range or * before it (like */5 or 0-30/5)")
                }
                first = try number(range, low, high, names); last = first
            }
            for v in stride(from: first, through: last, by: step) { set.insert(v) }
        }
        return set.sorted()
    }

    static func number(_ text: Substring, _ low: Int, _ high: Int, _ names: [String]?) throws -> Int {
        if let names, let i = names.firstIndex(of: text.lowercased()) {
            return i + (low == 0 ? 0 : low)
        }
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(text) else {
            let hint = names.map { " (or a name: \($0.joined(separator: " ")))" } ?? ""
            throw HomelabError("'\(text)' is not a number \(low)-\(high)\(hint)")
        }
        guard n >= low && n <= high else { throw HomelabError("\(n) is outside \(low)-\(high)") }
        return n
    }

    func nextWall(atOrAfter wall: Int64, limit: Int64) -> Int64? {
        // Whole minutes only: the first minute at or after `wall`.
        let minuteStart = ZonedTime.floorDiv(wall + 59, 60) * 60
        let times = DayAndTimePattern(hours: hours, minutes: minutes, seconds: [0])
        return times.nextWall(atOrAfter: minuteStart, limit: limit) { date in
            guard months.contains(date.month) else { return false }
            let dom = days.contains(date.day), dow = weekdays.contains(date.isoWeekday % 7)
            return domStar || dowStar ? dom && dow : dom || dow
        }
    }
}
