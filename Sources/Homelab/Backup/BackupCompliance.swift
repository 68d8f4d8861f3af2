/// A backup that ran: when it started (a snapshot's time) and whether it
/// succeeded. A snapshot in a repository is a run that succeeded.
public struct BackupRun: Sendable, Equatable {
    public var time: Int64
    public var ok: Bool
    public init(time: Int64, ok: Bool = true) {
        self.time = time
        self.ok = ok
    }
}

/// How one backup stands against the plan (§5.1, §9), from its history:
/// - fresh: the newest good backup is not older than the last scheduled
///   fire that is at least `grace` in the past (late: WARNING);
/// - within its RPO: that backup is not older than the tier's recovery point
///   objective plus the grace (CRITICAL), and the schedule fires often
///   enough to meet it;
/// - no gaps: every scheduled fire in the last 30 days (from the first
///   record on: older history may be pruned) has a run before the next fire;
///   grace: `grace` of the policy, else a quarter of the interval, at most 1 h;
/// - success rate over 30 days above 99 %;
/// - 3-2-1: at least 3 copies, on 2 media, 1 of them offsite.
public struct BackupCompliance: Sendable, Equatable {
    /// Ordered by how bad: an unknown state outranks a warning, a critical
    /// one outranks everything (how monitoring merges states).
    public enum Status: String, Sendable, Comparable {
        case ok = "OK", warning = "WARNING", unknown = "UNKNOWN", critical = "CRITICAL"
        var rank: Int { switch self { case .ok: 0; case .warning: 1; case .unknown: 2; case .critical: 3 } }
        /// The Monitoring Plugins exit code.
        public var exitCode: Int32 { switch self { case .ok: 0; case .warning: 1; case .critical: 2; case .unknown: 3 } }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    public static let window: Int64 = 30 * 86_400
    /// §9: "Backup success rate: >99%".
    public static let requiredSuccessPercent = 99

    public var name: String
    public var status: Status = .ok
    /// Unix time of the newest good backup, and its age in seconds at `now`.
    public var newest: Int64?
    public var age: Int64?
    /// The oldest the newest good backup may be: now minus the fire it must
    /// have followed.
    public var maxAge: Int64?
    /// Seconds between the last two fires: what the schedule promises.
    public var interval: Int64?
    public var rpo: Int64?
    /// Runs and good runs in the last 30 days; the rate in percent.
    public var runs = 0
    public var good = 0
    public var successRate: Double?
    /// Scheduled fires in the window with no run before the next fire.
    public var gaps = 0
    public var copies = 0
    public var media = 0
    public var offsite = 0
    /// What is wrong, worst first (in the order found among equals).
    public var problems: [String] { found.enumerated().sorted { ($0.element.0, $1.offset) > ($1.element.0, $0.offset) }.map(\.element.1) }
    var found: [(Status, String)] = []

    mutating func flag(_ s: Status, _ problem: String) {
        if s > status { status = s }
        found.append((s, problem))
    }

    public static func == (a: BackupCompliance, b: BackupCompliance) -> Bool {
        a.name == b.name && a.status == b.status && a.newest == b.newest && a.problems == b.problems
            && (a.runs, a.good, a.gaps, a.copies, a.media, a.offsite) == (b.runs, b.good, b.gaps, b.copies, b.media, b.offsite)
    }

    /// `runs` nil: the source says nothing of this backup (UNKNOWN, but the
    /// checks that need no history still run).
    public static func evaluate(_ policy: BackupPolicy, runs history: [BackupRun]?, now: Int64,
                                zone: TimeZoneRules) -> BackupCompliance {
        var c = BackupCompliance(name: policy.name)
        c.rpo = policy.rpo
        let schedule = policy.schedule
        let last = schedule.previous(atOrBefore: now, zone: zone)
        if let last, let before = schedule.previous(atOrBefore: last - 1, zone: zone) { c.interval = last - before }
        let grace = policy.grace ?? min(3600, (c.interval ?? 0) / 4)
        let due = schedule.previous(atOrBefore: now - grace, zone: zone)
        if let due { c.maxAge = now - due }

        if let rpo = c.rpo, let interval = c.interval, interval > rpo {
            c.flag(.warning, "schedule every \(Self.text(interval)) cannot meet RPO \(Self.text(rpo))")
        }
        let media = Set(policy.copies.map(\.medium))
        c.copies = policy.copies.count
        c.media = media.count
        c.offsite = policy.copies.filter(\.offsite).count
        if c.copies < 3 || c.media < 2 || c.offsite < 1 {
            c.flag(.warning, "3-2-1 not met: \(c.copies) copies, \(c.media) media, \(c.offsite) offsite")
        }

        guard let history else {
            c.flag(.unknown, "no history for it in the source")
            return c
        }
        let runs = history.filter { $0.time <= now }.sorted { $0.time < $1.time }
        if let newest = runs.last(where: \.ok)?.time {
            c.newest = newest
            c.age = now - newest
        }
        let recent = runs.filter { $0.time > now - window }
        c.runs = recent.count
        c.good = recent.filter(\.ok).count
        if c.runs > 0 { c.successRate = Double(c.good * 100) / Double(c.runs) }

        guard let age = c.age else {
            c.flag(.critical, runs.isEmpty ? "no backup found" : "no good backup found")
            return c
        }
        // The same grace as for the schedule: a daily backup with a 24 h RPO
        // is not critical while tonight's run is still going.
        if let rpo = c.rpo, age > rpo + grace {
            c.flag(.critical, "newest good backup is \(Self.text(age)) old, RPO \(Self.text(rpo))")
        }
        if let due, c.newest! < due {
            c.flag(.warning, "late: newest good backup is \(Self.text(age)) old, the schedule allows \(Self.text(now - due))")
        }
        if c.runs > 0, c.good * 100 <= c.runs * requiredSuccessPercent {
            c.flag(.warning, "success rate \(Self.percent(c.good, c.runs)) over 30 days (plan: > 99%)")
        }
        if let due, let first = runs.first?.time {
            c.gaps = gapCount(schedule, runs.map(\.time), from: max(now - window, first), through: due, now: now, zone: zone)
            if c.gaps > 0 { c.flag(.warning, "\(c.gaps) scheduled run\(c.gaps == 1 ? "" : "s") missing in 30 days") }
        }
        return c
    }

    /// Fires f in [from, through] whose period is over (the next fire has
    /// come) with no run in [f, next fire). The current period is "late".
    static func gapCount(_ schedule: Schedule, _ times: [Int64], from: Int64, through: Int64, now: Int64,
                         zone: TimeZoneRules) -> Int {
        var gaps = 0, i = 0
        var f = schedule.next(after: from - 1, count: 1, zone: zone).first
        while let fire = f, fire <= through {
            let next = schedule.next(after: fire, count: 1, zone: zone).first ?? now + 1
            while i < times.count && times[i] < fire { i += 1 }
            if next <= now && (i == times.count || times[i] >= next) { gaps += 1 }
            f = next
        }
        return gaps
    }

    /// "99.5%": one decimal, truncated, so 99.96% never shows as 100%.
    static func percent(_ good: Int, _ total: Int) -> String {
        let tenths = good * 1000 / total
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// "6h", "1d 2h", "15m": seconds as people read them.
    public static func text(_ seconds: Int64) -> String {
        DurationText.compact(.seconds(seconds))
    }
}
