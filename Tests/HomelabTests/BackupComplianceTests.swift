import Testing
@testable import Homelab

private func utc(_ text: String) -> Int64 { try! ZonedTime(parsingRFC3339: text).seconds }
private let z = FixedOffset(seconds: 0)

/// The sample inventory with storage locations, recovery tiers and backups.
private func inventory(backups: [InventoryValue]) -> InventoryFields {
    func s(_ t: String) -> InventoryValue { .string(t) }
    var top = sampleInventory()
    top["storage"] = .map(["locations": .list([
        .map(["name": s("primary"), "medium": s("ssd"), "offsite": .boolean(false)]),
        .map(["name": s("pbs"), "medium": s("hdd"), "offsite": .boolean(false), "prune": s("pbs")]),
        .map(["name": s("s3"), "medium": s("cloud"), "offsite": .boolean(true)]),
    ])])
    top["recovery"] = .list([.map(["tier": .integer(1), "rto": s("1h"), "rpo": s("15m")]),
                             .map(["tier": .integer(3), "rto": s("24h"), "rpo": s("24h")])])
    top["backups"] = .list(backups)
    return top
}

private func backup(_ name: String, _ schedule: String, target: String = "pbs", tier: Int64? = 3,
                    copies: [String] = ["primary", "pbs", "s3"], keep: [String: Int64] = [:]) -> InventoryValue {
    var m: InventoryFields = ["name": .string(name), "resource": .string(name), "schedule": .string(schedule),
                              "retention": .string("30d"), "target": .string(target),
                              "copies": .list(copies.map { .string($0) })]
    if let tier { m["tier"] = .integer(tier) }
    if !keep.isEmpty { m["keep"] = .map(InventoryFields(keep.mapValues { InventoryValue.integer($0) })) }
    return .map(m)
}

private func policies(_ backups: [InventoryValue]) throws -> [BackupPolicy] {
    try BackupPolicy.all(in: Inventory.load(.map(inventory(backups: backups)), file: "test.lua").0)
}

/// Daily runs at 01:05 UTC from `first` through `last` (dates), all good.
private func daily(_ first: String, _ last: String) -> [BackupRun] {
    var runs: [BackupRun] = []
    var t = utc(first + "T01:05:00Z")
    while t <= utc(last + "T01:05:00Z") { runs.append(BackupRun(time: t)); t += 86_400 }
    return runs
}

@Suite struct BackupComplianceTests {
    let now = utc("2024-06-15T12:00:00Z")

    @Test func policiesAreTyped() throws {
        let p = try policies([backup("vm", "0 1 * * *", keep: ["daily": 30, "monthly": 12]),
                              backup("db", "hourly", target: "s3", tier: 1)])
        #expect(p[0].semantics == .pbs, "a PBS target prunes PBS-style")
        #expect(p[1].semantics == .restic)
        #expect(p[0].rpo == 86_400 && p[1].rpo == 900, "from the tier")
        #expect(p[1].schedule.kind == .calendar)
        #expect(p[0].copies.map(\.name) == ["primary", "pbs", "s3"])
    }

    @Test func badSchedulesAndLocationsNameTheirPlace() {
        let errors = loadErrors(inventory(backups: [backup("vm", "0 1 * * *"), backup("db", "61 * * * *")]))
        #expect(errors == ["backups[2].schedule: '61 * * * *': minute '61': 61 is outside 0-59"])
        let places = loadErrors(inventory(backups: [backup("x", "daily", target: "nas", copies: ["primary", "tape"])]))
        #expect(places.contains { $0.hasPrefix("backups[1].target: 'nas' is not a storage location") }, "\(places)")
        #expect(places.contains { $0.hasPrefix("backups[1].copies[2]: 'tape' is not a storage location") }, "\(places)")
    }

    @Test func aHealthyDailyBackup() throws {
        let p = try policies([backup("vm", "0 1 * * *")])[0]
        let c = BackupCompliance.evaluate(p, runs: daily("2024-05-01", "2024-06-15"), now: now, zone: z)
        #expect(c.status == .ok, "\(c.problems)")
        #expect(c.age == 39_300)
        #expect(c.maxAge == 39_600, "11 h: since today's 01:00 fire")
        #expect(c.interval == 86_400)
        #expect((c.runs, c.good, c.successRate, c.gaps) == (30, 30, 100, 0))
        #expect((c.copies, c.media, c.offsite) == (3, 3, 1))
    }

