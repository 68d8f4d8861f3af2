import Testing
@testable import Homelab

private func snapshots(_ times: [String], host: String = "elsa") -> [RetentionSnapshot] {
    times.map { RetentionSnapshot(id: $0, time: try! ZonedTime(parsingRFC3339: $0), host: host) }
}

private func policy(_ counts: [RetentionPolicy.Period: Int]) -> RetentionPolicy {
    try! RetentionPolicy(counts: counts)
}

private let farFuture = try! ZonedTime(parsingRFC3339: "2100-01-01T00:00:00Z")

/// Kept ids, oldest first (as PBS's tests list them).
private func kept(_ list: [RetentionSnapshot], _ p: RetentionPolicy, _ semantics: RetentionPolicy.Semantics) throws -> [String] {
    try Retention.apply(list, p, semantics: semantics, now: farFuture, localZone: FixedOffset(seconds: 0))
        .keep.map(\.snapshot.id).reversed()
}

@Suite struct CivilTimeTests {
    @Test func isoWeeksAtYearEnds() {
        #expect(CivilDate(year: 2020, month: 12, day: 31).isoWeek == (2020, 53))
        #expect(CivilDate(year: 2021, month: 1, day: 3).isoWeek == (2020, 53))
        #expect(CivilDate(year: 2021, month: 1, day: 4).isoWeek == (2021, 1))
        #expect(CivilDate(year: 2024, month: 12, day: 30).isoWeek == (2025, 1))
        #expect(CivilDate(year: 2019, month: 12, day: 1).isoWeek == (2019, 48))
    }

    @Test func datesNormaliseLikeGo() {
        // March 31 minus a month is "February 31": March 2 in a leap year.
        #expect(CivilDate(daysSinceEpoch: CivilDate.daysSinceEpoch(year: 2024, month: 2, day: 31))
                == CivilDate(year: 2024, month: 3, day: 2))
        #expect(CivilDate(daysSinceEpoch: CivilDate.daysSinceEpoch(year: 2023, month: 0, day: 1))
                == CivilDate(year: 2022, month: 12, day: 1))
        #expect(CivilDate(daysSinceEpoch: CivilDate.daysSinceEpoch(year: 2023, month: 1, day: 0))
                == CivilDate(year: 2022, month: 12, day: 31))
        #expect(CivilDate(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(CivilDate(year: 1, month: 1, day: 1).daysSinceEpoch == -719_162)
    }

    @Test func rfc3339RoundTrips() throws {
        let t = try ZonedTime(parsingRFC3339: "2024-03-31T03:30:00.25+02:00")
        #expect(t.seconds == 1_711_848_600)
        #expect(t.nanoseconds == 250_000_000)
        #expect(t.description == "2024-03-31T03:30:00.25+02:00")
        #expect(t.date == CivilDate(year: 2024, month: 3, day: 31))
        #expect(t.hour == 3)
        #expect(try ZonedTime(parsingRFC3339: "2024-01-01T00:00:00.123456789123Z").nanoseconds == 123_456_789)
        for bad in ["2024-02-30T00:00:00Z", "2024-03-31 03:30", "2024-03-31T03:30:00", "yesterday", "2024-03-31T24:00:00Z"] {
            #expect(throws: HomelabError.self) { try ZonedTime(parsingRFC3339: bad) }
        }
    }

    @Test func addDateInAFixedOffset() throws {
        let t = try ZonedTime(parsingRFC3339: "2024-03-31T12:00:00+02:00")
        let back = t.addingDate(years: 0, months: -1, days: 0, localZone: FixedOffset(seconds: 7200))
        #expect(back.description == "2024-03-02T12:00:00+02:00")
    }
}

