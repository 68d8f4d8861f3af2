#if canImport(Glibc)
import Glibc
#endif

/// A moment and the UTC offset it was recorded in, as restic stores snapshot
/// times ("2024-03-31T03:30:00.5+02:00"). Calendar fields (day, ISO week...)
/// are read in that offset: the wall clock of the machine that made it.
public struct ZonedTime: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Unix time: whole seconds, and nanoseconds 0..<1e9 after them.
    public var seconds: Int64
    public var nanoseconds: Int32
    /// Seconds east of UTC.
    public var utcOffset: Int

    public init(seconds: Int64, nanoseconds: Int32 = 0, utcOffset: Int = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.utcOffset = utcOffset
    }

    /// Unix seconds in the offset `zone` has in effect at that moment.
    public init(unixSeconds: Double, zone: TimeZoneRules) {
        let whole = unixSeconds.rounded(.down)
        seconds = Int64(whole)
        nanoseconds = Int32(((unixSeconds - whole) * 1e9).rounded(.down))
        utcOffset = zone.offset(atUTC: seconds)
    }

    /// RFC 3339: "2024-03-31T03:30:00Z", with optional fraction and an offset
    /// ("+02:00"); a space may stand for the "T".
    public init(parsingRFC3339 text: String) throws {
        let b = Array(text.utf8)
        func fail() -> HomelabError {
            HomelabError("'\(text)' is not an RFC 3339 time (like 2026-11-27T03:00:00Z or 2026-11-27T04:00:00+01:00)")
        }
        func number(_ from: Int, _ count: Int) throws -> Int {
            guard from + count <= b.count else { throw fail() }
            var n = 0
            for c in b[from..<from + count] {
                guard c >= 0x30 && c <= 0x39 else { throw fail() }
                n = n * 10 + Int(c - 0x30)
            }
            return n
        }
        func expect(_ i: Int, _ chars: String) throws {
            guard i < b.count, chars.utf8.contains(b[i]) else { throw fail() }
        }
        let year = try number(0, 4)
        try expect(4, "-")
        let month = try number(5, 2)
        try expect(7, "-")
        let day = try number(8, 2)
        try expect(10, "Tt ")
        let hour = try number(11, 2)
        try expect(13, ":")
        let minute = try number(14, 2)
        try expect(16, ":")
        let second = try number(17, 2)
        var i = 19
        var nanos = 0
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { throw fail() }
            if digits < 9 { for _ in digits..<9 { nanos *= 10 } }
        }
        var offset = 0
        if i < b.count && (b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z")) {
            i += 1
        } else {
            try expect(i, "+-")
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            let oh = try number(i + 1, 2)
            try expect(i + 3, ":")
            let om = try number(i + 4, 2)
            guard oh < 24, om < 60 else { throw fail() }
            offset = sign * (oh * 3600 + om * 60)
            i += 6
        }
        guard i == b.count, (1...12).contains(month), day >= 1,
              day <= CivilDate.daysIn(month: month, year: year), hour < 24, minute < 60, second < 60 else { throw fail() }
        let days = Int64(CivilDate.daysSinceEpoch(year: year, month: month, day: day))
        seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        nanoseconds = Int32(nanos)
        utcOffset = offset
    }

    /// The wall-clock seconds since 1970-01-01T00:00 in this time's offset.
    var wallSeconds: Int64 { seconds + Int64(utcOffset) }

    public var date: CivilDate {
        CivilDate(daysSinceEpoch: Int(Self.floorDiv(wallSeconds, 86_400)))
    }

    public var hour: Int { Int(Self.floorMod(wallSeconds, 86_400) / 3600) }

    /// "2024-03-31T03:30:00+02:00" (fraction when there is one).
    public var description: String {
        let d = date
        let secs = Self.floorMod(wallSeconds, 86_400)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(d.year)
        var text = String(repeating: "0", count: max(0, 4 - year.count)) + year + "-\(two(d.month))-\(two(d.day))T\(two(hour)):\(two(Int(secs / 60 % 60))):\(two(Int(secs % 60)))"
        if nanoseconds > 0 {
            var fraction = String(nanoseconds)
            fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        if utcOffset == 0 { return text + "Z" }
        let a = abs(utcOffset)
        return text + (utcOffset < 0 ? "-" : "+") + two(a / 3600) + ":" + two(a / 60 % 60)
    }

    public static func < (a: ZonedTime, b: ZonedTime) -> Bool {
        (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
    }

    /// Go's `t.AddDate(years, months, days)`: the wall-clock date moves, the
    /// clock time stays, and the result is resolved in `zone` (restic's
    /// local zone) when this time was recorded in it, else in this time's
    /// fixed offset. Across a DST change the clock time is kept, as in Go.
    public func addingDate(years: Int, months: Int, days: Int, localZone: TimeZoneRules) -> ZonedTime {
        let d = date
        let clock = Self.floorMod(wallSeconds, 86_400)
        let day = CivilDate.daysSinceEpoch(year: d.year + years, month: d.month + months, day: d.day + days)
        let wall = Int64(day) * 86_400 + clock
        guard localZone.offset(atUTC: seconds) == utcOffset else {
            return ZonedTime(seconds: wall - Int64(utcOffset), nanoseconds: nanoseconds, utcOffset: utcOffset)
        }
        // Go's time.Date: guess the offset at the wall time read as UTC,
        // then correct it once if the guess lands outside its zone period.
        var offset = localZone.offset(atUTC: wall)
        let utc = wall - Int64(offset)
        let corrected = localZone.offset(atUTC: utc)
        if corrected != offset { offset = corrected }
        let result = wall - Int64(offset)
        return ZonedTime(seconds: result, nanoseconds: nanoseconds, utcOffset: localZone.offset(atUTC: result))
    }

    public func addingHours(_ hours: Int) -> ZonedTime {
        ZonedTime(seconds: seconds + Int64(hours) * 3600, nanoseconds: nanoseconds, utcOffset: utcOffset)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }
}

extension CivilDate {
    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// The UTC offsets of a time zone over time.
public protocol TimeZoneRules: Sendable {
    /// Seconds east of UTC in effect at Unix time `utc`.
    func offset(atUTC utc: Int64) -> Int
}

/// One offset for all time: UTC, or a recorded "+02:00".
public struct FixedOffset: TimeZoneRules {
    public let seconds: Int
    public init(seconds: Int) { self.seconds = seconds }
    public func offset(atUTC utc: Int64) -> Int { seconds }
}

/// The process's local time zone (TZ, else /etc/localtime), as restic
/// and every other program on the host sees it.
public struct SystemTimeZone: TimeZoneRules {
    public init() {}
    public func offset(atUTC utc: Int64) -> Int {
        var t = time_t(utc)
        var parts = tm()
        guard localtime_r(&t, &parts) != nil else { return 0 }
        return Int(parts.tm_gmtoff)
    }
}
