/// Judging the catalogue from the model alone, when no Prometheus is
/// configured. Only a rule with a `model` threshold can be judged: the
/// capacity baseline's usage percentage for cpu, ram, storage or network
/// against it. Every other rule (a node down, a certificate, a breach) needs
/// live data and is "unknown" here: the model never guesses.
public struct AlertVerdict: Sendable {
    public enum State: String, Sendable { case firing, ok, unknown }
    public var rule: AlertRule
    public var state: State
    /// The figure compared, in percent, when there was one.
    public var value: Double?
    public var reason: String
}

extension AlertCatalogue {
    public static func evaluateOnModel(_ inventory: Inventory, severity: AlertSeverity? = nil) -> [AlertVerdict] {
        rules(inventory, severity: severity).map { rule in
            guard let m = rule.model else {
                return AlertVerdict(rule: rule, state: .unknown, value: nil,
                                    reason: rule.expr != nil ? "needs live data (Prometheus)" : "needs the labsh check '\(rule.check ?? rule.name)'")
            }
            guard let text = inventory.capacity?.baseline[m.usage]?["usage"],
                  let usage = Double(text.trimmingSuffix("%")) else {
                return AlertVerdict(rule: rule, state: .unknown, value: nil,
                                    reason: "no capacity.baseline.\(m.usage).usage figure in the inventory")
            }
            let firing = usage > m.above
            return AlertVerdict(rule: rule, state: firing ? .firing : .ok, value: usage,
                                reason: "\(m.usage) usage \(format(usage))% \(firing ? ">" : "<=") \(format(m.above))% (capacity baseline)")
        }
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}

extension String {
    fileprivate func trimmingSuffix(_ s: String) -> Substring {
        hasSuffix(s) ? dropLast(s.count) : Substring(self)
    }
}
