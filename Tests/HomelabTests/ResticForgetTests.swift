import Foundation
import Testing
@testable import Homelab

/// labsh's retention against the real `restic forget --dry-run --json`
/// (Debian's restic 0.14, so semantics "restic-0.14"). One repository holds
/// several histories, one per host, so each forget call checks them all.
@Suite(.serialized) struct ResticForgetTests {
    static let zone = "Europe/Berlin"

    /// Wall-clock times in Europe/Berlin, as `restic backup --time` reads them.
    static let histories: [String: [String]] = [
        // Spring forward (02:00 -> 03:00) and fall back (03:00 -> 02:00) in 2024.
        "dst": ["2024-03-30 23:30:00", "2024-03-31 01:30:00", "2024-03-31 03:30:00", "2024-03-31 23:59:00",
                "2024-04-01 00:10:00", "2024-10-26 23:00:00", "2024-10-27 01:30:00", "2024-10-27 03:30:00",
                "2024-10-28 00:30:00"],
        // Year ends and ISO weeks: 2020-12-31 and 2021-01-03 are in week 53
        // of 2020, 2021-01-04 starts week 1; 2024-12-30 is in week 1 of 2025.
        "calendar": ["2020-12-31 12:00:00", "2021-01-03 18:00:00", "2021-01-04 09:00:00", "2022-12-31 23:30:00",
                     "2023-01-01 00:30:00", "2024-12-29 10:00:00", "2024-12-30 10:00:00", "2025-01-01 10:00:00"],
        // Three years, several a day at times, gaps of weeks.
        "long": ["2023-11-02 04:00:00", "2023-12-24 04:00:00", "2024-02-15 04:00:00", "2024-02-15 16:00:00",
                 "2024-02-15 22:00:00", "2024-05-01 04:00:00", "2024-07-30 04:00:00", "2024-09-02 04:00:00",
                 "2025-01-15 04:00:00", "2025-03-03 04:00:00", "2025-06-30 04:00:00", "2025-09-14 04:00:00",
                 "2025-11-20 04:00:00", "2026-01-05 04:00:00", "2026-03-29 01:00:00", "2026-06-01 04:00:00",
                 "2026-09-09 04:00:00", "2026-10-25 04:00:00"],
    ]

    /// Policies as restic flags and as labsh's policy.
    static let policies: [(flags: [String], policy: RetentionPolicy)] = {
        func p(_ counts: [RetentionPolicy.Period: Int] = [:], within: String? = nil,
               withinPeriods: [RetentionPolicy.Period: String] = [:], tags: [[String]] = []) -> RetentionPolicy {
            try! RetentionPolicy(counts: counts, within: within.map { try! RetentionDuration(parsing: $0) },
                                 withinPeriods: withinPeriods.mapValues { try! RetentionDuration(parsing: $0) }, tags: tags)
        }
        return [
            (["--keep-last", "3"], p([.last: 3])),
            (["--keep-hourly", "5"], p([.hourly: 5])),
            (["--keep-daily", "7"], p([.daily: 7])),
            (["--keep-weekly", "4"], p([.weekly: 4])),
            (["--keep-monthly", "6"], p([.monthly: 6])),
            (["--keep-yearly", "3"], p([.yearly: 3])),
            (["--keep-daily", "30", "--keep-monthly", "12"], p([.daily: 30, .monthly: 12])),
            (["--keep-last", "2", "--keep-daily", "3", "--keep-weekly", "2", "--keep-monthly", "2", "--keep-yearly", "2"],
             p([.last: 2, .daily: 3, .weekly: 2, .monthly: 2, .yearly: 2])),
            (["--keep-within", "1y2m"], p(within: "1y2m")),
            (["--keep-within", "3d12h"], p(within: "3d12h")),
            (["--keep-within-daily", "10d", "--keep-within-weekly", "2m"], p(withinPeriods: [.daily: "10d", .weekly: "2m"])),
            (["--keep-within-monthly", "1y", "--keep-within-yearly", "5y"], p(withinPeriods: [.monthly: "1y", .yearly: "5y"])),
            (["--keep-within-hourly", "36h", "--keep-daily", "2"], p([.daily: 2], withinPeriods: [.hourly: "36h"])),
            (["--keep-tag", "pinned", "--keep-last", "1"], p([.last: 1], tags: [["pinned"]])),
        ]
    }()

