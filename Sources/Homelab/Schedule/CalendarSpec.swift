/// A systemd calendar event (systemd.time(7), "OnCalendar="), the common
/// forms: `[weekdays] [[year-]month-day] [hour:minute[:second]] [zone]`.
/// - weekdays: `Mon`, `Monday`, any case, lists `Sat,Sun`, ranges `Mon..Fri`
///   (or `Mon-Fri`);
/// - each number a `*`, a value, a range `a..b`, a repetition `a/step` or
///   `a..b/step` (`*/step` starts at the least value), or a list of those;
/// - `month~day` counts days from the month's end: `*-02~01` is its last day;
/// - no date means `*-*-*`, no time `00:00:00`, no seconds `:00`;
///   two-digit years are 1970-2069;
/// - shorthands: minutely hourly daily weekly (Monday) monthly yearly
///   annually quarterly semiannually;
/// - a trailing time zone (`UTC`, `Europe/Berlin`) in which it is read.
/// Every part given must match (weekday AND date AND time).
struct CalendarSpec: CalendarPattern {
    var weekdays: Set<Int>?        // 0 = Sunday
    var years: Set<Int>?
    var months: Set<Int>
    var days: Set<Int>
    var endOfMonth: Bool
    var hours: [Int], minutes: [Int], seconds: [Int]
    var zoneName: String?

    static let shorthands = [
        "minutely": "*-*-* *:*:00", "hourly": "*-*-* *:00:00", "daily": "*-*-* 00:00:00",
        "monthly": "*-*-01 00:00:00", "weekly": "Mon *-*-* 00:00:00", "yearly": "*-01-01 00:00:00",
        "annually": "*-01-01 00:00:00", "quarterly": "*-01,04,07,10-01 00:00:00",
        "semiannually": "*-01,07-01 00:00:00",
    ]
    static let dayNames = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

    init(parsing text: String) throws {
        func fail(_ why: String) -> HomelabError {
            HomelabError("'\(text)' is not a cron expression or an OnCalendar expression: \(why)")
        }
        var tokens = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard !tokens.isEmpty else { throw fail("it is empty") }
        if tokens.count > 1, let last = tokens.last, Self.isZone(last) {
            zoneName = last
            tokens.removeLast()
        }
        if tokens.count == 1, let expanded = Self.shorthands[tokens[0].lowercased()] {
            tokens = expanded.split(separator: " ").map(String.init)
        }
        weekdays = nil
        if let first = tokens.first, first.first?.isLetter == true {
            weekdays = try Self.parseWeekdays(first, fail)
            tokens.removeFirst()
        }
        years = nil; months = Set(1...12); days = Set(1...31); endOfMonth = false
        hours = [0]; minutes = [0]; seconds = [0]
        if let first = tokens.first, !first.contains(":") {
            try parseDate(first, fail)
            tokens.removeFirst()
        }
        if let first = tokens.first {
            let parts = first.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3 else { throw fail("'\(first)' is not a time (hh:mm or hh:mm:ss)") }
            hours = try Self.values(parts[0], 0, 23, "hour", fail)
            minutes = try Self.values(parts[1], 0, 59, "minute", fail)
            seconds = parts.count == 3 ? try Self.values(parts[2], 0, 59, "second", fail) : [0]
            tokens.removeFirst()
        }
        guard tokens.isEmpty else { throw fail("unexpected '\(tokens.joined(separator: " "))'") }
    }

    /// A tz database name, or UTC: a word with no digits-and-colons shape.
    static func isZone(_ word: String) -> Bool {
        if word == "UTC" { return true }
        guard word.first?.isLetter == true, !word.contains(":"), !word.contains("*"), !word.contains(","),
              !word.contains("..") else { return false }
        return (try? NamedTimeZone(named: word)) != nil
    }

