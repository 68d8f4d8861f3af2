import Homelab
import Testing

// The model must not contradict itself (issue 19): a service's DNS record
// follows its `vlan`, the DNS service states its name servers, and losing a
// VLAN's router costs routing between VLANs in the failure simulation.
// On a lab shaped unlike the plan's: another domain, a router that holds a
// VLAN's gateway address without being of kind gateway, a gateway node on
// the other VLAN, platforms named by role prefix.

private func s(_ t: String) -> InventoryValue { .string(t) }
private func i(_ n: Int64) -> InventoryValue { .integer(n) }
private func strings(_ texts: [String]) -> InventoryValue { .list(texts.map(s)) }

private func guest(_ name: String, on node: String, role: String, vlan: Int64, address: String) -> InventoryValue {
    .map(["name": s(name), "kind": s("vm"), "node": s(node), "vcpu": i(2), "ram": s("2GiB"), "disk": s("20GiB"),
          "role": s(role), "vlan": i(vlan), "address": s(address)])
}

private func service(_ name: String, runsOn: String, vlan: Int64, endpoint: String, addresses: [String] = [],
                     probe: (kind: String, target: String)? = nil) -> InventoryValue {
    var t: InventoryFields = ["name": s(name), "tier": i(2), "runs_on": s(runsOn), "vlan": i(vlan), "endpoint": s(endpoint)]
    if !addresses.isEmpty { t["addresses"] = strings(addresses) }
    if let probe { t["probe"] = .map(["kind": s(probe.kind), "target": s(probe.target)]) }
    return .map(t)
}

/// VLAN 100 "servers" is routed by "core", a router holding its gateway
/// address; VLAN 200 "apps" by "fw", the gateway node (its address is
/// upstream). Two resolvers on VLAN 100, two web guests on VLAN 200.
private func riverLab(services: [InventoryValue]) -> InventoryFields {
    [
        "site": .map(["name": s("river"), "domain": s("example.net"), "timezone": s("UTC"),
                      "upstream": s("203.0.113.0/24")]),
        "nodes": .list([
            .map(["name": s("core"), "kind": s("router"), "address": s("10.1.0.1"), "vlans": .list([i(100)])]),
            .map(["name": s("fw"), "kind": s("gateway"), "address": s("203.0.113.2"), "vlans": .list([i(200)])]),
            .map(["name": s("hv1"), "kind": s("hypervisor"), "address": s("10.1.0.11"), "vlans": .list([i(100), i(200)])]),
            .map(["name": s("hv2"), "kind": s("hypervisor"), "address": s("10.1.0.12"), "vlans": .list([i(100), i(200)])]),
        ]),
        "guests": .list([
            guest("res-a", on: "hv1", role: "resolver", vlan: 100, address: "10.1.0.53"),
            guest("res-b", on: "hv2", role: "resolver", vlan: 100, address: "10.1.0.54"),
            guest("web-a", on: "hv1", role: "web-frontend", vlan: 200, address: "10.2.0.21"),
            guest("web-b", on: "hv2", role: "web-frontend", vlan: 200, address: "10.2.0.22"),
        ]),
        "vlans": .list([
            .map(["id": i(100), "name": s("servers"), "subnet": s("10.1.0.0/24"), "gateway": s("10.1.0.1"),
                  "zone": s("servers"), "trust": s("high")]),
            .map(["id": i(200), "name": s("apps"), "subnet": s("10.2.0.0/24"), "gateway": s("10.2.0.1"),
                  "zone": s("apps"), "trust": s("medium")]),
        ]),
        "policy": .map(["default": s("deny"), "rules": .list([
            .map(["from": s("servers"), "to": s("apps"), "action": s("allow"), "ports": .list([i(443)]), "proto": s("tcp")]),
            .map(["from": s("apps"), "to": s("servers"), "action": s("allow"), "ports": .list([i(53)])]),
        ])]),
        "services": .list(services),
    ]
}

private func load(_ top: InventoryFields) throws -> (Inventory, [String]) {
    let (inventory, diagnostics) = try Inventory.load(.map(top), file: "test.lua")
    return (inventory, diagnostics.filter { $0.severity == .warning }.map(\.description))
}

private func forwardZone(_ top: InventoryFields) throws -> String {
    try BindZones.generate(load(top).0)[0].text
}

/// The zone's lines without the column padding: "owner TYPE data".
private func records(_ zone: String) -> [String] {
    zone.split(separator: "\n").filter { !$0.hasPrefix(";") && $0.contains(" IN ") }.map {
        $0.split(separator: " ").filter { $0 != "IN" }.joined(separator: " ")
    }
}

@Suite struct ModelContradictionsTests {
    // MARK: 1. A service's record follows its VLAN

