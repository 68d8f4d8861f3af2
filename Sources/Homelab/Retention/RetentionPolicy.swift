/// Which snapshots to keep, in the terms restic's `forget` and Proxmox
/// Backup Server's prune use: counts per period (`-1` keeps every period),
/// keep-within durations and tags.
public struct RetentionPolicy: Sendable, Equatable {
    public enum Period: String, CaseIterable, Sendable {
        case last, hourly, daily, weekly, monthly, yearly
    }

    /// How a policy is applied.
    public enum Semantics: String, CaseIterable, Sendable {
        /// restic 0.16 and later: also keeps the oldest snapshot while a
        /// count has room left.
        case restic
        /// restic before 0.16 (Debian 12 ships 0.14).
        case restic014 = "restic-0.14"
        /// Proxmox Backup Server: rules in order, each only looking at
        /// periods the earlier rules did not cover; protected snapshots kept.
        case pbs
    }

    /// Count per period: 0 = no rule, -1 = every period.
    public var counts: [Period: Int] = [:]
    /// keep-within: everything newer than this before the newest snapshot.
    public var within: RetentionDuration?
    /// keep-within-hourly ... -yearly: the newest of each period within.
    public var withinPeriods: [Period: RetentionDuration] = [:]
    /// keep-tag: each entry a set of tags a snapshot must all carry.
    public var tags: [[String]] = []

    public init(counts: [Period: Int] = [:], within: RetentionDuration? = nil,
                withinPeriods: [Period: RetentionDuration] = [:], tags: [[String]] = []) throws {
        for (period, count) in counts where count < -1 {
            throw HomelabError("keep \(period.rawValue): \(count) is not a count (-1 keeps every \(period.noun))")
        }
        if withinPeriods[.last] != nil {
            throw HomelabError("there is no keep-within-last; use within")
        }
        self.counts = counts.filter { $0.value != 0 }
        self.within = within?.isZero == true ? nil : within
        self.withinPeriods = withinPeriods.filter { !$0.value.isZero }
        self.tags = tags
        if isEmpty {
            throw HomelabError("the retention policy keeps nothing: give at least one of last, hourly, daily, weekly, monthly, yearly, within or tags")
        }
    }

    public var isEmpty: Bool { counts.isEmpty && within == nil && withinPeriods.isEmpty && tags.isEmpty }

    func count(_ p: Period) -> Int { counts[p] ?? 0 }
}

extension RetentionPolicy.Period {
    var noun: String {
        switch self {
        case .last: return "snapshot"
        case .hourly: return "hour"
        case .daily: return "day"
        case .weekly: return "week"
        case .monthly: return "month"
        case .yearly: return "year"
        }
    }

    /// The period a time falls in, as one number (restic's "bucket"): hours
    /// as YYYYMMDDHH, days YYYYMMDD, ISO weeks YYYYWW, months YYYYMM, years.
    func bucket(of time: ZonedTime) -> Int { bucket(of: time.date, hour: time.hour) }

    func bucket(of d: CivilDate, hour: Int) -> Int {
        switch self {
        case .last: return 0  // not by time: every snapshot is its own
        case .hourly: return d.year * 1_000_000 + d.month * 10_000 + d.day * 100 + hour
        case .daily: return d.year * 10_000 + d.month * 100 + d.day
        case .weekly: let w = d.isoWeek; return w.year * 100 + w.week
        case .monthly: return d.year * 100 + d.month
        case .yearly: return d.year
        }
    }
}

/// restic's durations for keep-within: years, months, days and hours,
/// written "1y6m", "7d", "36h", "2y3m4d5h".
public struct RetentionDuration: Sendable, Equatable, CustomStringConvertible {
    public var years = 0, months = 0, days = 0, hours = 0

    public init(years: Int = 0, months: Int = 0, days: Int = 0, hours: Int = 0) {
        self.years = years
        self.months = months
        self.days = days
        self.hours = hours
    }

    public init(parsing text: String) throws {
        func fail() -> HomelabError {
            HomelabError("'\(text)' is not a keep-within duration (like 7d, 36h, 1y6m or 2y3m4d5h)")
        }
        var number: Int?
        var seen: Set<UInt8> = []
        for byte in text.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                let (n, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (m, o2) = n.addingReportingOverflow(Int(byte - 0x30))
                guard !o1, !o2, m < 1_000_000 else { throw fail() }
                number = m
                continue
            }
            guard let n = number, seen.insert(byte).inserted else { throw fail() }
            switch byte {
            case UInt8(ascii: "y"): years = n
            case UInt8(ascii: "m"): months = n
            case UInt8(ascii: "d"): days = n
            case UInt8(ascii: "h"): hours = n
            default: throw fail()
            }
            number = nil
        }
        guard number == nil, !seen.isEmpty else { throw fail() }
    }

    public var isZero: Bool { years == 0 && months == 0 && days == 0 && hours == 0 }

    /// restic's form: "1y6m", "0h" for zero.
    public var description: String {
        var text = ""
        if years != 0 { text += "\(years)y" }
        if months != 0 { text += "\(months)m" }
        if days != 0 { text += "\(days)d" }
        if hours != 0 || text.isEmpty { text += "\(hours)h" }
        return text
    }

    /// The moment this long before `time` (Go's AddDate, then hours).
    func before(_ time: ZonedTime, localZone: TimeZoneRules) -> ZonedTime {
        time.addingDate(years: -years, months: -months, days: -days, localZone: localZone).addingHours(-hours)
    }
}
