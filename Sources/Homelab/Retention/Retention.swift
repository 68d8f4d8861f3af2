/// One snapshot as retention sees it (restic's fields; `protected` is PBS's).
public struct RetentionSnapshot: Sendable, Equatable {
    public var id: String
    public var time: ZonedTime
    public var host: String
    public var paths: [String]
    public var tags: [String]
    public var protected: Bool

    public init(id: String, time: ZonedTime, host: String = "", paths: [String] = [], tags: [String] = [],
                protected: Bool = false) {
        self.id = id
        self.time = time
        self.host = host
        self.paths = paths
        self.tags = tags
        self.protected = protected
    }
}

/// What a policy decided for one group of snapshots, newest first.
public struct RetentionDecision: Sendable {
    public struct Kept: Sendable {
        public var snapshot: RetentionSnapshot
        /// The rules that kept it, in restic's words ("daily snapshot",
        /// "within 1y") or PBS's ("keep-daily", "protected").
        public var reasons: [String]
    }

    public var keep: [Kept] = []
    public var remove: [RetentionSnapshot] = []
}

public enum Retention {
    /// Applies `policy` to one group of snapshots. `now` bounds which
    /// snapshot counts as the newest for keep-within (restic ignores
    /// future-dated ones there); `localZone` resolves keep-within's calendar
    /// arithmetic as restic does in its own time zone.
    public static func apply(_ snapshots: [RetentionSnapshot], _ policy: RetentionPolicy,
                             semantics: RetentionPolicy.Semantics = .restic, now: ZonedTime,
                             localZone: TimeZoneRules = SystemTimeZone()) throws -> RetentionDecision {
        // Newest first; equal times keep their given order (a stable sort).
        // Indices are sorted, not the snapshots: no copies while sorting.
        let order = snapshots.indices.sorted {
            let a = snapshots[$0].time, b = snapshots[$1].time
            return a == b ? $0 < $1 : a > b
        }
        let list = order.map { snapshots[$0] }
        switch semantics {
        case .restic014:
            // restic 0.14 reads -1 as no rule at all, and removes what that
            // rule alone was keeping: refuse rather than imitate.
            if let unlimited = policy.counts.first(where: { $0.value < 0 }) {
                throw HomelabError("restic 0.14 has no unlimited count (keep \(unlimited.key.rawValue) = -1); it needs restic 0.15 or later")
            }
            return restic(list, policy, keepOldest: false, now: now, localZone: localZone)
        case .restic:
            return restic(list, policy, keepOldest: true, now: now, localZone: localZone)
        case .pbs:
            if policy.within != nil || !policy.withinPeriods.isEmpty || !policy.tags.isEmpty {
                throw HomelabError("Proxmox Backup Server prunes by counts only: no within or tags")
            }
            if let unlimited = policy.counts.first(where: { $0.value < 0 }) {
                throw HomelabError("Proxmox Backup Server has no unlimited count (keep \(unlimited.key.rawValue) = -1)")
            }
            return pbs(list, policy)
        }
    }