    @Test func aPlatformServiceOnAnotherVlanGetsNoRecordAndAWarning() throws {
        let lab = riverLab(services: [
            service("shop", runsOn: "web", vlan: 200, endpoint: "https://shop.example.net"),
            service("admin", runsOn: "web", vlan: 100, endpoint: "https://admin.example.net"),
        ])
        let (_, warnings) = try load(lab)
        #expect(warnings == ["services[2]: admin runs on web, whose guests are on VLAN 200, not 100: state its "
            + "addresses on VLAN 100 (addresses = {...}) or correct its vlan; gen bind gives it no record until then"])
        let zone = try forwardZone(lab)
        // shop is on the web guests' VLAN: reached through them
        #expect(records(zone).contains("shop CNAME web ; shop"))
        #expect(records(zone).filter { $0.hasPrefix("web ") } == ["web A 10.2.0.21", "web A 10.2.0.22"])
        // admin says VLAN 100: the web guests' VLAN 200 addresses would contradict it
        #expect(!records(zone).contains { $0.hasPrefix("admin ") })
        #expect(zone.contains("; admin: runs on web, whose guests are on VLAN 200, not 100: no record "
            + "(state its addresses on VLAN 100)\n"))
    }

    @Test func statedAddressesOnTheVlanBecomeTheRecord() throws {
        let lab = riverLab(services: [
            service("admin", runsOn: "web", vlan: 100, endpoint: "https://admin.example.net", addresses: ["10.1.0.80"]),
        ])
        let (_, warnings) = try load(lab)
        #expect(warnings.isEmpty, "\(warnings)")
        #expect(records(try forwardZone(lab)).contains("admin A 10.1.0.80 ; admin"))
    }

    @Test func statedAddressesOffTheVlanAreAnError() {
        let lab = riverLab(services: [
            service("admin", runsOn: "web", vlan: 100, endpoint: "https://admin.example.net",
                    addresses: ["10.1.0.80", "10.2.0.80"]),
        ])
        #expect(loadErrors(lab) == ["services[1].addresses[2]: 10.2.0.80 is outside VLAN 100's subnet 10.1.0.0/24 "
            + "(the service's vlan)"])
    }

    @Test func aServiceOnTheRouterIsReachedByItsGatewayAddressOnThatVlan() throws {
        let lab = riverLab(services: [
            service("vpn", runsOn: "fw", vlan: 200, endpoint: "vpn.example.net:51820"),
            service("console", runsOn: "core", vlan: 100, endpoint: "https://console.example.net"),
            service("stats", runsOn: "fw", vlan: 100, endpoint: "https://stats.example.net"),
        ])
        let (_, warnings) = try load(lab)
        let zone = try forwardZone(lab)
        // fw's own address is upstream; on VLAN 200 it is the gateway 10.2.0.1
        #expect(records(zone).contains("fw-apps A 10.2.0.1"))
        #expect(records(zone).contains("vpn CNAME fw-apps ; vpn"))
        #expect(records(zone).contains("console CNAME core ; console"))
        // a service named after the router itself: the router's record stays, the zone says its name there
        let own = try forwardZone(riverLab(services: [service("admin", runsOn: "fw", vlan: 200, endpoint: "https://fw.example.net")]))
        #expect(own.contains("; admin: fw is node fw itself, named above; on VLAN 200 it is fw-apps\n"))
        // fw has no address on VLAN 100 (core routes it)
        #expect(zone.contains("; stats: runs on fw, whose address 203.0.113.2 is not on VLAN 100: no record"))
        #expect(warnings.count == 1 && warnings[0].hasPrefix("services[3]: stats runs on fw"), "\(warnings)")
    }

    // MARK: 2. The name servers the inventory states

    @Test func twoAddressesOfTheDnsServiceAreTwoNameServersTheFirstThePrimary() throws {
        // the resolvers' own addresses: the name servers are those guests
        let lab = riverLab(services: [
            service("dns", runsOn: "resolver", vlan: 100, endpoint: "dns.example.net:53",
                    addresses: ["10.1.0.53", "10.1.0.54"], probe: ("dns", "dns.example.net")),
        ])
        let zone = try forwardZone(lab)
        #expect(zone.contains("IN SOA   res-a.example.net. hostmaster.example.net. ("))
        #expect(records(zone).filter { $0.hasPrefix("@ NS") } == ["@ NS res-a.example.net.", "@ NS res-b.example.net."])
        #expect(records(zone).filter { $0.hasPrefix("dns ") } == ["dns A 10.1.0.53", "dns A 10.1.0.54"])
    }

    @Test func nameServersAtAddressesNoMachineHoldsGetGlueRecordsAndPointers() throws {
        let lab = riverLab(services: [
            service("dns", runsOn: "resolver", vlan: 100, endpoint: "dns.example.net:53",
                    addresses: ["10.1.0.153", "10.1.0.154", "10.1.0.155"], probe: ("dns", "dns.example.net")),
        ])
        let zones = try BindZones.generate(load(lab).0)
        let zone = zones[0].text
        #expect(zone.contains("IN SOA   ns1.example.net. hostmaster.example.net. ("))
        #expect(records(zone).filter { $0.hasPrefix("@ NS") }
                == ["@ NS ns1.example.net.", "@ NS ns2.example.net.", "@ NS ns3.example.net."])
        #expect(records(zone).filter { $0.hasPrefix("ns") } == ["ns1 A 10.1.0.153", "ns2 A 10.1.0.154", "ns3 A 10.1.0.155"])
        let reverse = try #require(zones.first { $0.zone == "0.1.10.in-addr.arpa" })
        #expect(records(reverse.text).contains("153 PTR ns1.example.net."))
        #expect(records(reverse.text).filter { $0.hasPrefix("@ NS") }.count == 3)
    }

    @Test func oneAddressIsOneNameServerAsBefore() throws {
        let lab = riverLab(services: [
            service("dns", runsOn: "resolver", vlan: 100, endpoint: "dns.example.net:53",
                    addresses: ["10.1.0.153"], probe: ("dns", "dns.example.net")),
        ])
        let zone = try forwardZone(lab)
        #expect(records(zone).filter { $0.hasPrefix("@ NS") } == ["@ NS dns.example.net."])
        #expect(records(zone).filter { $0.hasPrefix("dns ") } == ["dns A 10.1.0.153"])
        #expect(!records(zone).contains { $0.hasPrefix("ns1 ") })
    }

    @Test func aNameServerNameTakenByAMachineIsNotReused() throws {
        var lab = riverLab(services: [
            service("dns", runsOn: "resolver", vlan: 100, endpoint: "dns.example.net:53",
                    addresses: ["10.1.0.153", "10.1.0.154"], probe: ("dns", "dns.example.net")),
        ])
        guard case .list(var guests) = lab["guests"]! else { return }
        guests.append(guest("ns1", on: "hv1", role: "mail", vlan: 100, address: "10.1.0.25"))
        lab["guests"] = .list(guests)
        let zone = try forwardZone(lab)
        #expect(records(zone).filter { $0.hasPrefix("@ NS") } == ["@ NS dns-ns1.example.net.", "@ NS ns2.example.net."])
        #expect(records(zone).contains("ns1 A 10.1.0.25"))
        #expect(records(zone).contains("dns-ns1 A 10.1.0.153"))
    }

    // MARK: 3. Losing a VLAN's router costs routing between VLANs

    private func routedLab() throws -> Inventory {
        try load(riverLab(services: [
            // reached from apps (port 53): needs VLAN 100's router and VLAN 200's
            service("dns", runsOn: "resolver", vlan: 100, endpoint: "dns.example.net:53",
                    addresses: ["10.1.0.53", "10.1.0.54"], probe: ("dns", "dns.example.net")),
            // reached from servers (port 443)
            service("shop", runsOn: "web", vlan: 200, endpoint: "https://shop.example.net",
                    probe: ("http", "https://shop.example.net/")),
            // no other VLAN may reach port 9000: its own VLAN's clients only
            service("batch", runsOn: "web", vlan: 200, endpoint: "batch.example.net:9000",
                    probe: ("tcp", "batch.example.net:9000")),
        ])).0
    }

    @Test func theRouterHoldingAGatewayAddressIsDerivedFromTheInventory() throws {
        let inventory = try routedLab()
        #expect(inventory.vlans.map { inventory.router(of: $0).map { inventory.nodes[$0].name } } == ["core", "fw"])
    }

    @Test func losingARouterLosesTheServicesReachedAcrossVlans() throws {
        let r = try FailureSimulation(routedLab()).fail(["core"])
        #expect(r.unrouted.map { "\($0.vlan) \($0.name) \($0.router) \($0.cutOff)" } == ["100 servers core false"])
        let lost = Dictionary(uniqueKeysWithValues: r.services.map { ($0.service, $0.reason) })
        #expect(lost["dns"] == "inter-VLAN routing lost (core down): apps reach it across VLANs")
        // shop's VLAN is still routed, but its consumers' VLAN is not
        #expect(lost["shop"] == "inter-VLAN routing lost (core down): servers reach it across VLANs")
        #expect(lost["batch"] == nil, "nothing reaches batch across VLANs")
        #expect(r.reasons.contains("inter-VLAN routing lost: core routed VLANs 100 (2 services reached across VLANs)"))
    }

    @Test func losingTheGatewayNodeLosesItsVlans() throws {
        let r = try FailureSimulation(routedLab()).fail(["fw"])
        #expect(r.unrouted.map(\.vlan) == [200])
        #expect(Set(r.services.map(\.service)) == ["dns", "shop"])
    }

    @Test func losingAnotherNodeRoutesOn() throws {
        let r = try FailureSimulation(routedLab()).fail(["hv2"])
        #expect(r.unrouted.isEmpty)
        #expect(!r.reasons.contains { $0.contains("routing") })
    }

    @Test func theRouterIsASinglePointOfFailure() throws {
        let points = FailureSimulation(try routedLab()).singlePoints()
        #expect(points.first { $0.element == "core" }?.consequences.contains {
            $0.hasPrefix("inter-VLAN routing lost: core routed VLANs 100")
        } == true)
    }
}