    static func parseWeekdays(_ text: String, _ fail: (String) -> HomelabError) throws -> Set<Int> {
        func day(_ name: Substring) throws -> Int {
            let lower = name.lowercased()
            guard lower.count >= 3, let i = dayNames.firstIndex(where: { $0 == lower || $0.prefix(3) == lower }) else {
                throw fail("'\(name)' is not a weekday (Mon ... Sun)")
            }
            return i
        }
        var set = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds: [Substring]
            if let r = item.firstRange(of: "..") { bounds = [item[..<r.lowerBound], item[r.upperBound...]] }
            else { bounds = item.split(separator: "-", omittingEmptySubsequences: false) }
            guard bounds.count <= 2 else { throw fail("'\(item)' is not a weekday or a range of them") }
            let a = try day(bounds[0]), b = bounds.count == 2 ? try day(bounds[1]) : a
            // Ranges run Monday to Sunday: "Fri..Sun" is Fri, Sat, Sun.
            let (ma, mb) = ((a + 6) % 7, (b + 6) % 7)
            guard ma <= mb else { throw fail("weekday range '\(item)' runs backwards") }
            for m in ma...mb { set.insert((m + 1) % 7) }
        }
        return set
    }

    mutating func parseDate(_ token: String, _ fail: (String) -> HomelabError) throws {
        var text = Substring(token)
        var dayPart: Substring
        if let tilde = text.firstIndex(of: "~") {
            dayPart = text[text.index(after: tilde)...]
            text = text[..<tilde]
            endOfMonth = true
        } else {
            guard let dash = text.lastIndex(of: "-") else { throw fail("'\(token)' is not a date") }
            dayPart = text[text.index(after: dash)...]
            text = text[..<dash]
        }
        let front = text.split(separator: "-", omittingEmptySubsequences: false)
        guard front.count == 1 || front.count == 2 else { throw fail("'\(token)' is not a date ([year-]month-day)") }
        if front.count == 2 {
            let ys = try Self.values(String(front[0]), 0, 2199, "year", fail)
            years = Set(ys.map { $0 < 70 ? $0 + 2000 : $0 < 100 ? $0 + 1900 : $0 })
        }
        months = Set(try Self.values(String(front[front.count - 1]), 1, 12, "month", fail))
        if endOfMonth, let slash = dayPart.firstIndex(of: "/") {
            // "~07/2": the 7th last day, then every 2nd day toward the end.
            let start = try Self.values(String(dayPart[..<slash]), 1, 31, "day", fail)
            guard start.count == 1, let step = Int(dayPart[dayPart.index(after: slash)...]), step > 0 else {
                throw fail("'~\(dayPart)' is not a day from the month's end with a repetition (like ~07/1)")
            }
            days = Set(stride(from: start[0], through: 1, by: -step))
        } else {
            days = Set(try Self.values(String(dayPart), 1, 31, "day", fail))
        }
    }

    /// `*`, `a`, `a..b`, `a/step`, `a..b/step`, `*/step`, and lists of them.
    static func values(_ text: String, _ low: Int, _ high: Int, _ what: String,
                       _ fail: (String) -> HomelabError) throws -> [Int] {
        func number(_ s: Substring) throws -> Int {
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(s), n >= low, n <= high else {
                throw fail("\(what) '\(s)' is not a number \(low)-\(high)")
            }
            return n
        }
        var set = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            var range = item, step = 0
            if let slash = item.firstIndex(of: "/") {
                range = item[..<slash]
                guard let s = Int(item[item.index(after: slash)...]), s > 0 else {
                    throw fail("\(what) repetition '\(item)' needs a positive step")
                }
                step = s
            }
            var first: Int, last: Int
            if range == "*" {
                first = what == "year" ? 1970 : low; last = high
                if step == 0 { step = 1 }
            } else if let r = range.firstRange(of: "..") {
                first = try number(range[..<r.lowerBound]); last = try number(range[r.upperBound...])
                guard first <= last else { throw fail("\(what) range '\(range)' runs backwards") }
                if step == 0 { step = 1 }
            } else {
                first = try number(range); last = step == 0 ? first : high
                if step == 0 { step = 1 }
            }
            for v in stride(from: first, through: last, by: step) { set.insert(v) }
        }
        return set.sorted()
    }

    func nextWall(atOrAfter wall: Int64, limit: Int64) -> Int64? {
        let times = DayAndTimePattern(hours: hours, minutes: minutes, seconds: seconds)
        return times.nextWall(atOrAfter: wall, limit: limit) { date in
            if let years, !years.contains(date.year) { return false }
            guard months.contains(date.month) else { return false }
            let day = endOfMonth ? CivilDate.daysIn(month: date.month, year: date.year) - date.day + 1 : date.day
            guard days.contains(day) else { return false }
            if let weekdays { return weekdays.contains(date.isoWeekday % 7) }
            return true
        }
    }
}
