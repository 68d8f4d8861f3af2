#if canImport(Glibc)
import Glibc
#endif

/// A time zone of the tz database ("Europe/Berlin"), read from its TZif file
/// (RFC 8536) under $TZDIR or /usr/share/zoneinfo: the transitions it lists,
/// then the POSIX TZ rule in its footer for the years after them (Debian's
/// files are "slim" and list few future transitions).
///
/// Why not TZ=... with tzset and localtime_r: TZ is process-wide state, and
/// switching it under a running program is a race; the file is small and the
/// format exact, so the zone is read once and asked without side effects.
public struct NamedTimeZone: TimeZoneRules {
    public let name: String
    let transitions: [Int64]     // Unix times, ascending
    let offsets: [Int32]         // offset in effect from transitions[i]
    let initial: Int32           // before the first transition
    let rule: PosixZoneRule?     // after the last one

    /// Reads the zone; "UTC" and the like work when their files exist.
    public init(named name: String) throws {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
            throw HomelabError("'\(name)' is not a time zone name (like Europe/Berlin)")
        }
        let dir = getenv("TZDIR").map { String(cString: $0) } ?? "/usr/share/zoneinfo"
        guard let bytes = Self.read(dir + "/" + name) else {
            throw HomelabError("unknown time zone '\(name)' (no \(dir)/\(name))")
        }
        try self.init(name: name, tzif: bytes)
    }

    init(name: String, tzif b: [UInt8]) throws {
        self.name = name
        func bad() -> HomelabError { HomelabError("time zone '\(name)': not a TZif file") }
        func u32(_ i: Int) throws -> Int {
            guard i + 4 <= b.count else { throw bad() }
            return Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
        }
        func i32(_ i: Int) throws -> Int32 { Int32(truncatingIfNeeded: try u32(i)) }
        func i64(_ i: Int) throws -> Int64 { Int64(try u32(i)) << 32 | Int64(try u32(i + 4)) }
        guard b.count >= 44, b[0] == 0x54, b[1] == 0x5A, b[2] == 0x69, b[3] == 0x66 else { throw bad() }
        // Counts: isut, isstd, leap, time, type, char.
        func counts(_ at: Int) throws -> [Int] { try (0..<6).map { try u32(at + 20 + 4 * $0) } }
        var header = 0
        var c = try counts(0)
        var timeSize = 4
        if b[4] >= 0x32 {  // version 2+: skip the 32-bit block, read the 64-bit one
            header = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]
            c = try counts(header)
            timeSize = 8
        }
        var p = header + 44
        var times: [Int64] = []
        for i in 0..<c[3] { times.append(timeSize == 8 ? try i64(p + 8 * i) : Int64(try i32(p + 4 * i))) }
        p += c[3] * timeSize
        guard p + c[3] + c[4] * 6 <= b.count else { throw bad() }
        let indices = (0..<c[3]).map { Int(b[p + $0]) }
        p += c[3]
        var types: [Int32] = []
        for i in 0..<c[4] { types.append(try i32(p + 6 * i)) }
        guard !types.isEmpty, indices.allSatisfy({ $0 < types.count }) else { throw bad() }
        p += c[4] * 6 + c[5] + c[2] * (timeSize + 4) + c[1] + c[0]
        transitions = times
        offsets = indices.map { types[$0] }
        initial = types[0]
        var footer: PosixZoneRule?
        if timeSize == 8, p < b.count, b[p] == 0x0A, let end = b[(p + 1)...].firstIndex(of: 0x0A), end > p + 1 {
            footer = PosixZoneRule(String(decoding: b[(p + 1)..<end], as: UTF8.self))
        }
        rule = footer
    }

    public func offset(atUTC utc: Int64) -> Int {
        if let last = transitions.last, utc >= last, let rule { return rule.offset(atUTC: utc) }
        guard let first = transitions.first, utc >= first else {
            return transitions.isEmpty ? (rule?.offset(atUTC: utc) ?? Int(initial)) : Int(initial)
        }
        var lo = 0, hi = transitions.count - 1  // last index with transitions[i] <= utc
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if transitions[mid] <= utc { lo = mid } else { hi = mid - 1 }
        }
        return Int(offsets[lo])
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
            if out.count > 1 << 20 { return nil }
        }
        return out
    }
}