    @Test func keepSetsMatchResticForget() throws {
        setenv("TZ", Self.zone, 1)
        tzset()
        let repo = try Repository()
        defer { repo.remove() }
        // Backups run four at a time: restic's key derivation is the slow part.
        var jobs: [[String]] = []
        for (host, times) in Self.histories.sorted(by: { $0.key < $1.key }) {
            for (i, time) in times.enumerated() {
                jobs.append(["backup", "--host", host, "--time", time] + (i == 1 ? ["--tag", "pinned"] : []) + [repo.data])
            }
        }
        // Recent ones, relative to now, so keep-within has something near the newest,
        // and one from the future, which restic does not count as the newest.
        let recent = [-3 * 3600, -30 * 3600, -4 * 86_400, -40 * 86_400, 3 * 365 * 86_400]
        for offset in recent {
            let text = ZonedTime(unixSeconds: Double(Int(Date().timeIntervalSince1970) + offset), zone: SystemTimeZone())
                .description.prefix(19).replacingOccurrences(of: "T", with: " ")
            jobs.append(["backup", "--host", "recent", "--time", text, repo.data])
        }
        try repo.runAll(jobs, parallel: 4)

        let listed = try repo.json(["snapshots"]) as! [[String: Any]]
        let snapshots = try listed.map(Self.snapshot)
        #expect(snapshots.count == jobs.count)
        let now = ZonedTime(unixSeconds: Date().timeIntervalSince1970, zone: SystemTimeZone())

        for (flags, policy) in Self.policies {
            let groups = try repo.json(["forget", "--dry-run"] + flags) as! [[String: Any]]
            #expect(groups.count == Self.histories.count + 1, "\(flags)")
            for group in groups {
                let host = group["host"] as! String
                let resticKeep = Set(((group["keep"] as? [[String: Any]]) ?? []).map { $0["id"] as! String })
                let mine = try Retention.apply(snapshots.filter { $0.host == host }, policy, semantics: .restic014, now: now)
                let myKeep = Set(mine.keep.map(\.snapshot.id))
                let name = { (ids: Set<String>) in snapshots.filter { ids.contains($0.id) }.map(\.time.description).sorted() }
                #expect(name(myKeep) == name(resticKeep), "\(flags.joined(separator: " ")) on \(host)")
            }
        }
    }

    static func snapshot(_ json: [String: Any]) throws -> RetentionSnapshot {
        RetentionSnapshot(id: json["id"] as! String, time: try ZonedTime(parsingRFC3339: json["time"] as! String),
                          host: json["hostname"] as! String, paths: json["paths"] as! [String],
                          tags: (json["tags"] as? [String]) ?? [])
    }

    /// A scratch restic repository with a tiny data folder to back up.
    final class Repository {
        let root: String
        var path: String { root + "/repo" }
        var data: String { root + "/data" }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("labsh-restic-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            try "labsh".write(toFile: data + "/file", atomically: true, encoding: .utf8)
            _ = try run(["init"])
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        func process(_ args: [String]) -> (Process, Pipe, Pipe) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/restic")
            p.arguments = ["--repo", path, "--no-cache", "--quiet"] + args
            var env = ProcessInfo.processInfo.environment
            env["RESTIC_PASSWORD"] = "labsh-test"
            env["TZ"] = ResticForgetTests.zone
            p.environment = env
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            return (p, out, err)
        }

        @discardableResult
        func run(_ args: [String]) throws -> Data {
            let (p, out, err) = process(args)
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let errors = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                throw RepositoryError(message: "restic \(args.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))")
            }
            return data
        }

        func runAll(_ jobs: [[String]], parallel: Int) throws {
            var pending = jobs[...]
            while !pending.isEmpty {
                let batch = pending.prefix(parallel)
                pending = pending.dropFirst(batch.count)
                let running = try batch.map { args -> (Process, Pipe, Pipe, [String]) in
                    let (p, out, err) = process(args)
                    try p.run()
                    return (p, out, err, args)
                }
                for (p, _, err, args) in running {
                    let errors = err.fileHandleForReading.readDataToEndOfFile()
                    p.waitUntilExit()
                    guard p.terminationStatus == 0 else {
                        throw RepositoryError(message: "restic \(args.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))")
                    }
                }
            }
        }

        func json(_ args: [String]) throws -> Any {
            try JSONSerialization.jsonObject(with: run(args + ["--json"]))
        }
    }

    struct RepositoryError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
