/// Zero-trust firewall policy between security zones (one zone per VLAN
/// group): ordered rules, the first rule that matches decides, anything no
/// rule matches is denied. This is the model the OpenWrt firewall generator
/// and `lab.net.allows` share, so both answer the same.
public struct Policy: Sendable {
    /// In `from`/`to`: every zone, including "internet" (as in OpenWrt, where
    /// src='*' matches the wan zone too).
    public static let anyZone = "*"
    /// The pseudo-zone beyond the gateway.
    public static let internet = "internet"

    public enum Action: String, Sendable, CaseIterable {
        case allow, deny
    }

    public enum Proto: String, Sendable, CaseIterable {
        case tcp, udp, icmp, any

        public init(parsing text: String) throws {
            guard let proto = Proto(rawValue: text) else {
                throw HomelabError("unknown protocol '\(text)'; use tcp, udp, icmp or any")
            }
            self = proto
        }
    }

    /// One port or an inclusive range. Not checked on creation: `Policy`
    /// validates it and names the rule, which this value cannot know.
    public struct PortRange: Hashable, Sendable, CustomStringConvertible {
        public let lower: Int
        public let upper: Int

        public init(_ port: Int) { (lower, upper) = (port, port) }
        public init(_ lower: Int, _ upper: Int) { (self.lower, self.upper) = (lower, upper) }

        /// "22" or "8000-8100".
        public init(parsing text: String) throws {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            let numbers = parts.map { part -> Int? in
                part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) ? Int(part) : nil
            }
            switch numbers.count {
            case 1 where numbers[0] != nil: self.init(numbers[0]!)
            case 2 where numbers[0] != nil && numbers[1] != nil: self.init(numbers[0]!, numbers[1]!)
            default: throw HomelabError("'\(text)' is not a port or port range; write 22 or 8000-8100")
            }
        }

        public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }

        /// Why this range is unusable, or nil.
        var problem: String? {
            if lower < 1 || lower > 65535 || upper < 1 || upper > 65535 {
                let bad = (lower < 1 || lower > 65535) ? lower : upper
                return "port \(bad) is out of range (1-65535)"
            }
            if lower > upper { return "port range \(self) is reversed; write \(upper)-\(lower)" }
            return nil
        }
    }

    public struct Rule: Hashable, Sendable {
        /// Zone names, "*" or "internet".
        public var from: [String]
        public var to: [String]
        public var action: Action
        /// Nil means every port.
        public var ports: [PortRange]?
        public var proto: Proto
        /// Why the rule exists; shown in decisions ("isolation boundary").
        public var note: String?

        public init(from: [String], to: [String], action: Action, ports: [PortRange]? = nil,
                    proto: Proto = .any, note: String? = nil) {
            self.from = from
            self.to = to
            self.action = action
            self.ports = ports
            self.proto = proto
            self.note = note
        }

        public init(from: String, to: String, action: Action, ports: [PortRange]? = nil,
                    proto: Proto = .any, note: String? = nil) {
            self.init(from: [from], to: [to], action: action, ports: ports, proto: proto, note: note)
        }

        func matches(from source: String, to destination: String) -> Bool {
            (from.contains(Policy.anyZone) || from.contains(source))
                && (to.contains(Policy.anyZone) || to.contains(destination))
        }

        var traffic: TrafficSet {
            TrafficSet(proto: proto, ports: ports.map { PortSet($0.map { $0.lower...$0.upper }) })
        }
    }

    /// The zones, in the order they were declared (rows of the matrix).
    public let zones: [String]
    public let rules: [Rule]
    /// Traffic inside one zone stays on its VLAN and never reaches the
    /// firewall, so by default it is allowed and no rule is consulted.
    public let sameZoneAllowed: Bool

    public init(zones: [String], rules: [Rule], sameZoneAllowed: Bool = true) throws {
        for (i, zone) in zones.enumerated() {  // a handful of zones: no Set needed
            if zone.isEmpty { throw HomelabError("a zone name is empty") }
            if zone == Self.anyZone || zone == Self.internet {
                throw HomelabError("'\(zone)' is reserved and cannot name a zone")
            }
            if zones[..<i].contains(zone) { throw HomelabError("zone '\(zone)' is declared twice") }
        }
        self.zones = zones
        self.rules = rules
        self.sameZoneAllowed = sameZoneAllowed
        for (index, rule) in rules.enumerated() {
            do { try validate(rule) } catch let error as HomelabError { throw error.at("rule \(index + 1)") }
        }
    }

    private func validate(_ rule: Rule) throws {
        try checkZones(rule.from, field: "from")
        try checkZones(rule.to, field: "to")
        if let ports = rule.ports {
            if ports.isEmpty {
                throw HomelabError("the port list is empty; leave 'ports' out to mean every port")
            }
            if rule.proto == .icmp {
                throw HomelabError("icmp has no ports; use tcp, udp or any with 'ports'")
            }
            if let problem = ports.lazy.compactMap(\.problem).first {
                throw HomelabError(problem)
            }
        }
    }

    private func checkZones(_ names: [String], field: String) throws {
        if names.isEmpty { throw HomelabError("'\(field)' names no zone") }
        for name in names where name != Self.anyZone {
            try checkZone(name, field: field)
        }
    }

    /// Throws for a name that is neither a declared zone nor "internet".
    func checkZone(_ name: String, field: String) throws {
        guard name != Self.internet && !zones.contains(name) else { return }
        let known = zones + [Self.internet]
        throw HomelabError("unknown zone '\(name)' in '\(field)'\(Suggestion.didYouMean(name, in: known)); "
            + "zones are \(zones.joined(separator: ", ")), or '\(Self.internet)' and '\(Self.anyZone)'")
    }
}
