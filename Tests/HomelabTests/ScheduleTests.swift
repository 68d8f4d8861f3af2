import Foundation
import Testing
@testable import Homelab

/// Unix seconds of a UTC date-time written "2024-03-31T01:00:00Z".
private func utc(_ text: String) -> Int64 { try! ZonedTime(parsingRFC3339: text).seconds }

private let berlin = try! NamedTimeZone(named: "Europe/Berlin")
private let newYork = try! NamedTimeZone(named: "America/New_York")

/// Fire times as RFC 3339 in the zone's offsets, for readable expectations.
private func fires(_ expr: String, from: String, count: Int, zone: TimeZoneRules) -> [String] {
    let s = try! Schedule(parsing: expr)
    return s.next(after: try! ZonedTime(parsingRFC3339: from).seconds, count: count, zone: zone).map {
        ZonedTime(unixSeconds: Double($0), zone: zone).description
    }
}

@Suite struct ScheduleTests {
    @Test func tzifZonesAgreeWithPython() throws {
        // Python's zoneinfo reads the same files its own way; compare every
        // 7 hours over 17 years (past the transitions the files list).
        // Not glibc: setting TZ here would race the tests that read it.
        var times: [Int64] = []
        var t = utc("2023-01-01T00:00:00Z")
        while t < utc("2040-01-01T00:00:00Z") { times.append(t); t += 3600 * 7 }
        for (name, zone) in [("Europe/Berlin", berlin), ("America/New_York", newYork)] {
            let script = "import sys, datetime, zoneinfo\nz = zoneinfo.ZoneInfo(sys.argv[1])\n"
                + "for l in sys.stdin: print(int(datetime.datetime.fromtimestamp(int(l), z).utcoffset().total_seconds()))"
            let out = try Self.run(["python3", "-c", script, name], input: times.map(String.init).joined(separator: "\n") + "\n")
            let offsets = out.split(separator: "\n").map { Int($0)! }
            try #require(offsets.count == times.count)
            let wrong = zip(times, offsets).filter { zone.offset(atUTC: $0.0) != $0.1 }
            #expect(wrong.isEmpty, "\(name): \(wrong.prefix(3))")
        }
        #expect(errorMessage { try NamedTimeZone(named: "Mars/Olympus") }?.contains("unknown time zone") == true)
    }

