/// When a job runs: a cron expression (Vixie cron's five fields or an
/// `@daily`-style macro) or a systemd `OnCalendar` expression, and the fire
/// times it gives in a time zone.
///
/// Daylight saving time. Each form does what its own scheduler does:
/// - cron, as Debian's cron (Vixie cron with ISC cron 4.1's DST handling):
///   a job with a fixed minute and hour (neither field starts with `*`)
///   whose time is skipped by a jump forward runs once right after the jump
///   (03:00 for 02:30 in Berlin), and runs once, the first time, in an hour
///   that repeats. A job with `*` in front of its minute or hour field
///   ("wildcard") runs at the wall times that happen: never in a skipped hour,
///   twice in a repeated one. croniter 7 agrees except that it runs fixed
///   jobs in both passes of a repeated hour and moves wildcard times of a
///   skipped hour to its end; the tests name those cases.
/// - OnCalendar, as systemd: a wall time that does not exist is skipped, and
///   one that exists twice fires once: at its first occurrence, or at the
///   second when counting from inside the repeated hour's second pass.
public struct Schedule: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable { case cron, calendar }

    public let text: String
    public let kind: Kind
    let pattern: CalendarPattern
    /// The zone an OnCalendar expression names ("... Europe/Berlin"), which
    /// wins over the zone it is asked in.
    public let zoneName: String?
    let zone: NamedTimeZone?
    /// cron: neither the minute nor the hour field starts with `*`.
    let fixedTime: Bool

    public var description: String { text }

    /// A cron expression when it starts with `@` or has five fields of cron's
    /// characters, else an OnCalendar expression.
    public init(parsing text: String) throws {
        let trimmed = text.trimmedBlanks
        if trimmed.hasPrefix("@") || CronExpression.looksLikeCron(trimmed) {
            let cron = try CronExpression(parsing: trimmed)
            self.init(text: text, kind: .cron, pattern: cron, zoneName: nil, zone: nil, fixedTime: cron.fixedTime)
            return
        }
        do {
            let spec = try CalendarSpec(parsing: trimmed)
            let zone = try spec.zoneName.map { try NamedTimeZone(named: $0) }
            self.init(text: text, kind: .calendar, pattern: spec, zoneName: spec.zoneName, zone: zone, fixedTime: false)
        } catch {
            // "* * * *" meant cron: say what cron wants, not what systemd does.
            let cronCharacters = trimmed.allSatisfy { $0.isNumber || $0.isLetter || " \t*,-/".contains($0) }
            if cronCharacters && trimmed.contains(" ") { _ = try CronExpression(parsing: trimmed) }
            throw error
        }
    }

    init(text: String, kind: Kind, pattern: CalendarPattern, zoneName: String?, zone: NamedTimeZone?, fixedTime: Bool) {
        self.text = text
        self.kind = kind
        self.pattern = pattern
        self.zoneName = zoneName
        self.zone = zone
        self.fixedTime = fixedTime
    }

    /// The next `count` fire times strictly after `after` (Unix seconds), in
    /// order; fewer when the expression stops matching (a past year, Feb 30).
    public func next(after: Int64, count: Int = 1, zone asked: TimeZoneRules) -> [Int64] {
        let zone: TimeZoneRules = self.zone ?? asked
        var out: [Int64] = []
        var t = after
        while out.count < count, let fire = nextFire(after: t, zone: zone) {
            out.append(fire)
            t = fire
        }
        return out
    }

    /// The last fire time at or before `at`, if there is one within ~400 years.
    public func previous(atOrBefore at: Int64, zone asked: TimeZoneRules) -> Int64? {
        let zone: TimeZoneRules = self.zone ?? asked
        // Step back in widening windows and take the last fire in the window.
        var span: Int64 = 3600
        while span < 401 * 366 * 86_400 {
            var t = at - span, last: Int64?
            while let f = nextFire(after: t, zone: zone), f <= at { last = f; t = f }
            if let last { return last }
            span *= 4
        }
        return nil
    }

    func nextFire(after t: Int64, zone: TimeZoneRules) -> Int64? {
        // An instant after t has a wall time of at least t plus the smallest
        // offset from t on (a repeated hour moves the wall clock back). The
        // first instants of wall times rise with them; only the second pass
        // of a repeated hour comes later, so stop at the first wall time whose
        // earliest instant is not before the best found.
        let low = min(zone.offset(atUTC: t), zone.offset(atUTC: t + 86_400))
        var wall = t + Int64(low)
        let horizon = wall + 401 * 366 * 86_400
        var best: Int64?
        while let w = pattern.nextWall(atOrAfter: wall, limit: horizon) {
            let us = instants(ofWall: w, zone: zone, after: t)
            if let b = best, let first = us.first, first >= b { break }
            for u in us where u > t && (best == nil || u < best!) { best = u }
            wall = w + 1
        }
        return best
    }

    /// The instants a matching wall time fires at, per the DST rules above.
    /// systemd reads a repeated wall time in the offset in effect at the
    /// time it counts from (glibc's mktime guesses from its last answer):
    /// counting from before the repeated hour that is its first pass, from
    /// inside the second pass the second.
    func instants(ofWall w: Int64, zone: TimeZoneRules, after t: Int64) -> [Int64] {
        switch LocalTime.resolve(wall: w, zone: zone) {
        case .unique(let u): return [u]
        case .repeated(let first, let second):
            if kind == .cron { return fixedTime ? [first] : [first, second] }
            return zone.offset(atUTC: t) == zone.offset(atUTC: second) ? [second] : [first]
        case .skipped(let transition):
            return kind == .cron && fixedTime ? [transition] : []
        }
    }
}

