import Homelab
import Testing

/// The zones of the plan's VLANs (§1.2) and its firewall rules (§4.1), one
/// rule per line of the plan, in the plan's order.
let planZones = ["lan", "management", "ops", "k8s", "dmz"]
let planPolicy = try! Policy(zones: planZones, rules: [
    .init(from: "management", to: "*", action: .allow, note: "admin access"),
    .init(from: ["ops"], to: ["management", "k8s"], action: .allow, note: "monitoring"),
    .init(from: ["k8s"], to: ["ops", "internet"], action: .allow, note: "services, updates"),
    .init(from: "k8s", to: "management", action: .deny, note: "isolation boundary"),
    .init(from: "dmz", to: "internet", action: .allow, note: "public services"),
    .init(from: "dmz", to: "*", action: .deny, note: "isolation"),
])

@Suite struct PolicyTests {
    @Test func planMatrix() {
        let matrix = planPolicy.matrix()
        #expect(matrix.sources == planZones)
        #expect(matrix.destinations == planZones + ["internet"])
        let a = Policy.Verdict.allowed, d = Policy.Verdict.denied
        // to:      lan management ops k8s dmz internet
        let expected: [String: [Policy.Verdict]] = [
            "management": [a, a, a, a, a, a],
            "ops":        [d, a, a, a, d, d],
            "k8s":        [d, d, a, a, d, a],
            "dmz":        [d, d, d, d, a, a],
            "lan":        [a, d, d, d, d, d],
        ]
        for (i, zone) in matrix.sources.enumerated() {
            #expect(matrix.verdicts[i] == expected[zone], "from \(zone)")
        }
        // dmz reaches only the internet beyond its own VLAN.
        #expect(matrix.verdict(from: "dmz", to: "internet") == .allowed)
        #expect(matrix.verdict(from: "dmz", to: "nowhere") == nil)
    }