@Suite struct RetentionPolicyTests {
    @Test func badPoliciesAreRefused() throws {
        #expect(throws: HomelabError.self) { try RetentionPolicy() }
        #expect(throws: HomelabError.self) { try RetentionPolicy(counts: [.daily: -2]) }
        #expect(throws: HomelabError.self) { try RetentionPolicy(counts: [.daily: 0]) }
        let unlimited = try RetentionPolicy(counts: [.monthly: -1])
        #expect(throws: HomelabError.self) {
            try Retention.apply([], unlimited, semantics: .restic014, now: farFuture)
        }
        #expect(throws: HomelabError.self) {
            try Retention.apply([], try RetentionPolicy(within: RetentionDuration(days: 3)), semantics: .pbs, now: farFuture)
        }
    }

    @Test func durations() throws {
        #expect(try RetentionDuration(parsing: "1y6m") == RetentionDuration(years: 1, months: 6))
        #expect(try RetentionDuration(parsing: "2y3m4d5h").description == "2y3m4d5h")
        for bad in ["", "5", "1w", "1d1d", "d", "-1d"] {
            #expect(throws: HomelabError.self) { try RetentionDuration(parsing: bad) }
        }
    }
}

/// restic 0.16 and later keep the oldest snapshot while a count has room:
/// four snapshots in one month with keep-monthly 4 keep the newest and the
/// oldest (restic's forum and changelog example); restic 0.14 keeps one.
@Suite struct ResticOldestSnapshotTests {
    let january = snapshots(["2024-01-02T13:42:44Z", "2024-01-03T01:04:38Z", "2024-01-04T20:09:54Z", "2024-01-04T20:20:32Z"])

    @Test func newerResticKeepsTheOldestWhileCountsRemain() throws {
        #expect(try kept(january, policy([.monthly: 4]), .restic) == ["2024-01-02T13:42:44Z", "2024-01-04T20:20:32Z"])
        #expect(try kept(january, policy([.monthly: 4]), .restic014) == ["2024-01-04T20:20:32Z"])
        // A count used up before the oldest leaves it to the other rules.
        #expect(try kept(january, policy([.monthly: 1]), .restic) == ["2024-01-04T20:20:32Z"])
        #expect(try kept(january, policy([.monthly: -1]), .restic) == ["2024-01-02T13:42:44Z", "2024-01-04T20:20:32Z"])
    }

    @Test func reasonsReadLikeRestics() throws {
        let d = try Retention.apply(january, policy([.last: 1, .monthly: 4]), semantics: .restic, now: farFuture,
                                    localZone: FixedOffset(seconds: 0))
        #expect(d.keep.first?.reasons == ["last snapshot", "monthly snapshot"])
        #expect(d.keep.last?.reasons == ["monthly snapshot"])
        #expect(d.remove.map(\.id) == ["2024-01-04T20:09:54Z", "2024-01-03T01:04:38Z"])
    }
}

/// The worked examples of Proxmox Backup Server's own prune tests
/// (tests/prune.rs in proxmox-backup), all in UTC.
@Suite struct PBSPruneTests {
    let hourly = snapshots(["2019-11-15T09:39:15Z", "2019-11-15T10:49:15Z", "2019-11-15T10:59:15Z",
                            "2019-11-15T11:39:15Z", "2019-11-15T11:49:15Z", "2019-11-15T11:59:15Z"])
    let simple = snapshots(["2019-12-02T11:59:15Z", "2019-12-03T11:59:15Z", "2019-12-04T11:59:15Z", "2019-12-04T12:59:15Z"])
    let simple2 = snapshots(["2018-11-15T11:59:15Z", "2019-11-15T11:59:15Z", "2019-11-21T11:59:15Z", "2019-11-22T11:59:15Z",
                             "2019-11-29T11:59:15Z", "2019-12-01T11:59:15Z", "2019-12-02T11:59:15Z", "2019-12-03T11:59:15Z",
                             "2019-12-04T11:59:15Z"])

    func removed(_ list: [RetentionSnapshot], _ counts: [RetentionPolicy.Period: Int]) throws -> [String] {
        let keep = Set(try kept(list, policy(counts), .pbs))
        return list.map(\.id).filter { !keep.contains($0) }
    }

