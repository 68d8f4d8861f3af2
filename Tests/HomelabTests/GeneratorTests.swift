import Homelab
import Testing

// The generators on inventories built here: a small one whose zone files are
// compared in full, and the plan's VLANs and §4.1 rules (as the built-in
// homelab writes them) for the firewall.

private func s(_ text: String) -> InventoryValue { .string(text) }
private func i(_ n: Int64) -> InventoryValue { .integer(n) }
private func list(_ texts: [String]) -> InventoryValue { .list(texts.map(s)) }

private func rule(_ from: String, _ to: String, _ action: String, ports: [InventoryValue]? = nil,
                  proto: String? = nil) -> InventoryValue {
    var r: InventoryFields = ["from": s(from), "to": s(to), "action": s(action)]
    if let ports { r["ports"] = .list(ports) }
    if let proto { r["proto"] = s(proto) }
    return .map(r)
}

private func vlan(_ id: Int64, _ name: String, _ subnet: String, _ gateway: String, trust: String) -> InventoryValue {
    .map(["id": i(id), "name": s(name), "subnet": s(subnet), "gateway": s(gateway), "zone": s(name), "trust": s(trust)])
}

private func service(_ name: String, runsOn: String, endpoint: String, probe: String? = nil,
                     vlan: Int64 = 30) -> InventoryValue {
    var t: InventoryFields = ["name": s(name), "tier": i(2), "runs_on": s(runsOn), "vlan": i(vlan),
                                       "endpoint": s(endpoint)]
    if let probe { t["probe"] = .map(["kind": s(probe), "target": s(endpoint)]) }
    return .map(t)
}

/// Two VLANs, a hypervisor with two k8s guests, the gateway and the ISP
/// router upstream, and services of every kind the zone generator tells apart.
private func smallLab() -> InventoryFields {
    [
        "site": .map(["name": s("lab"), "domain": s("homelab.local"), "timezone": s("UTC"),
                      "upstream": s("192.168.55.0/24")]),
        "nodes": .list([
            .map(["name": s("pve1"), "kind": s("hypervisor"), "address": s("192.168.10.11"), "vlans": .list([i(10), i(30)])]),
            .map(["name": s("gw1"), "kind": s("gateway"), "model": s("Raspberry Pi 5"), "address": s("192.168.55.95"),
                  "vlans": .list([i(10), i(30)]),
                  "nics": .list([.map(["name": s("eth0"), "speed": s("1GbE")]), .map(["name": s("eth1"), "speed": s("2.5GbE")])])]),
            .map(["name": s("isp-router"), "kind": s("router"), "address": s("192.168.55.1")]),
        ]),
        "guests": .list([
            .map(["name": s("k8s-w1"), "kind": s("vm"), "node": s("pve1"), "vcpu": i(2), "ram": s("4GiB"), "disk": s("40GiB"),
                  "role": s("k8s-worker"), "vlan": i(30), "address": s("192.168.30.21")]),
            .map(["name": s("k8s-m1"), "kind": s("vm"), "node": s("pve1"), "vcpu": i(2), "ram": s("4GiB"), "disk": s("40GiB"),
                  "role": s("k8s-master"), "vlan": i(30), "address": s("192.168.30.11")]),
        ]),
        "vlans": .list([
            vlan(10, "management", "192.168.10.0/24", "192.168.10.1", trust: "critical"),
            vlan(30, "k8s", "192.168.30.0/24", "192.168.30.1", trust: "medium"),
        ]),
        "policy": .map(["default": s("deny"), "rules": .list([
            rule("management", "*", "allow"),
            rule("k8s", "internet", "allow"),
        ])]),
        "services": .list([
            service("dns", runsOn: "k8s", endpoint: "dns.homelab.local:53", probe: "dns"),
            service("grafana", runsOn: "k8s", endpoint: "https://grafana.homelab.local/login"),
            service("pbs", runsOn: "pve1", endpoint: "https://pbs.homelab.local:8007", vlan: 10),
            service("openwrt", runsOn: "gw1", endpoint: "https://gw1.homelab.local"),
            service("status", runsOn: "k8s", endpoint: "https://status.example.com"),
            service("legacy", runsOn: "nas", endpoint: "http://legacy.homelab.local"),
        ]),
    ]
}

