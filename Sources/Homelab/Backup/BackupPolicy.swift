/// One entry of the inventory's backup section, typed: when it runs, what
/// it keeps (with the pruning rules of where it is kept), the recovery point
/// it must meet, and where its copies live.
public struct BackupPolicy: Sendable {
    public var name: String
    public var resource: String
    public var schedule: Schedule
    public var retention: RetentionPolicy
    /// PBS prune for targets that are a Proxmox Backup Server, else restic's.
    public var semantics: RetentionPolicy.Semantics
    /// The recovery point objective in seconds: its own, else its tier's.
    public var rpo: Int64?
    public var tier: Int?
    /// How late a run may be before it counts as missed, in seconds.
    public var grace: Int64?
    public var target: String
    public var copies: [Inventory.Storage.Location]

    /// The policies of a validated inventory, in its order.
    public static func all(in inventory: Inventory) throws -> [BackupPolicy] {
        try inventory.backups.enumerated().map { i, b in
            do { return try BackupPolicy(b, inventory) } catch let e as HomelabError { throw e.at("backups[\(i + 1)]") }
        }
    }

    init(_ b: Inventory.Backup, _ inventory: Inventory) throws {
        name = b.name
        resource = b.resource
        do { schedule = try Schedule(parsing: b.schedule) } catch let e as HomelabError { throw e.at("schedule") }
        var counts: [RetentionPolicy.Period: Int] = [:]
        for (key, n) in b.keep { if let p = RetentionPolicy.Period(rawValue: key) { counts[p] = n } }
        // Without counts, the retention period itself: keep everything within it.
        let within = counts.isEmpty ? Self.retentionDuration(b.retention) : nil
        retention = try RetentionPolicy(counts: counts, within: within)
        let locations = inventory.storage.locations
        let targetLocation = locations.first { $0.name == b.target }
        semantics = targetLocation?.prune == "pbs" ? .pbs : .restic
        tier = b.tier
        if let rpo = b.rpo { self.rpo = rpo.components.seconds }
        else if let tier = b.tier, let r = inventory.recovery.first(where: { $0.tier == tier }) { rpo = r.rpo.components.seconds }
        grace = b.grace?.components.seconds
        target = b.target
        copies = b.copies.compactMap { name in locations.first { $0.name == name } }
    }

    /// restic's keep-within wants days or hours: "30d", "36h".
    static func retentionDuration(_ d: Duration) -> RetentionDuration {
        let s = Int(d.components.seconds)
        return s % 86_400 == 0 ? RetentionDuration(days: s / 86_400) : RetentionDuration(hours: (s + 3599) / 3600)
    }
}