    @Test func keepHourly() throws {
        #expect(try removed(hourly, [.hourly: 3]) == ["2019-11-15T10:49:15Z", "2019-11-15T11:39:15Z", "2019-11-15T11:49:15Z"])
        #expect(try kept(hourly, policy([.hourly: 2]), .pbs) == ["2019-11-15T10:59:15Z", "2019-11-15T11:59:15Z"])
    }

    @Test func keepLastDailyWeekly() throws {
        #expect(try removed(simple, [.last: 4]) == [])
        #expect(try removed(simple, [.last: 3]) == ["2019-12-02T11:59:15Z"])
        #expect(try removed(simple, [.last: 1]) == ["2019-12-02T11:59:15Z", "2019-12-03T11:59:15Z", "2019-12-04T11:59:15Z"])
        #expect(try removed(simple, [.last: 2, .daily: 2]) == [])
        #expect(try removed(simple, [.daily: 3]) == ["2019-12-04T11:59:15Z"])
        #expect(try removed(simple, [.daily: 2]) == ["2019-12-02T11:59:15Z", "2019-12-04T11:59:15Z"])
        let allButNewest = ["2019-12-02T11:59:15Z", "2019-12-03T11:59:15Z", "2019-12-04T11:59:15Z"]
        #expect(try removed(simple, [.weekly: 5]) == allButNewest)
        #expect(try removed(simple, [.daily: 1, .weekly: 5]) == allButNewest)
        #expect(try removed(simple, [.monthly: 6]) == allButNewest)
        #expect(try removed(simple, [.yearly: 7]) == allButNewest)
        #expect(try removed(simple, [.weekly: 5, .monthly: 6, .yearly: 7]) == allButNewest)
    }

    @Test func rulesOnlyLookBeyondWhatEarlierRulesCover() throws {
        #expect(try kept(simple2, policy([.daily: 1]), .pbs) == ["2019-12-04T11:59:15Z"])
        #expect(try kept(simple2, policy([.last: 1, .daily: 1]), .pbs) == ["2019-12-03T11:59:15Z", "2019-12-04T11:59:15Z"])
        #expect(try kept(simple2, policy([.daily: 1, .weekly: 1]), .pbs) == ["2019-12-01T11:59:15Z", "2019-12-04T11:59:15Z"])
        #expect(try kept(simple2, policy([.daily: 1, .weekly: 1, .monthly: 1]), .pbs)
                == ["2019-11-22T11:59:15Z", "2019-12-01T11:59:15Z", "2019-12-04T11:59:15Z"])
        #expect(try kept(simple2, policy([.monthly: 1, .yearly: 1]), .pbs) == ["2018-11-15T11:59:15Z", "2019-12-04T11:59:15Z"])
    }

    @Test func protectedSnapshotsAreKeptAndNotCounted() throws {
        var list = simple
        list[2].protected = true  // 2019-12-04T11:59:15Z
        let d = try Retention.apply(list, policy([.last: 1]), semantics: .pbs, now: farFuture)
        #expect(d.keep.map(\.snapshot.id) == ["2019-12-04T12:59:15Z", "2019-12-04T11:59:15Z"])
        #expect(d.keep.map(\.reasons) == [["keep-last"], ["protected"]])
    }
}

@Suite struct RetentionGroupTests {
    @Test func groupsByHostAndPathsByDefault() {
        let t = try! ZonedTime(parsingRFC3339: "2024-01-01T00:00:00Z")
        let list = [RetentionSnapshot(id: "a", time: t, host: "pve1", paths: ["/etc", "/var"]),
                    RetentionSnapshot(id: "b", time: t, host: "pve1", paths: ["/var", "/etc"]),
                    RetentionSnapshot(id: "c", time: t, host: "pve2", paths: ["/etc", "/var"], tags: ["x"])]
        #expect(RetentionGroup.group(list).map { $0.snapshots.map(\.id) } == [["a", "b"], ["c"]])
        #expect(RetentionGroup.group(list, by: [.paths]).map { $0.snapshots.map(\.id) } == [["a", "b", "c"]])
        #expect(RetentionGroup.group(list, by: [.tags]).map { $0.snapshots.map(\.id) } == [["a", "b"], ["c"]])
    }
}
