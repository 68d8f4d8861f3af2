import Foundation
import Testing
@testable import Homelab

/// Schedule.onCalendar: the OnCalendar text systemd is given fires when cron
/// would. systemd itself (`systemd-analyze calendar`) says when the text
/// fires; labsh's cron says when the expression does; in UTC, where cron's
/// and systemd's daylight-saving rules cannot differ.
@Suite struct OnCalendarTests {
    /// A seeded generator of cron expressions: numbers and names (any case),
    /// ranges, steps on `*` and on ranges, lists, macros.
    struct CronGenerator {
        var state: UInt64
        mutating func int(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(n, 1)))
        }
        mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }

        mutating func item(_ low: Int, _ high: Int, names: [String]?) -> String {
            func value(_ v: Int) -> String {
                guard let names, int(3) == 0 else { return "\(v)" }
                let name = names[v - (low == 1 ? 1 : 0)]
                return pick([name, name.uppercased(), name.prefix(1).uppercased() + name.dropFirst()])
            }
            let top = names != nil && low == 0 ? 6 : high  // day names run sun-sat
            let a = low + int(top - low + 1), b = a + int(top - a + 1)
            let step = 1 + int(max(2, (high - low) / 3))
            switch int(8) {
            case 0: return "*"
            case 1: return "*/\(step)"
            case 2, 3: return value(a)
            case 4, 5: return "\(value(a))-\(value(b))"
            default: return "\(value(a))-\(value(b))/\(step)"
            }
        }

        mutating func field(_ low: Int, _ high: Int, names: [String]? = nil) -> String {
            if int(3) == 0 { return "*" }
            return (0...int(3)).map { _ in item(low, high, names: names) }.joined(separator: ",")
        }

        mutating func expression() -> String {
            if int(12) == 0 { return pick(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]) }
            let dom = field(1, 31), dow = field(0, 7, names: CronExpression.dayNames)
            // Half of them: one day field left at "*", so systemd can say it.
            let (d, w) = int(2) == 0 ? (dom, "*") : int(2) == 0 ? ("*", dow) : (dom, dow)
            return "\(field(0, 59)) \(field(0, 23)) \(d) \(field(1, 12, names: CronExpression.monthNames)) \(w)"
        }
    }

    static let bases: [Int64] = [1_774_656_000, 1_835_267_640]  // 2026-03-28T00:00Z, 2028-02-27T12:34Z
    static let iterations = 12

    /// systemd's fire times of each OnCalendar text after `base`, in UTC.
    static func systemdFires(_ calendars: [String], base: Int64) throws -> [[Int64]] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["systemd-analyze", "calendar", "--iterations=\(iterations)", "--base-time=@\(base)"] + calendars
        p.environment = ProcessInfo.processInfo.environment.merging(["TZ": "UTC", "LC_ALL": "C"]) { $1 }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "systemd-analyze refused one of \(calendars)")
        var blocks: [[Int64]] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Normalized form:") { blocks.append([]); continue }
            guard text.hasPrefix("Next elapse:") || text.hasPrefix("Iter. #"), !text.hasSuffix("never") else { continue }
            // "... Sat 2026-03-28 00:05:00 UTC"
            let words = text.split(separator: " ")
            let stamp = "\(words[words.count - 3])T\(words[words.count - 2])Z"
            blocks[blocks.count - 1].append(try ZonedTime(parsingRFC3339: stamp).seconds)
        }
        return blocks
    }

    @Test func generatedCronFiresWhenItsOnCalendarTextDoes() throws {
        var g = CronGenerator(state: 2026)
        var cases: [(cron: String, calendar: String)] = []
        var refused = 0
        while cases.count < 400 {
            let cron = g.expression()
            let schedule = try Schedule(parsing: cron)
            do {
                cases.append((cron, try schedule.onCalendar(zone: "UTC")))
            } catch {
                refused += 1  // both day fields restricted: checked below
            }
        }
        #expect(refused > 0, "the generator makes expressions systemd cannot say")
        let utc = FixedOffset(seconds: 0)
        var failures: [String] = []
        for base in Self.bases {
            for chunk in stride(from: 0, to: cases.count, by: 100) {
                let part = Array(cases[chunk..<min(chunk + 100, cases.count)])
                let systemd = try Self.systemdFires(part.map(\.calendar), base: base)
                try #require(systemd.count == part.count, "systemd-analyze answered \(systemd.count) of \(part.count)")
                for ((cron, calendar), fires) in zip(part, systemd) {
                    let labsh = try Schedule(parsing: cron).next(after: base, count: Self.iterations, zone: utc)
                    if labsh != fires { failures.append("\(cron) -> \(calendar) from \(base): \(labsh) vs systemd \(fires)") }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) differ:\n\(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test func bothDayFieldsRestrictedIsRefusedUnlessOneHoldsEveryDay() throws {
        // cron runs on either field's days; systemd only on days in both.
        #expect(errorMessage { try Schedule(parsing: "0 0 1 * 1").onCalendar() }?.contains("day of month and day of week") == true)
        #expect(errorMessage { try Schedule(parsing: "0 0 1,15 * mon-fri").onCalendar() } != nil)
        // "1-31" or "0-6" is every day, so cron's OR is every day.
        #expect(try Schedule(parsing: "0 4 1-31 * mon").onCalendar() == "*-*-* 4:00:00")
        #expect(try Schedule(parsing: "0 4 13 * 0-6").onCalendar() == "*-*-* 4:00:00")
        // A day field starting with * makes cron need both: systemd's rule.
        #expect(try Schedule(parsing: "0 0 1 * */2").onCalendar() == "Tue,Thu,Sat,Sun *-*-1 0:00:00")
    }

    @Test func readableTextAndZones() throws {
        #expect(try Schedule(parsing: "30 2 * * *").onCalendar() == "*-*-* 2:30:00")
        #expect(try Schedule(parsing: "*/15 * * * *").onCalendar() == "*-*-* *:00/15:00")
        #expect(try Schedule(parsing: "0 1 * * 1-5").onCalendar() == "Mon..Fri *-*-* 1:00:00")
        #expect(try Schedule(parsing: "0 0 * * sat,sun").onCalendar() == "Sat,Sun *-*-* 0:00:00")
        #expect(try Schedule(parsing: "@daily").onCalendar() == "daily")
        #expect(try Schedule(parsing: "@weekly").onCalendar() == "Sun *-*-* 0:00:00", "systemd's weekly is Monday")
        // The zone is added unless the expression names its own.
        #expect(try Schedule(parsing: "30 2 * * *").onCalendar(zone: "Europe/Berlin") == "*-*-* 2:30:00 Europe/Berlin")
        #expect(try Schedule(parsing: "Mon 02:00 UTC").onCalendar(zone: "Europe/Berlin") == "Mon 02:00 UTC")
        #expect(try Schedule(parsing: "Mon..Fri 02:00").onCalendar(zone: "UTC") == "Mon..Fri 02:00 UTC")
    }
}