    @Test func planDecisionsNameTheRule() throws {
        let isolation = try planPolicy.decide(from: "k8s", to: "management")
        #expect(isolation.verdict == .denied)
        #expect(!isolation.allowed)
        #expect(isolation.ruleNumber == 4)
        #expect(isolation.reason == "rule 4: k8s → management denied (isolation boundary)")

        let admin = try planPolicy.decide(from: "management", to: "k8s", port: 6443, proto: .tcp)
        #expect(admin.allowed)
        #expect(admin.ruleNumber == 1)
        #expect(admin.reason == "rule 1: management → k8s allowed (admin access)")

        let lan = try planPolicy.decide(from: "lan", to: "ops", port: 53, proto: .udp)
        #expect(lan.verdict == .denied)
        #expect(lan.ruleNumber == nil)
        #expect(lan.reason == "default deny")

        #expect(try planPolicy.decide(from: "dmz", to: "ops", port: 443, proto: .tcp).reason
            == "rule 6: dmz → ops denied (isolation)")
        #expect(try planPolicy.decide(from: "k8s", to: "internet").reason
            == "rule 3: k8s → internet allowed (services, updates)")
        #expect(try planPolicy.decide(from: "ops", to: "internet").reason == "default deny")
        #expect(try planPolicy.decide(from: "internet", to: "dmz").verdict == .denied)

        let same = try planPolicy.decide(from: "dmz", to: "dmz")
        #expect(same.allowed && same.ruleNumber == nil)
        #expect(same.reason == "same zone: traffic inside dmz does not cross the firewall")
        #expect(same.description == "allowed: same zone: traffic inside dmz does not cross the firewall")
    }

    @Test func sameZoneCanBeLeftToTheRules() throws {
        let strict = try Policy(zones: planZones, rules: planPolicy.rules, sameZoneAllowed: false)
        #expect(try strict.decide(from: "lan", to: "lan").reason == "default deny")
        #expect(try strict.decide(from: "dmz", to: "dmz").reason == "rule 6: dmz → dmz denied (isolation)")
        #expect(try strict.decide(from: "management", to: "management").allowed)
    }

    /// Port- and protocol-specific rules, including a deny that carves a
    /// hole out of a later allow.
    static let portPolicy = try! Policy(zones: planZones, rules: [
        .init(from: "k8s", to: "ops", action: .deny, ports: [.init(22)], proto: .tcp, note: "no ssh from pods"),
        .init(from: "k8s", to: "ops", action: .allow),
        .init(from: "ops", to: "dmz", action: .allow, ports: [.init(9100, 9101), .init(9113)], proto: .tcp, note: "exporters"),
        .init(from: "*", to: "ops", action: .allow, ports: [.init(53)], proto: .udp, note: "dns"),
        .init(from: "ops", to: "k8s", action: .allow, proto: .icmp, note: "ping"),
        .init(from: "management", to: "lan", action: .allow, ports: [.init(1, 65535)]),
    ])

    @Test func portSpecificDecisions() throws {
        let p = Self.portPolicy
        #expect(try p.decide(from: "k8s", to: "ops", port: 22, proto: .tcp)
            == .init(verdict: .denied, ruleNumber: 1, reason: "rule 1: k8s → ops tcp 22 denied (no ssh from pods)"))
        #expect(try p.decide(from: "k8s", to: "ops", port: 22, proto: .udp).ruleNumber == 2)
        #expect(try p.decide(from: "k8s", to: "ops", port: 443, proto: .tcp).allowed)
        let all = try p.decide(from: "k8s", to: "ops")
        #expect(all.verdict == .partly)
        #expect(all.ruleNumber == 1)
        #expect(all.reason == "rule 1: k8s → ops tcp 22 denied (no ssh from pods); rule 2: k8s → ops allowed")
        #expect(try p.decide(from: "k8s", to: "ops", port: 22).verdict == .partly)

        #expect(try p.decide(from: "ops", to: "dmz", port: 9101, proto: .tcp).reason
            == "rule 3: ops → dmz tcp 9100-9101, 9113 allowed (exporters)")
        #expect(try p.decide(from: "ops", to: "dmz", port: 9113, proto: .tcp).allowed)
        #expect(try p.decide(from: "ops", to: "dmz", port: 9102, proto: .tcp).reason == "default deny")
        #expect(try p.decide(from: "ops", to: "dmz", port: 9100, proto: .udp).reason == "default deny")
        let tcp = try p.decide(from: "ops", to: "dmz", proto: .tcp)
        #expect(tcp.verdict == .partly)
        #expect(tcp.reason == "rule 3: ops → dmz tcp 9100-9101, 9113 allowed (exporters); the rest: default deny")

        #expect(try p.decide(from: "lan", to: "ops", port: 53, proto: .udp).reason == "rule 4: lan → ops udp 53 allowed (dns)")
        #expect(try p.decide(from: "internet", to: "ops", port: 53, proto: .udp).allowed)
        #expect(try p.decide(from: "lan", to: "ops", port: 53, proto: .tcp).verdict == .denied)
        #expect(try p.decide(from: "ops", to: "k8s", proto: .icmp).reason == "rule 5: ops → k8s icmp allowed (ping)")
        #expect(try p.decide(from: "ops", to: "k8s", port: 80, proto: .tcp).verdict == .denied)
        // Every port of tcp and udp is not everything: ICMP stays denied.
        #expect(try p.decide(from: "management", to: "lan").verdict == .partly)
        #expect(try p.decide(from: "management", to: "lan", proto: .udp).verdict == .allowed)
        #expect(try p.decide(from: "management", to: "lan", proto: .udp).reason == "rule 6: management → lan tcp/udp 1-65535 allowed")
    }

    @Test func portSpecificMatrix() {
        let m = Self.portPolicy.matrix()
        #expect(m.verdict(from: "k8s", to: "ops") == .partly)
        #expect(m.verdict(from: "ops", to: "dmz") == .partly)
        #expect(m.verdict(from: "lan", to: "ops") == .partly)
        #expect(m.verdict(from: "ops", to: "k8s") == .partly)
        #expect(m.verdict(from: "management", to: "lan") == .partly)
        #expect(m.verdict(from: "lan", to: "dmz") == .denied)
        #expect(m.verdict(from: "k8s", to: "internet") == .denied)
        #expect(m.verdict(from: "ops", to: "ops") == .allowed)
    }

    @Test func severalRulesTogetherAllowEverything() throws {
        let p = try Policy(zones: ["a", "b"], rules: [
            .init(from: "a", to: "b", action: .allow, proto: .tcp),
            .init(from: "a", to: "b", action: .allow, proto: .udp),
            .init(from: "a", to: "b", action: .deny, ports: [.init(53)], proto: .udp),
            .init(from: "a", to: "b", action: .allow, proto: .icmp),
        ])
        let d = try p.decide(from: "a", to: "b")
        #expect(d.verdict == .allowed)
        #expect(d.ruleNumber == 1)
        // Rule 3 decides nothing: rule 2 already allowed udp 53.
        #expect(d.reason == "rule 1: a → b tcp allowed; rule 2: a → b udp allowed; rule 4: a → b icmp allowed")
        #expect(p.matrix().verdict(from: "a", to: "b") == .allowed)
        #expect(p.matrix().verdict(from: "b", to: "a") == .denied)
    }

    @Test func validationNamesTheRule() {
        func rules(_ rules: Policy.Rule...) -> String? {
            errorMessage { try Policy(zones: planZones, rules: rules) }
        }
        #expect(rules(.init(from: "ops", to: "k8s", action: .allow), .init(from: "ops", to: "k9s", action: .allow))
            == "rule 2: unknown zone 'k9s' in 'to' (did you mean 'k8s'?); zones are lan, management, ops, k8s, dmz, or 'internet' and '*'")
        #expect(rules(.init(from: "office", to: "*", action: .allow))
            == "rule 1: unknown zone 'office' in 'from'; zones are lan, management, ops, k8s, dmz, or 'internet' and '*'")
        #expect(rules(.init(from: "ops", to: "k8s", action: .allow, ports: [.init(0)], proto: .tcp))
            == "rule 1: port 0 is out of range (1-65535)")
        #expect(rules(.init(from: "ops", to: "k8s", action: .allow, ports: [.init(22), .init(80, 70000)], proto: .tcp))
            == "rule 1: port 70000 is out of range (1-65535)")
        #expect(rules(.init(from: "ops", to: "k8s", action: .allow, ports: [.init(200, 100)], proto: .tcp))
            == "rule 1: port range 200-100 is reversed; write 100-200")
        #expect(rules(.init(from: "ops", to: "k8s", action: .allow, ports: [.init(7)], proto: .icmp))
            == "rule 1: icmp has no ports; use tcp, udp or any with 'ports'")
        #expect(rules(.init(from: "ops", to: "k8s", action: .allow, ports: [], proto: .tcp))
            == "rule 1: the port list is empty; leave 'ports' out to mean every port")
        #expect(rules(.init(from: [], to: ["k8s"], action: .allow)) == "rule 1: 'from' names no zone")
        #expect(errorMessage { try Policy(zones: ["a", "a"], rules: []) } == "zone 'a' is declared twice")
        #expect(errorMessage { try Policy(zones: ["internet"], rules: []) } == "'internet' is reserved and cannot name a zone")
        #expect(errorMessage { try Policy(zones: ["*"], rules: []) } == "'*' is reserved and cannot name a zone")
    }

    @Test func protocolsAndPortsParseFromText() throws {
        #expect(try Policy.PortRange(parsing: "8000-8100") == .init(8000, 8100))
        #expect(try Policy.PortRange(parsing: "9100") == .init(9100))
        #expect(try Policy.Proto(parsing: "udp") == .udp)
        #expect(errorMessage { try Policy.Proto(parsing: "tcpp") } == "unknown protocol 'tcpp'; use tcp, udp, icmp or any")
        #expect(errorMessage { try Policy.PortRange(parsing: "80-") } == "'80-' is not a port or port range; write 22 or 8000-8100")
        #expect(errorMessage {
            try Policy(zones: planZones, rules: [.init(from: "ops", to: "k8s", action: .allow,
                                                       ports: [try Policy.PortRange(parsing: "100-90")], proto: .tcp)])
        } == "rule 1: port range 100-90 is reversed; write 90-100")
        #expect(errorMessage { try Policy.PortRange(parsing: "http") } != nil)
        #expect(errorMessage { try Policy.PortRange(parsing: "1-2-3") } != nil)
    }

    @Test func questionsAreCheckedToo() {
        #expect(errorMessage { try planPolicy.decide(from: "k9s", to: "ops") }
            == "unknown zone 'k9s' in 'from' (did you mean 'k8s'?); zones are lan, management, ops, k8s, dmz, or 'internet' and '*'")
        #expect(errorMessage { try planPolicy.decide(from: "ops", to: "*") } != nil)
        #expect(errorMessage { try planPolicy.decide(from: "ops", to: "k8s", port: 0, proto: .tcp) }
            == "port 0 is out of range (1-65535)")
        #expect(errorMessage { try planPolicy.decide(from: "ops", to: "k8s", port: 8, proto: .icmp) }
            == "icmp has no ports; ask without a port")
    }
}
