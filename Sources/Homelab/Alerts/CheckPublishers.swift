/// Which labsh command publishes a check rule's signal,
/// labsh_check_status{check=NAME}: without one, the rule can only fire on an
/// external signal (an IDS pushing to the Pushgateway) and says so, instead
/// of looking live.
public enum CheckPublishers {
    /// labsh's own checks and the check name each publishes.
    public static let byCheck: KeyValuePairs<String, String> = [
        "backup-failed": "labsh -m check-backups",
        "service-degraded": "labsh -m slo",
        "config-drift": "labsh -m gen TARGET --out DIR --check",
    ]

    public static let none = "none"

    /// The publisher of a rule: nil for a PromQL rule (Prometheus itself),
    /// the labsh command for a known check, else `none`.
    public static func publisher(of rule: AlertRule) -> String? {
        guard rule.expr == nil else { return nil }
        let check = rule.check ?? rule.name
        return byCheck.first { $0.key == check }?.value ?? none
    }
}