/// Wall-clock times (seconds since 1970-01-01T00:00 on the local clock)
/// and the instants they name in a zone.
enum LocalTime {
    enum Resolution: Equatable { case unique(Int64), repeated(Int64, Int64), skipped(transition: Int64) }

    static func resolve(wall: Int64, zone: TimeZoneRules) -> Resolution {
        // The offsets a day either side: a wall time can only mean one of them.
        let before = zone.offset(atUTC: wall - 86_400), after = zone.offset(atUTC: wall + 86_400)
        let candidates = Set([before, after]).map { wall - Int64($0) }.filter {
            Int64(zone.offset(atUTC: $0)) == wall - $0
        }.sorted()
        if candidates.count == 2 { return .repeated(candidates[0], candidates[1]) }
        if let u = candidates.first { return .unique(u) }
        // Skipped: the clocks jumped from `before` to `after` in between.
        var lo = wall - Int64(after), hi = wall - Int64(before)  // offset(lo) == before, offset(hi) == after
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2
            if zone.offset(atUTC: mid) == before { lo = mid } else { hi = mid }
        }
        return .skipped(transition: hi)
    }
}

/// The calendar side of a schedule: which wall-clock seconds match.
protocol CalendarPattern: Sendable {
    /// The first matching wall time at or after `wall`, not past `limit`.
    func nextWall(atOrAfter wall: Int64, limit: Int64) -> Int64?
}

/// Matching by day, then by time of day from sorted lists.
struct DayAndTimePattern {
    var hours: [Int]
    var minutes: [Int]
    var seconds: [Int]

    func nextWall(atOrAfter wall: Int64, limit: Int64, day matches: (CivilDate) -> Bool) -> Int64? {
        var day = Int(ZonedTime.floorDiv(wall, 86_400))
        var from = Int(ZonedTime.floorMod(wall, 86_400))
        while Int64(day) * 86_400 <= limit {
            let date = CivilDate(daysSinceEpoch: day)
            if matches(date), let tod = timeOfDay(atOrAfter: from) { return Int64(day) * 86_400 + Int64(tod) }
            day += 1
            from = 0
        }
        return nil
    }

    func timeOfDay(atOrAfter s: Int) -> Int? {
        let h0 = s / 3600, m0 = s / 60 % 60, s0 = s % 60
        for h in hours where h >= h0 {
            for m in minutes where h > h0 || m >= m0 {
                for x in seconds where h > h0 || m > m0 || x >= s0 { return h * 3600 + m * 60 + x }
            }
        }
        return nil
    }
}

extension String {
    var trimmedBlanks: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\n" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\n" { s.removeLast() }
        return String(s)
    }
}