/// A POSIX TZ rule as TZif footers carry it: "CET-1CEST,M3.5.0,M10.5.0/3",
/// "EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30". Offsets in it count west.
struct PosixZoneRule: Sendable {
    enum Day: Sendable { case julianNoLeap(Int), zeroBased(Int), month(Int, week: Int, weekday: Int) }
    let standard: Int           // seconds east
    let daylight: Int?
    let start: (Day, Int)?      // day and local time of day (seconds)
    let end: (Day, Int)?

    init?(_ text: String) {
        var s = Substring(text)
        func name() -> Bool {
            if s.first == "<" {
                guard let close = s.firstIndex(of: ">") else { return false }
                s = s[s.index(after: close)...]
                return true
            }
            let n = s.prefix { $0.isLetter }
            s = s.dropFirst(n.count)
            return n.count >= 3
        }
        func number() -> Int? {
            let d = s.prefix { $0.isNumber }
            s = s.dropFirst(d.count)
            return Int(d)
        }
        func time() -> Int? {  // [+-]hh[:mm[:ss]]
            var sign = 1
            if s.first == "-" { sign = -1; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
            guard let h = number() else { return nil }
            var t = h * 3600
            if s.first == ":" { s = s.dropFirst(); guard let m = number() else { return nil }; t += m * 60 }
            if s.first == ":" { s = s.dropFirst(); guard let x = number() else { return nil }; t += x }
            return sign * t
        }
        func rule() -> (Day, Int)? {
            var day: Day
            if s.first == "M" {  // Mm.w.d: weekday d of week w (5: last) of month m
                s = s.dropFirst()
                var parts: [Int] = []
                while parts.count < 3, let n = number() {
                    parts.append(n)
                    if parts.count < 3 { guard s.first == "." else { return nil }; s = s.dropFirst() }
                }
                guard parts.count == 3 else { return nil }
                day = .month(parts[0], week: parts[1], weekday: parts[2])
            } else if s.first == "J" {
                s = s.dropFirst()
                guard let n = number() else { return nil }
                day = .julianNoLeap(n)
            } else {
                guard let n = number() else { return nil }
                day = .zeroBased(n)
            }
            var at = 7200
            if s.first == "/" { s = s.dropFirst(); guard let t = time() else { return nil }; at = t }
            return (day, at)
        }
        guard name(), let std = time() else { return nil }
        standard = -std
        if s.isEmpty { daylight = nil; start = nil; end = nil; return }
        guard name() else { return nil }
        if let first = s.first, first != "," {
            guard let dst = time() else { return nil }
            daylight = -dst
        } else {
            daylight = -std + 3600
        }
        guard s.first == "," else { return nil }
        s = s.dropFirst()
        guard let a = rule(), s.first == "," else { return nil }
        s = s.dropFirst()
        guard let b = rule(), s.isEmpty else { return nil }
        start = a
        end = b
    }

    func offset(atUTC utc: Int64) -> Int {
        guard let daylight, let start, let end else { return standard }
        let year = CivilDate(daysSinceEpoch: Int(ZonedTime.floorDiv(utc + Int64(standard), 86_400))).year
        // DST begins at a local standard time and ends at a local daylight time.
        func instant(_ r: (Day, Int), _ y: Int, _ offset: Int) -> Int64 {
            Int64(Self.day(r.0, y)) * 86_400 + Int64(r.1 - offset)
        }
        let on = instant(start, year, standard), off = instant(end, year, daylight)
        // Northern zones: DST within the year. Southern: across its end.
        let inDaylight = on <= off ? (utc >= on && utc < off) : (utc >= on || utc < off)
        return inDaylight ? daylight : standard
    }

    /// Days since the epoch of the rule's day in `year`.
    static func day(_ d: Day, _ year: Int) -> Int {
        let jan1 = CivilDate.daysSinceEpoch(year: year, month: 1, day: 1)
        switch d {
        case .zeroBased(let n): return jan1 + n
        case .julianNoLeap(let n):
            return jan1 + n - 1 + (CivilDate.isLeap(year) && n >= 60 ? 1 : 0)
        case .month(let m, let w, let wd):
            let first = CivilDate.daysSinceEpoch(year: year, month: m, day: 1)
            let firstWeekday = CivilDate(daysSinceEpoch: first).isoWeekday % 7  // 0 = Sunday
            var day = (wd - firstWeekday + 7) % 7 + (w - 1) * 7
            while day >= CivilDate.daysIn(month: m, year: year) { day -= 7 }
            return first + day
        }
    }
}
