extension Policy {
    public enum Verdict: String, Sendable {
        case allowed, denied
        /// Some of the traffic asked about is allowed, some denied (usually:
        /// only some ports are open).
        case partly
    }

    public struct Decision: Hashable, Sendable, CustomStringConvertible {
        public let verdict: Verdict
        /// The first rule that decided any of the traffic, numbered from 1 as
        /// in the inventory; nil when only the default (or the same-zone
        /// shortcut) decided.
        public let ruleNumber: Int?
        /// "rule 4: k8s → management denied (isolation boundary)",
        /// "default deny", or each deciding rule and then the rest.
        public let reason: String

        public init(verdict: Verdict, ruleNumber: Int?, reason: String) {
            self.verdict = verdict
            self.ruleNumber = ruleNumber
            self.reason = reason
        }

        public var allowed: Bool { verdict == .allowed }
        public var description: String { "\(verdict.rawValue): \(reason)" }
    }

    /// What happens to traffic from one zone to another. A query names a
    /// packet (proto tcp/udp with a port, or icmp) or a set of them (no port:
    /// every port; proto any: every protocol); for a set the answer is
    /// `partly` when the rules treat its parts differently.
    /// `from` and `to` are zones or "internet", not "*".
    public func decide(from: String, to: String, port: Int? = nil, proto: Proto = .any) throws -> Decision {
        try checkZone(from, field: "from")
        try checkZone(to, field: "to")
        if let port {
            if proto == .icmp { throw HomelabError("icmp has no ports; ask without a port") }
            if let problem = PortRange(port).problem { throw HomelabError(problem) }
        }
        return evaluate(from: from, to: to,
                        traffic: TrafficSet(proto: proto, ports: port.map { PortSet([$0...$0]) }))
    }

    /// First match per piece of traffic: each rule decides the part of the
    /// still undecided traffic it covers; what no rule covers is denied.
    func evaluate(from: String, to: String, traffic: TrafficSet) -> Decision {
        if sameZoneAllowed && from == to {
            return Decision(verdict: .allowed, ruleNumber: nil,
                            reason: "same zone: traffic inside \(from) does not cross the firewall")
        }
        var undecided = traffic
        var anyAllowed = false, anyDenied = false
        var deciding: [Int] = []
        for (index, rule) in rules.enumerated() where rule.matches(from: from, to: to) {
            let decided = undecided.intersection(rule.traffic)
            if decided.isEmpty { continue }
            if rule.action == .allow { anyAllowed = true } else { anyDenied = true }
            deciding.append(index)
            undecided = undecided.subtracting(decided)
            if undecided.isEmpty { break }
        }
        var reasons = deciding.map { describe(rule: $0, from: from, to: to) }
        if !undecided.isEmpty {
            anyDenied = true
            reasons.append(deciding.isEmpty ? "default deny" : "the rest: default deny")
        }
        let verdict: Verdict = anyAllowed && anyDenied ? .partly : anyAllowed ? .allowed : .denied
        return Decision(verdict: verdict, ruleNumber: deciding.first.map { $0 + 1 },
                        reason: reasons.joined(separator: "; "))
    }

    /// "rule 5: ops → dmz tcp 9100, 9113 allowed (node exporter)", with the
    /// zones asked about rather than the rule's "*".
    private func describe(rule index: Int, from: String, to: String) -> String {
        let rule = rules[index]
        var traffic = ""
        switch (rule.proto, rule.ports) {
        case (.any, nil): break
        case (.any, let ports?): traffic = " tcp/udp " + ports.map(\.description).joined(separator: ", ")
        case (let proto, nil): traffic = " \(proto.rawValue)"
        case (let proto, let ports?): traffic = " \(proto.rawValue) " + ports.map(\.description).joined(separator: ", ")
        }
        let outcome = rule.action == .allow ? "allowed" : "denied"
        let note = rule.note.map { " (\($0))" } ?? ""
        return "rule \(index + 1): \(from) → \(to)\(traffic) \(outcome)\(note)"
    }

    /// Every zone against every zone and the internet, for all traffic.
    public struct Matrix: Sendable {
        /// The declared zones.
        public let sources: [String]
        /// The declared zones, then "internet".
        public let destinations: [String]
        /// `verdicts[i][j]`: from `sources[i]` to `destinations[j]`.
        public let verdicts: [[Verdict]]

        public func verdict(from: String, to: String) -> Verdict? {
            guard let i = sources.firstIndex(of: from), let j = destinations.firstIndex(of: to) else { return nil }
            return verdicts[i][j]
        }
    }

    public func matrix() -> Matrix {
        let destinations = zones + [Self.internet]
        let verdicts = zones.map { from in
            destinations.map { to in evaluate(from: from, to: to, traffic: .everything).verdict }
        }
        return Matrix(sources: zones, destinations: destinations, verdicts: verdicts)
    }
}