    @Test func vixieFieldsAndMacros() {
        let z = FixedOffset(seconds: 0)
        #expect(fires("@weekly", from: "2024-01-01T00:00:00Z", count: 2, zone: z) == ["2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"])
        #expect(fires("0 0 * * 7", from: "2024-01-01T00:00:00Z", count: 1, zone: z) == ["2024-01-07T00:00:00Z"])
        #expect(fires("0 0 * * SUN", from: "2024-01-01T00:00:00Z", count: 1, zone: z) == ["2024-01-07T00:00:00Z"])
        #expect(fires("0 0 1 JaN-feb *", from: "2024-01-01T00:00:00Z", count: 2, zone: z) == ["2024-02-01T00:00:00Z", "2025-01-01T00:00:00Z"])
        // 5-7 in day of week: Friday, Saturday, Sunday.
        #expect(fires("0 12 * * 5-7", from: "2024-01-01T00:00:00Z", count: 3, zone: z)
                == ["2024-01-05T12:00:00Z", "2024-01-06T12:00:00Z", "2024-01-07T12:00:00Z"])
        // Both days restricted: either matches (the 13th, or any Friday).
        #expect(fires("0 0 13 * 5", from: "2024-01-01T00:00:00Z", count: 3, zone: z)
                == ["2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z"])
        // A field starting with * makes it AND, even */2: odd days that are Fridays.
        #expect(fires("0 0 */2 * 5", from: "2024-01-01T00:00:00Z", count: 3, zone: z)
                == ["2024-01-05T00:00:00Z", "2024-01-19T00:00:00Z", "2024-02-09T00:00:00Z"])
        #expect(fires("0 0 13 * */7", from: "2024-01-01T00:00:00Z", count: 2, zone: z)
                == ["2024-10-13T00:00:00Z", "2025-04-13T00:00:00Z"])
        // croniter 7 reads a one-value range (3-3) as *; cron does not.
        #expect(fires("5 3-3 * * *", from: "2024-01-01T00:00:00Z", count: 2, zone: z) == ["2024-01-01T03:05:00Z", "2024-01-02T03:05:00Z"])
        #expect(fires("0 0 30 2 *", from: "2024-01-01T00:00:00Z", count: 1, zone: z) == [])
        for (bad, says) in [("5/2 * * * *", "a step needs a range"), ("* * * *", "five fields"), ("0 0 * * * *", "five fields"), ("60 * * * *", "outside 0-59"),
                            ("5-1 * * * *", "runs backwards"), ("*/0 * * * *", "positive"), ("0 0 * * monday", "not a number"),
                            ("@often", "not a cron macro"), ("0 0 0 * *", "outside 1-31")] {
            #expect(errorMessage { try Schedule(parsing: bad) }?.contains(says) == true, "\(bad)")
        }
    }

    @Test func cronAcrossDaylightSaving() {
        // Berlin springs forward 2024-03-31 02:00 -> 03:00, falls back 2024-10-27 03:00 -> 02:00.
        #expect(fires("30 2 * * *", from: "2024-03-30T12:00:00Z", count: 2, zone: berlin)
                == ["2024-03-31T03:00:00+02:00", "2024-04-01T02:30:00+02:00"], "fixed time in the gap: right after the jump")
        #expect(fires("*/30 2 * * *", from: "2024-03-30T12:00:00Z", count: 1, zone: berlin)
                == ["2024-04-01T02:00:00+02:00"], "wildcard in the gap: skipped")
        #expect(fires("30 2 * * *", from: "2024-10-26T12:00:00Z", count: 2, zone: berlin)
                == ["2024-10-27T02:30:00+02:00", "2024-10-28T02:30:00+01:00"], "fixed time repeated: once")
        #expect(fires("0 * * * *", from: "2024-10-26T23:30:00Z", count: 3, zone: berlin)
                == ["2024-10-27T02:00:00+02:00", "2024-10-27T02:00:00+01:00", "2024-10-27T03:00:00+01:00"], "wildcard repeated: twice")
        #expect(fires("30 2 * * *", from: "2024-03-09T12:00:00Z", count: 2, zone: newYork)
                == ["2024-03-10T03:00:00-04:00", "2024-03-11T02:30:00-04:00"])
        #expect(fires("15 1 * * *", from: "2024-11-02T12:00:00Z", count: 2, zone: newYork)
                == ["2024-11-03T01:15:00-04:00", "2024-11-04T01:15:00-05:00"])
    }

    @Test func onCalendarForms() {
        let z = FixedOffset(seconds: 0)
        #expect(fires("weekly", from: "2024-01-01T00:00:00Z", count: 2, zone: z) == ["2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z"])
        #expect(fires("*-*~01", from: "2024-01-15T00:00:00Z", count: 2, zone: z) == ["2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z"])
        #expect(fires("Mon *-05~07/1 03:00", from: "2024-01-01T00:00:00Z", count: 2, zone: z)
                == ["2024-05-27T03:00:00Z", "2025-05-26T03:00:00Z"], "the last Monday of May")
        #expect(fires("*-05~07/2", from: "2024-01-01T00:00:00Z", count: 4, zone: z)
                == ["2024-05-25T00:00:00Z", "2024-05-27T00:00:00Z", "2024-05-29T00:00:00Z", "2024-05-31T00:00:00Z"])
        #expect(fires("Fri..Sun 12:00", from: "2024-01-01T00:00:00Z", count: 3, zone: z)
                == ["2024-01-05T12:00:00Z", "2024-01-06T12:00:00Z", "2024-01-07T12:00:00Z"])
        #expect(fires("*-*-* 02:30 Europe/Berlin", from: "2024-03-30T12:00:00Z", count: 1, zone: newYork)
                == ["2024-03-31T20:30:00-04:00"], "its own zone: 02:30 CEST on April 1; 02:30 did not exist on March 31")
        #expect(fires("*:0/20", from: "2024-10-27T00:10:00Z", count: 3, zone: berlin)
                == ["2024-10-27T02:20:00+02:00", "2024-10-27T02:40:00+02:00", "2024-10-27T03:00:00+01:00"], "a repeated hour once")
        #expect(fires("Mon *-*-01", from: "2024-01-01T00:00:00Z", count: 1, zone: z) == ["2024-04-01T00:00:00Z"])
        #expect(errorMessage { try Schedule(parsing: "Moon 12:00") }?.contains("not a weekday") == true)
        #expect(errorMessage { try Schedule(parsing: "*-*-* 25:00") }?.contains("hour '25'") == true)
    }

    // ---- against the reference implementations ----------------------------

    static let zones = ["UTC", "Europe/Berlin", "America/New_York"]
    /// Quiet days, a leap day, and the nights the clocks change in both zones.
    static let bases = ["2024-01-15T10:17:00Z", "2024-02-28T23:59:30Z", "2024-03-30T23:30:00Z", "2024-03-31T00:45:00Z",
                        "2024-03-10T05:30:00Z", "2024-10-26T23:40:00Z", "2024-10-27T00:20:00Z", "2024-11-03T05:10:00Z",
                        "2025-12-31T22:00:00Z",
                        "2024-10-27T01:20:00Z", "2024-11-03T06:20:00Z"].map(utc)  // inside the second pass of a repeated hour

    /// A deterministic generator (64-bit LCG), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func int(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        mutating func pick(_ options: [String]) -> String { options[int(options.count)] }
    }

    static func cronExpressions(_ count: Int) -> [String] {
        var g = Generator(state: 7)
        func field(_ low: Int, _ high: Int) -> String {
            let a = low + g.int(high - low), b = a + 1 + g.int(high - a), step = 1 + g.int(max(1, (high - low) / 2))
            switch g.int(7) {
            case 0, 1: return "*"
            case 2: return "\(a)"
            case 3: return "\(a)-\(b)"
            case 4: return "*/\(step)"
            case 5: return "\(a)-\(b)/\(step)"
            default: return "\(a),\(low + g.int(high - low))-\(high)"
            }
        }
        var out = ["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "30 2 * * *", "*/15 * * * *", "0 */6 * * *",
                   "15 * * * *", "0 1 * * 1-5", "0 2 * * sun", "30 1 1 * *", "0 3 * * 0,7", "45 2 */1 * *"]
        while out.count < count {
            // Days: no */n there; croniter reads a restricted */n as OR (tested above).
            let dom = g.pick(["*", "*", "*", "1", "15", "1-7", "10,20", "28-31", "13", "29"])
            let month = g.pick(["*", "*", "*", "jan", "2", "3-5", "*/3", "oct-dec", "11"])
            let dow = g.pick(["*", "*", "*", "0", "7", "mon-fri", "sat,sun", "1-5", "5", "3"])
            out.append("\(field(0, 59)) \(field(0, 23)) \(dom) \(month) \(dow)")
        }
        return out
    }

    /// croniter's fire times with the two documented differences taken out
    /// (see Schedule): a fixed-time job's second run in a repeated hour, and
    /// a wildcard job's skipped wall time moved to the end of the gap.
    static let croniterScript = #"""
    import sys, datetime, zoneinfo
    from croniter import croniter
    macros = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *"}
    for line in sys.stdin:
        zone, base, count, expr = line.rstrip("\n").split("\t")
        tz = zoneinfo.ZoneInfo(zone)
        fields = macros.get(expr, expr).split()
        fixed = not fields[0].startswith("*") and not fields[1].startswith("*")
        it = croniter(expr, datetime.datetime.fromtimestamp(int(base), tz))
        out, last = [], 0
        for _ in range(int(count)):
            d = it.get_next(datetime.datetime)
            last = int(d.timestamp())
            wall = d.replace(tzinfo=None)
            if fixed:
                # The second pass of a repeated hour: cron ran it in the first.
                if wall.replace(tzinfo=tz, fold=0).timestamp() < last: continue
            elif not croniter.match(expr, wall):  # naive: no DST moves
                continue
            out.append(last)
        print(last, *out)
    """#

    static func run(_ args: [String], input: String, env: [String: String] = [:]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        // stdin from a file: writing a pipe while the child fills the other deadlocks.
        let inputPath = NSTemporaryDirectory() + "labsh-schedule-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try input.write(toFile: inputPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: inputPath) }
        let outPipe = Pipe()
        p.standardInput = FileHandle(forReadingAtPath: inputPath)
        p.standardOutput = outPipe
        try p.run()
        let data = outPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func cronAgreesWithCroniter() throws {
        let expressions = Self.cronExpressions(300)
        var jobs: [(String, Int64, String)] = []
        for (i, e) in expressions.enumerated() {
            for (j, zone) in Self.zones.enumerated() where (i + j) % 2 == 0 || i < 20 {
                for base in Self.bases { jobs.append((zone, base, e)) }
            }
        }
        let input = jobs.map { "\($0.0)\t\($0.1)\t30\t\($0.2)" }.joined(separator: "\n") + "\n"
        let lines = try Self.run(["python3", "-c", Self.croniterScript], input: input).split(separator: "\n")
        try #require(lines.count == jobs.count, "croniter answered \(lines.count) of \(jobs.count)")
        var failures = 0
        for ((zone, base, expr), line) in zip(jobs, lines) {
            let numbers = line.split(separator: " ").map { Int64($0)! }
            let last = numbers[0], expected = Array(numbers.dropFirst())
            let z: TimeZoneRules = try NamedTimeZone(named: zone)
            let ours = try Schedule(parsing: expr).next(after: base, count: 40, zone: z).filter { $0 <= last }
            if ours != expected {
                failures += 1
                if failures <= 5 { Issue.record("\(expr) in \(zone) after \(base): ours \(ours.prefix(6)) croniter \(expected.prefix(6))") }
            }
        }
        #expect(failures == 0, "\(failures) of \(jobs.count) disagree")
    }

    static func calendarExpressions(_ count: Int) -> [String] {
        var g = Generator(state: 11)
        var out = ["daily", "weekly", "hourly", "monthly", "yearly", "quarterly", "minutely", "*-*-* 02:00", "Sat 02:00",
                   "*-*-* 02:30:00", "Mon..Fri 01:00", "*-*~01", "*-02~03..05 12:00", "*:0/15", "*-*-* 00/6:00"]
        while out.count < count {
            let weekdays = g.pick(["", "", "", "Mon ", "Mon..Fri ", "Sat,Sun ", "tue,Thu ", "Wed-Fri "])
            let date = g.pick(["", "", "*-*-* ", "*-*-01 ", "*-01,07-01 ", "*-*-1..7 ", "*-*~01 ", "*-*~02..03 ",
                               "2025-*-* ", "*-1/2-15 ", "*-*-10/5 ", "*-02-29 "])
            let time = g.pick(["02:00", "*:00/15", "00/6:00", "*:30", "12:00:30", "2,14:05", "01..03:00/20", "02:30",
                               "03:00", "01:59:59", "*:*:00", "*:05,35"])
            out.append(weekdays + date + time)
        }
        return out
    }

    /// systemd-analyze prints each elapse in local time and, unless local is
    /// UTC, again "(in UTC): Sun 2024-10-27 00:30:00 UTC".
    static func systemdFires(_ expressions: [String], zone: String, base: Int64, count: Int) throws -> [[Int64]] {
        let out = try run(["systemd-analyze", "calendar", "--iterations=\(count)", "--base-time=@\(base)"] + expressions,
                          input: "", env: ["TZ": zone, "SYSTEMD_COLORS": "0"])
        var result: [[Int64]] = []
        for line in out.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            // "Original form:" only when it differs; "Normalized form:" always.
            if text.hasPrefix("Normalized form:") { result.append([]); continue }
            let utcLine = zone == "UTC" ? (text.hasPrefix("Next elapse:") || text.hasPrefix("Iter.")) : text.hasPrefix("(in UTC):")
            guard utcLine, text.hasSuffix(" UTC") else { continue }
            let parts = text.split(separator: " ")
            let stamp = "\(parts[parts.count - 3])T\(parts[parts.count - 2])Z"
            result[result.count - 1].append(utc(stamp))
        }
        return result
    }

    @Test func onCalendarAgreesWithSystemd() throws {
        let expressions = Self.calendarExpressions(200)
        var failures = 0, compared = 0
        for zone in Self.zones {
            let z = try NamedTimeZone(named: zone)
            for base in Self.bases {
                let expected = try Self.systemdFires(expressions, zone: zone, base: base, count: 25)
                try #require(expected.count == expressions.count, "systemd-analyze answered \(expected.count) of \(expressions.count)")
                for (expr, want) in zip(expressions, expected) {
                    compared += 1
                    let ours = try Schedule(parsing: expr).next(after: base, count: 25, zone: z)
                    if ours != want {
                        failures += 1
                        if failures <= 5 { Issue.record("\(expr) in \(zone) after \(base): ours \(ours.prefix(5)) systemd \(want.prefix(5))") }
                    }
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(compared) disagree")
    }
}