    /// restic's forget: every rule looks at every snapshot; a count rule
    /// keeps the newest snapshot of each new period until its count is used.
    static func restic(_ list: [RetentionSnapshot], _ policy: RetentionPolicy, keepOldest: Bool,
                       now: ZonedTime, localZone: TimeZoneRules) -> RetentionDecision {
        var decision = RetentionDecision()
        guard !list.isEmpty else { return decision }
        // The newest snapshot not in the future; Go's zero time if none.
        var latest = ZonedTime(seconds: Int64(CivilDate.daysSinceEpoch(year: 1, month: 1, day: 1)) * 86_400)
        for s in list where s.time > latest && s.time < now { latest = s.time }

        let periods = RetentionPolicy.Period.allCases
        var left = periods.map { policy.count($0) }
        var lastBucket = [Int?](repeating: nil, count: periods.count)
        let withinStart = policy.within?.before(latest, localZone: localZone)
        let withinRules = periods.compactMap { p in
            policy.withinPeriods[p].map { (period: p, duration: $0, start: $0.before(latest, localZone: localZone)) }
        }
        var lastWithinBucket = [Int?](repeating: nil, count: withinRules.count)

        for (nr, s) in list.enumerated() {
            var reasons: [String] = []
            for tagSet in policy.tags where tagSet.allSatisfy(s.tags.contains) {
                reasons.append("has tags [\(tagSet.joined(separator: ", "))]")
            }
            if let start = withinStart, s.time > start { reasons.append("within \(policy.within!)") }
            let date = s.time.date  // once: every period's bucket is read from it
            for (i, period) in periods.enumerated() where left[i] > 0 || left[i] == -1 {
                let bucket = period == .last ? nr : period.bucket(of: date, hour: s.time.hour)
                // restic 0.16+: the oldest snapshot too, while the count has room.
                if bucket != lastBucket[i] || (keepOldest && nr == list.count - 1) {
                    lastBucket[i] = bucket
                    if left[i] > 0 { left[i] -= 1 }
                    reasons.append("\(period.rawValue) snapshot")
                }
            }
            for (i, rule) in withinRules.enumerated() where s.time > rule.start {
                let bucket = rule.period.bucket(of: date, hour: s.time.hour)
                if bucket != lastWithinBucket[i] {
                    lastWithinBucket[i] = bucket
                    reasons.append("\(rule.period.rawValue) within \(rule.duration)")
                }
            }
            if reasons.isEmpty { decision.remove.append(s) } else { decision.keep.append(.init(snapshot: s, reasons: reasons)) }
        }
        return decision
    }

    /// Proxmox Backup Server's prune: rules in the order last, hourly ...
    /// yearly; each skips snapshots an earlier rule decided on and periods an
    /// earlier rule already keeps. Protected snapshots are kept, uncounted.
    static func pbs(_ list: [RetentionSnapshot], _ policy: RetentionPolicy) -> RetentionDecision {
        enum Mark { case keep(String), remove, protected }
        var marks = [Mark?](repeating: nil, count: list.count)
        for period in RetentionPolicy.Period.allCases {
            let count = policy.count(period)
            guard count > 0 else { continue }
            func periodID(_ i: Int) -> Int { period == .last ? i : period.bucket(of: list[i].time) }
            var covered = Set<Int>()
            for i in list.indices { if case .keep? = marks[i] { covered.insert(periodID(i)) } }
            var kept = Set<Int>()
            for i in list.indices where marks[i] == nil {
                if list[i].protected {
                    marks[i] = .protected
                    continue
                }
                let id = periodID(i)
                if covered.contains(id) { continue }
                if kept.contains(id) {
                    marks[i] = .remove
                } else {
                    if kept.count >= count { break }
                    kept.insert(id)
                    marks[i] = .keep("keep-" + period.rawValue)
                }
            }
        }
        var decision = RetentionDecision()
        for (i, s) in list.enumerated() {
            if s.protected {
                decision.keep.append(.init(snapshot: s, reasons: ["protected"]))
            } else if case .keep(let reason)? = marks[i] {
                decision.keep.append(.init(snapshot: s, reasons: [reason]))
            } else {
                decision.remove.append(s)
            }
        }
        return decision
    }
}

/// Snapshots that are pruned together: by host and paths (restic's
/// default), or by any of host, paths and tags.
public struct RetentionGroup: Sendable {
    public enum Field: String, CaseIterable, Sendable { case host, paths, tags }

    public var host: String?
    public var paths: [String]?
    public var tags: [String]?
    public var snapshots: [RetentionSnapshot]

    /// Groups in the order their first snapshot appears.
    public static func group(_ snapshots: [RetentionSnapshot], by fields: Set<Field> = [.host, .paths]) -> [RetentionGroup] {
        struct Key: Hashable { var host: String?, paths: [String]?, tags: [String]? }
        let byHost = fields.contains(.host), byPaths = fields.contains(.paths), byTags = fields.contains(.tags)
        var groups: [RetentionGroup] = []
        var indexOf: [Key: Int] = [:]
        for s in snapshots {
            let key = Key(host: byHost ? s.host : nil, paths: byPaths ? s.paths.sorted() : nil,
                          tags: byTags ? s.tags.sorted() : nil)
            if let i = indexOf[key] {
                groups[i].snapshots.append(s)
            } else {
                indexOf[key] = groups.count
                groups.append(RetentionGroup(host: key.host, paths: key.paths, tags: key.tags, snapshots: [s]))
            }
        }
        return groups
    }
}
