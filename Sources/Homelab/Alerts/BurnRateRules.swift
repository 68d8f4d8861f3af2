/// Multiwindow, multi-burn-rate SLO alerts (the SRE workbook, chapter 5):
/// per tier, an alert when the tier's services spend their 30-day error
/// budget too fast, measured over a long window and confirmed over a short
/// one (so it stops soon after the service recovers). The SLI is blackbox
/// probe_success, labelled service and tier by `labsh -m gen blackbox`.
public enum BurnRateRules {
    /// One alert: budget spent `burn` times faster than the 30 days allow,
    /// over both windows (seconds); paging alerts go to P1, tickets to P3.
    public struct Window: Sendable {
        public var name: String
        public var burn: Double
        public var long: Int64
        public var short: Int64
        public var severity: AlertSeverity
    }

    /// 14.4x over 1 h spends 2% of the budget; 6x over 6 h, 5%; 1x over 3 d, 10%.
    public static let windows = [
        Window(name: "fast", burn: 14.4, long: 3600, short: 300, severity: .p1),
        Window(name: "slow", burn: 6, long: 6 * 3600, short: 1800, severity: .p1),
        Window(name: "ticket", burn: 1, long: 3 * 86400, short: 6 * 3600, severity: .p3),
    ]

    /// The tiers with probed services, each with its availability target
    /// and the services it covers (a tier whose services name different
    /// targets gets one alert set per target).
    struct Objective {
        var tier: Int
        var target: AvailabilityTarget
        var services: [String]
        var selector: String
    }

    static func objectives(_ inventory: Inventory) -> [Objective] {
        var out: [Objective] = []
        for tier in Set(inventory.services.map(\.tier)).sorted() {
            let probed = inventory.services.filter { $0.tier == tier && $0.probe != nil }
            var targets: [AvailabilityTarget] = []
            for s in probed where !targets.contains(s.slo) { targets.append(s.slo) }
            for target in targets {
                let names = probed.filter { $0.slo == target }.map(\.name)
                var selector = "tier=\"\(tier)\""
                if targets.count > 1 {
                    selector += ",service=~\"" + names.map(regexLiteral).joined(separator: "|") + "\""
                }
                out.append(Objective(tier: tier, target: target, services: names, selector: selector))
            }
        }
        return out
    }

    /// The error budget as a fraction: 99.5% -> 0.005 (as PromQL text).
    static func budget(_ target: AvailabilityTarget) -> String {
        "(1 - \(target.percentText) / 100)"
    }

    /// The fraction of failed probes per service over `seconds`.
    static func errorRatio(_ selector: String, _ seconds: Int64) -> String {
        "(1 - avg by (service, tier) (avg_over_time(probe_success{\(selector)}[\(PromDuration.text(.seconds(seconds)))])))"
    }

    static func expr(_ o: Objective, _ w: Window) -> String {
        let limit = "\(w.burn.description) * \(budget(o.target))"
        return "\(errorRatio(o.selector, w.long)) > \(limit)\nand\n\(errorRatio(o.selector, w.short)) > \(limit)"
    }

    /// Rule groups in the format of PrometheusRules, one per tier objective.
    public static func groups(_ inventory: Inventory) -> String {
        var out = ""
        for o in objectives(inventory) {
            let suffix = o.services.count == inventory.services.filter({ $0.tier == o.tier && $0.probe != nil }).count
                ? "" : "-" + o.target.percentText
            out += "  - name: \(YAML.quote("labsh-slo-tier\(o.tier)\(suffix)"))\n"
            out += "    rules:\n"
            for w in windows {
                out += "      - alert: \(YAML.quote("SloBurnRate" + w.name.prefix(1).uppercased() + w.name.dropFirst()))\n"
                out += "        expr: \(YAML.quote(expr(o, w)))\n"
                out += "        labels:\n"
                out += "          severity: \(YAML.quote(w.severity.rawValue))\n"
                out += "          response: \(YAML.quote(w.severity.responseText))\n"
                out += "          slo_window: \(YAML.quote(w.name))\n"
                out += "          slo: \(YAML.quote(o.target.percentText))\n"
                out += "        annotations:\n"
                let spend = "\(w.burn.description)x over \(PromDuration.text(.seconds(w.long))) and \(PromDuration.text(.seconds(w.short)))"
                out += "          summary: \(YAML.quote("Tier \(o.tier) service spends its \(o.target) error budget at \(spend)"))\n"
            }
        }
        return out
    }

    /// `s` matched literally inside a PromQL regex in a double-quoted string.
    static func regexLiteral(_ s: String) -> String {
        var out = ""
        for ch in s {
            if "\\.^$|?*+()[]{}".contains(ch) { out += "\\\\" }
            if ch == "\"" { out += "\\" }
            out.append(ch)
        }
        return out
    }
}