/// The plan's five VLANs (§1.2) and the §4.1 rules exactly as
/// stdlib/labsh/homelab.lua writes them, with the gateway and one host.
private func planLab(extraRules: [InventoryValue] = [], default action: String = "deny") -> InventoryFields {
    var lab = smallLab()
    lab["nodes"] = .list([
        .map(["name": s("pve1"), "kind": s("hypervisor"), "address": s("192.168.10.11"), "vlans": .list([i(10)])]),
        .map(["name": s("gw1"), "kind": s("gateway"), "address": s("192.168.55.95"),
              "vlans": .list([i(1), i(10), i(20), i(30), i(50)])]),
        .map(["name": s("isp-router"), "kind": s("router"), "address": s("192.168.55.1")]),
    ])
    lab["guests"] = .list([])
    lab["services"] = .list([])
    lab["vlans"] = .list([
        vlan(1, "lan", "192.168.2.0/24", "192.168.2.1", trust: "low"),
        vlan(10, "management", "192.168.10.0/24", "192.168.10.1", trust: "critical"),
        vlan(20, "ops", "192.168.20.0/24", "192.168.20.1", trust: "high"),
        vlan(30, "k8s", "192.168.30.0/24", "192.168.30.1", trust: "medium"),
        vlan(50, "dmz", "192.168.50.0/24", "192.168.50.1", trust: "isolated"),
    ])
    lab["policy"] = .map(["default": s(action), "rules": .list(extraRules + [
        rule("management", "lan", "allow"), rule("management", "ops", "allow"),
        rule("management", "k8s", "allow"), rule("management", "dmz", "allow"),
        rule("ops", "management", "allow"), rule("ops", "k8s", "allow"),
        rule("k8s", "management", "deny"), rule("k8s", "ops", "allow"), rule("k8s", "internet", "allow"),
        rule("dmz", "internet", "allow"), rule("dmz", "*", "deny"),
    ])])
    return lab
}

private func load(_ top: InventoryFields) throws -> Inventory {
    try Inventory.load(.map(top), file: "test.lua").0
}

// MARK: - UCI, read back

/// A UCI file read strictly: every line is `config TYPE ['NAME']`,
/// `\toption KEY 'VALUE'`, `\tlist KEY 'VALUE'`, a `#` comment or blank.
struct UCISection: Equatable {
    var type: String
    var name: String?
    var options: [String: String] = [:]
    var lists: [String: [String]] = [:]
}

struct NotUCI: Error, CustomStringConvertible {
    let line: String
    var description: String { "not UCI: \(line)" }
}