    @Test func withinGraceTheRunningBackupIsNotLate() throws {
        let p = try policies([backup("vm", "0 1 * * *")])[0]
        // 01:30: today's run may still be going (grace: a quarter of the day, at most 1 h).
        let c = BackupCompliance.evaluate(p, runs: daily("2024-06-01", "2024-06-14"), now: utc("2024-06-15T01:30:00Z"), zone: z)
        #expect(c.status == .ok, "\(c.problems)")
        #expect(c.maxAge == 88_200, "24 h 30 m: the fire before the grace")
        let late = BackupCompliance.evaluate(p, runs: daily("2024-06-01", "2024-06-14"), now: utc("2024-06-15T02:00:00Z"), zone: z)
        #expect(late.problems == ["late: newest good backup is 1d 0h 55m old, the schedule allows 1h"])
        #expect(late.status == .warning)
    }

    @Test func aMissedRunIsAGap() throws {
        let p = try policies([backup("vm", "0 1 * * *")])[0]
        let runs = daily("2024-05-01", "2024-06-15").filter { $0.time != utc("2024-06-10T01:05:00Z") }
        let c = BackupCompliance.evaluate(p, runs: runs, now: now, zone: z)
        #expect(c.gaps == 1)
        #expect(c.problems == ["1 scheduled run missing in 30 days"])
        #expect(c.status == .warning)
    }

    @Test func aFailedRunBreaksTheRPOAndTheSuccessRate() throws {
        let p = try policies([backup("vm", "0 1 * * *")])[0]
        var runs = daily("2024-05-01", "2024-06-15")
        runs[runs.count - 1].ok = false
        let c = BackupCompliance.evaluate(p, runs: runs, now: now, zone: z)
        #expect(c.status == .critical)
        #expect(c.age == 125_700)
        #expect(c.problems == ["newest good backup is 1d 10h 55m old, RPO 1d",
                               "late: newest good backup is 1d 10h 55m old, the schedule allows 11h",
                               "success rate 96.6% over 30 days (plan: > 99%)"])
    }

    @Test func ninetyNinePercentIsNotAboveNinetyNine() throws {
        let p = try policies([backup("cfg", "*-*-* *:00/7:00", tier: nil)])[0]
        // 100 runs 7 minutes apart, the newest at 11:57; one failed.
        var runs = (0..<100).map { BackupRun(time: utc("2024-06-15T00:24:00Z") + Int64($0) * 420) }
        runs[10].ok = false
        let c = BackupCompliance.evaluate(p, runs: runs, now: utc("2024-06-15T11:58:00Z"), zone: z)
        #expect(c.successRate == 99)
        #expect(c.problems.contains("success rate 99.0% over 30 days (plan: > 99%)"))
        runs[10].ok = true
        #expect(BackupCompliance.evaluate(p, runs: runs, now: utc("2024-06-15T11:58:00Z"), zone: z).successRate == 100)
    }

    @Test func noHistoryAndNoBackups() throws {
        let p = try policies([backup("vm", "0 1 * * *")])[0]
        let unknown = BackupCompliance.evaluate(p, runs: nil, now: now, zone: z)
        #expect(unknown.status == .unknown)
        #expect(unknown.problems == ["no history for it in the source"])
        let none = BackupCompliance.evaluate(p, runs: [], now: now, zone: z)
        #expect(none.status == .critical)
        #expect(none.problems == ["no backup found"])
        #expect(BackupCompliance.Status.critical.exitCode == 2 && BackupCompliance.Status.unknown.exitCode == 3)
    }

    @Test func threeTwoOneAndScheduleAgainstRPO() throws {
        let p = try policies([backup("etcd", "0 */6 * * *", target: "s3", tier: 1, copies: ["primary", "s3"])])[0]
        let runs = (0..<200).map { BackupRun(time: utc("2024-05-01T00:00:10Z") + Int64($0) * 6 * 3600) }
            .filter { $0.time <= now }
        let c = BackupCompliance.evaluate(p, runs: runs, now: now, zone: z)
        #expect(c.problems == ["newest good backup is 5h 59m 50s old, RPO 15m",
                               "schedule every 6h cannot meet RPO 15m",
                               "3-2-1 not met: 2 copies, 2 media, 1 offsite"], "worst first")
        #expect(c.status == .critical)
        #expect(c.gaps == 0)
    }
}