func parseUCI(_ text: String) throws -> [UCISection] {
    let config = try Regex(#"^config ([a-z][a-z_-]*)(?: '([A-Za-z0-9_]+)')?$"#)
    let value = try Regex(#"^\t(option|list) ([a-z][a-z0-9_]*) '([^']*)'$"#)
    var sections: [UCISection] = []
    guard text.hasSuffix("\n") else { throw NotUCI(line: "(no newline at the end)") }
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
        if line.isEmpty || line.hasPrefix("#") { continue }
        if let m = try config.wholeMatch(in: String(line)) {
            sections.append(UCISection(type: String(m.output[1].substring!),
                                       name: m.output[2].substring.map(String.init)))
        } else if let m = try value.wholeMatch(in: String(line)), !sections.isEmpty {
            let (kind, key, val) = (m.output[1].substring!, String(m.output[2].substring!), String(m.output[3].substring!))
            if kind == "option" {
                if sections[sections.count - 1].options[key] != nil { throw NotUCI(line: "\(line) (set twice)") }
                sections[sections.count - 1].options[key] = val
            } else {
                sections[sections.count - 1].lists[key, default: []].append(val)
            }
        } else {
            throw NotUCI(line: String(line))
        }
    }
    return sections
}

private func forwardings(_ firewall: String) throws -> [String] {
    try parseUCI(firewall).filter { $0.type == "forwarding" }.map { "\($0.options["src"]!)>\($0.options["dest"]!)" }
}

@Suite struct GeneratorTests {
    // MARK: BIND

    @Test func serialsFromDates() throws {
        #expect(try BindZones.serial(date: "2026-01-15") == 2026011501)
        #expect(try BindZones.serial(date: "2024-02-29", revision: 0) == 2024022900)
        #expect(try BindZones.serial(date: "2026-12-31", revision: 99) == 2026123199)
        #expect(errorMessage { try BindZones.serial(date: "2026-02-29") } == "'2026-02-29' is not a day of the calendar")
        #expect(errorMessage { try BindZones.serial(date: "2026-1-5") } == "'2026-1-5' is not a date; write YYYY-MM-DD, like 2026-01-15")
        #expect(errorMessage { try BindZones.serial(date: "2026-01-15", revision: 100) }
                == "revision 100 is out of range 0-99 (the serial's last two digits)")
    }

    @Test func forwardZoneInFull() throws {
        let zones = try BindZones.generate(load(smallLab()),
                                           options: .init(serial: BindZones.serial(date: "2026-01-15", revision: 2)))
        #expect(zones.map(\.zone) == ["homelab.local", "10.168.192.in-addr.arpa", "30.168.192.in-addr.arpa",
                                      "55.168.192.in-addr.arpa"])
        #expect(zones.map(\.file) == zones.map { "db." + $0.zone })
        #expect(zones[0].text == """
            ; Forward zone homelab.local of site "lab".
            ; Generated by labsh (`labsh -m gen bind`) from the inventory: edit the inventory, not this file.
            ; Check: named-checkzone homelab.local db.homelab.local
            $ORIGIN homelab.local.
            $TTL 3600
            @              IN SOA   dns.homelab.local. hostmaster.homelab.local. (
                                    2026011502 ; serial
                                    3600       ; refresh
                                    900        ; retry
                                    1209600    ; expire
                                    300 )      ; negative-answer TTL
            @              IN NS    dns.homelab.local.

            ; Nodes
            pve1           IN A     192.168.10.11
            gw1            IN A     192.168.55.95
            isp-router     IN A     192.168.55.1

            ; Guests
            k8s-w1         IN A     192.168.30.21
            k8s-m1         IN A     192.168.30.11

            ; gw1 on each VLAN it routes (the VLAN's gateway address)
            gw1-management IN A     192.168.10.1
            gw1-k8s        IN A     192.168.30.1

            ; Platform k8s: its guests; services on it are reached through them
            k8s            IN A     192.168.30.11
            k8s            IN A     192.168.30.21

            ; Services (from their endpoints)
            ; dns: dns is the name server: address records (an NS target must not be a CNAME)
            dns            IN A     192.168.30.11
            dns            IN A     192.168.30.21
            grafana        IN CNAME k8s ; grafana
            pbs            IN CNAME pve1 ; pbs
            ; openwrt: gw1 is node gw1 itself, named above; on VLAN 30 it is gw1-k8s
            ; status: endpoint https://status.example.com is outside homelab.local, no record
            ; legacy: runs on 'nas', which is no node, guest or platform with addresses: no record

            """)
    }

    @Test func reverseZonesHoldAPointerPerAddress() throws {
        let zones = try BindZones.generate(load(smallLab()), options: .init(serial: 7, ttl: 600))
        #expect(zones[2].text == """
            ; Reverse zone 30.168.192.in-addr.arpa for 192.168.30.0/24 (VLAN 30 k8s).
            ; Generated by labsh (`labsh -m gen bind`) from the inventory: edit the inventory, not this file.
            ; Check: named-checkzone 30.168.192.in-addr.arpa db.30.168.192.in-addr.arpa
            $ORIGIN 30.168.192.in-addr.arpa.
            $TTL 600
            @  IN SOA   dns.homelab.local. hostmaster.homelab.local. (
                        7          ; serial
                        3600       ; refresh
                        900        ; retry
                        1209600    ; expire
                        300 )      ; negative-answer TTL
            @  IN NS    dns.homelab.local.

            ; One PTR per address
            1  IN PTR   gw1-k8s.homelab.local.
            11 IN PTR   k8s-m1.homelab.local.
            21 IN PTR   k8s-w1.homelab.local.

            """)
        // The upstream network: the router and the gateway's WAN address.
        #expect(zones[3].text.hasSuffix("""
            ; One PTR per address
            1  IN PTR   isp-router.homelab.local.
            95 IN PTR   gw1.homelab.local.

            """))
        // The same inventory gives the same bytes.
        #expect(try BindZones.generate(load(smallLab()), options: .init(serial: 7, ttl: 600)) == zones)
    }

    @Test func withoutADnsServiceTheGatewayServesTheZone() throws {
        var lab = smallLab()
        lab["services"] = .list([])
        let zone = try BindZones.generate(load(lab))[0].text
        #expect(zone.contains("@              IN NS    gw1.homelab.local.\n"))
        #expect(zone.contains("IN SOA   gw1.homelab.local. hostmaster.homelab.local. (\n"))
        #expect(zone.contains("                        1          ; serial\n"), "serial 1 without a date")
        #expect(!zone.contains("Platform"), "no service, no platform record")
    }

    @Test func ipv6AddressesGetAAAAAndNibblePointers() throws {
        var lab = smallLab()
        guard case .list(var vlans) = lab["vlans"]!, case .list(var guests) = lab["guests"]! else { return }
        vlans.append(vlan(60, "v6lab", "2001:db8:60::/64", "2001:db8:60::1", trust: "low"))
        guests.append(.map(["name": s("v6box"), "kind": s("lxc"), "node": s("pve1"), "vcpu": i(1), "ram": s("1GiB"),
                            "disk": s("8GiB"), "vlan": i(60), "address": s("2001:db8:60::10")]))
        lab["vlans"] = .list(vlans)
        lab["guests"] = .list(guests)
        guard case .list(var nodes) = lab["nodes"]!, case .map(var gw1) = nodes[1] else { return }
        gw1["vlans"] = .list([i(10), i(30), i(60)])
        nodes[1] = .map(gw1)
        lab["nodes"] = .list(nodes)
        let zones = try BindZones.generate(load(lab))
        #expect(zones[0].text.contains("v6box          IN AAAA  2001:db8:60::10\n"))
        let v6 = try #require(zones.last)
        #expect(v6.zone == "0.0.0.0.0.6.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
        #expect(v6.text.contains("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR   v6box.homelab.local.\n"))
        #expect(v6.text.contains("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR   gw1-v6lab.homelab.local.\n"))
    }

    @Test func namesThatAreNoHostNamesAreRefused() throws {
        var lab = smallLab()
        guard case .list(var nodes) = lab["nodes"]!, case .map(var pve1) = nodes[0] else { return }
        pve1["name"] = s("pve_1")
        nodes[0] = .map(pve1)
        lab["nodes"] = .list(nodes)
        guard case .list(var guests) = lab["guests"]! else { return }
        guests = guests.map { g in
            guard case .map(var m) = g else { return g }
            m["node"] = s("pve_1")
            return .map(m)
        }
        lab["guests"] = .list(guests)
        lab["services"] = .list([])
        // Refused when the inventory loads, before any generator sees it.
        #expect(loadErrors(lab) == ["nodes[1].name: 'pve_1' is not a host name "
                                    + "(letters, digits and inner '-', in dot-separated labels of 1-63 characters)"])
    }

    // MARK: OpenWrt

    @Test func forwardingsAreExactlyThePlansAllowedPairs() throws {
        let firewall = try OpenWrtConfig.generate(load(planLab())).firewall
        #expect(try forwardings(firewall) == [
            "management>lan", "management>ops", "management>k8s", "management>dmz",
            "ops>management", "ops>k8s",
            "k8s>ops", "k8s>wan",
            "dmz>wan",
        ])
        let sections = try parseUCI(firewall)
        // Nothing else crosses between zones: the only rules are the gateway's
        // own DHCP and DNS (no dest: input to the gateway).
        let rules = sections.filter { $0.type == "rule" }
        #expect(rules.allSatisfy { $0.options["dest"] == nil && $0.options["target"] == "ACCEPT" })
        #expect(rules.map { $0.options["src"]! } == ["lan", "lan", "ops", "ops", "k8s", "k8s", "dmz", "dmz"])
        let defaults = try #require(sections.first { $0.type == "defaults" })
        #expect(defaults.options["forward"] == "REJECT")
        #expect(defaults.options["input"] == "REJECT")
        let zones = sections.filter { $0.type == "zone" }
        #expect(zones.map { $0.options["name"]! } == ["lan", "management", "ops", "k8s", "dmz", "wan"])
        #expect(zones.map { $0.options["input"]! } == ["REJECT", "ACCEPT", "REJECT", "REJECT", "REJECT", "REJECT"])
        #expect(zones.map { $0.lists["network"]! } == [["lan"], ["management"], ["ops"], ["k8s"], ["dmz"], ["wan"]])
        #expect(zones.last?.options["masq"] == "1")
    }

    @Test func partlyAllowedPairsGetARulePerPortRange() throws {
        let extra = [
            rule("lan", "ops", "allow", ports: [i(9100), s("9000-9001")], proto: "tcp"),
            rule("lan", "ops", "allow", ports: [i(53)]),
            rule("lan", "ops", "allow", proto: "icmp"),
            rule("lan", "internet", "allow", ports: [i(443)], proto: "tcp"),
        ]
        let firewall = try OpenWrtConfig.generate(load(planLab(extraRules: extra))).firewall
        #expect(try !forwardings(firewall).contains { $0.hasPrefix("lan>") }, "partly is no forwarding")
        let rules = try parseUCI(firewall).filter { $0.type == "rule" && $0.options["dest"] != nil }
        #expect(rules.map { [$0.options["src"]!, $0.options["dest"]!, $0.options["proto"]!, $0.options["dest_port"] ?? "-"] } == [
            ["lan", "ops", "tcp udp", "53"],
            ["lan", "ops", "tcp", "9000-9001"],
            ["lan", "ops", "tcp", "9100"],
            ["lan", "ops", "icmp", "-"],
            ["lan", "wan", "tcp", "443"],
        ])
        #expect(rules.map { $0.options["name"]! }.first == "Allow lan to ops tcp udp 53")
        #expect(firewall.contains("# lan → ops, only in part: rule 1: lan → ops tcp 9100, 9000-9001 allowed; "))
    }

    @Test func networkInFull() throws {
        var lab = planLab()
        lab["vlans"] = .list([
            vlan(1, "lan", "192.168.2.0/24", "192.168.2.1", trust: "low"),
            vlan(30, "k8s", "192.168.30.0/24", "192.168.30.1", trust: "medium"),
        ])
        lab["nodes"] = .list([
            .map(["name": s("gw1"), "kind": s("gateway"), "model": s("Raspberry Pi 5"), "address": s("192.168.55.95"),
                  "vlans": .list([i(1), i(30)]),
                  "nics": .list([.map(["name": s("eth0"), "speed": s("1GbE")]), .map(["name": s("eth1"), "speed": s("2.5GbE")])])]),
            .map(["name": s("isp-router"), "kind": s("router"), "address": s("192.168.55.1")]),
        ])
        lab["policy"] = .map(["default": s("deny"), "rules": .list([rule("k8s", "internet", "allow")])])
        let network = try OpenWrtConfig.generate(load(lab)).network
        #expect(network == """
            # /etc/config/network for gw1 (Raspberry Pi 5): OpenWrt 22.03 or later (DSA syntax).
            # Generated by labsh (`labsh -m gen openwrt`) from the inventory: edit the inventory, not this file.
            #
            # Port names are an assumption (the inventory lists the gateway's NICs, not
            # how they are cabled); pass others with lab.gen.openwrt{wan = ..., trunk = {...}}:
            #   eth1 (2.5GbE)  WAN, to the upstream network 192.168.55.0/24 via 192.168.55.1
            #   eth0 (1GbE)    trunk to the switch: VLAN 1 untagged, VLAN 30 tagged
            # br-lan bridges the trunk; br-lan.ID is the gateway's interface on VLAN ID.

            config interface 'loopback'
            \toption device 'lo'
            \toption proto 'static'
            \toption ipaddr '127.0.0.1'
            \toption netmask '255.0.0.0'

            config device
            \toption name 'br-lan'
            \toption type 'bridge'
            \tlist ports 'eth0'

            # VLAN 1 lan: 192.168.2.0/24
            config bridge-vlan
            \toption device 'br-lan'
            \toption vlan '1'
            \tlist ports 'eth0:u*'

            # VLAN 30 k8s: 192.168.30.0/24
            config bridge-vlan
            \toption device 'br-lan'
            \toption vlan '30'
            \tlist ports 'eth0:t'

            config interface 'lan'
            \toption device 'br-lan.1'
            \toption proto 'static'
            \toption ipaddr '192.168.2.1'
            \toption netmask '255.255.255.0'

            config interface 'k8s'
            \toption device 'br-lan.30'
            \toption proto 'static'
            \toption ipaddr '192.168.30.1'
            \toption netmask '255.255.255.0'

            config interface 'wan'
            \toption device 'eth1'
            \toption proto 'static'
            \toption ipaddr '192.168.55.95'
            \toption netmask '255.255.255.0'
            \toption gateway '192.168.55.1'
            \tlist dns '192.168.55.1'

            """)
    }

    @Test func networkHasABridgeVlanAndAnInterfacePerVlan() throws {
        let options = OpenWrtConfig.Options(wan: "eth0", trunk: ["lan1", "lan2"])
        let sections = try parseUCI(OpenWrtConfig.generate(load(planLab()), options: options).network)
        let vlans = sections.filter { $0.type == "bridge-vlan" }
        #expect(vlans.map { $0.options["vlan"]! } == ["1", "10", "20", "30", "50"])
        #expect(vlans.map { $0.lists["ports"]! } == [["lan1:u*", "lan2:u*"]] + Array(repeating: ["lan1:t", "lan2:t"], count: 4))
        #expect(sections.first { $0.type == "device" }?.lists["ports"] == ["lan1", "lan2"])
        let interfaces = sections.filter { $0.type == "interface" }
        #expect(interfaces.map { $0.name! } == ["loopback", "lan", "management", "ops", "k8s", "dmz", "wan"])
        #expect(interfaces.dropFirst().dropLast().map { $0.options["device"]! }
                == ["br-lan.1", "br-lan.10", "br-lan.20", "br-lan.30", "br-lan.50"])
        #expect(interfaces.last?.options["device"] == "eth0")
    }

    @Test func whatTheFirewallCannotSayIsRefused() throws {
        let allowAll = try load(planLab(default: "allow"))
        #expect(errorMessage { try OpenWrtConfig.generate(allowAll) }
                == "the policy's default is allow; the OpenWrt generator writes zero-trust firewalls only (default deny)")
        let plan = try load(planLab())
        #expect(errorMessage { try OpenWrtConfig.generate(plan, options: .init(wan: "eth0", trunk: ["eth0"])) }
                == "port 'eth0' cannot be both WAN and trunk")
        #expect(errorMessage { try OpenWrtConfig.generate(plan, options: .init(wan: "eth 1")) }
                == "'eth 1' is not a network device name (like eth0 or lan1)")
        var noGateway = planLab()
        noGateway["nodes"] = .list([.map(["name": s("pve1"), "kind": s("hypervisor"), "address": s("192.168.10.11"),
                                          "vlans": .list([i(10)])])])
        let without = try load(noGateway)
        #expect(errorMessage { try OpenWrtConfig.generate(without) }
                == "no node of kind \"gateway\": nothing to configure OpenWrt for")
    }

    @Test func theParserRejectsWhatIsNotUCI() throws {
        // The syntax check itself can fail: a line outside the grammar throws.
        for bad in ["config zone\n\toption name lan\n", "config zone\noption name 'lan'\n",
                    "config zone 'a b'\n", "\toption name 'lan'\n", "config zone\n\toption name 'it's'\n",
                    "config zone\n\toption name 'a'\n\toption name 'b'\n", "config zone"] {
            #expect(throws: NotUCI.self, "\(bad)") { try parseUCI(bad) }
        }
        #expect(try parseUCI("# c\n\nconfig zone 'z'\n\tlist network 'a'\n\tlist network 'b'\n")
                == [UCISection(type: "zone", name: "z", lists: ["network": ["a", "b"]])])
    }
}
