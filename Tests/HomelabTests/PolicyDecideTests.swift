import Homelab
import Testing

// Inventory.decide: places (VLAN id or name, node, guest, zone, internet)
// resolved to zones, and unmatched traffic denied whatever policy.default says.

private func s(_ text: String) -> InventoryValue { .string(text) }
private func i(_ n: Int64) -> InventoryValue { .integer(n) }

/// Management may go anywhere; k8s reaches the internet; nothing else is
/// said. `default` is the inventory's policy.default.
private func twoZones(default action: String) throws -> Inventory {
    let vlan = { (id: Int64, name: String, zone: String) -> InventoryValue in
        .map(["id": i(id), "name": s(name), "zone": s(zone), "trust": s("medium"),
              "subnet": s("192.168.\(id).0/24"), "gateway": s("192.168.\(id).1")])
    }
    let rule = { (from: String, to: String) -> InventoryValue in
        .map(["from": s(from), "to": s(to), "action": s("allow")])
    }
    let lab: InventoryFields = [
        "site": .map(["name": s("lab"), "domain": s("homelab.local"), "timezone": s("UTC")]),
        "nodes": .list([
            .map(["name": s("pve1"), "kind": s("hypervisor"), "address": s("192.168.10.11"), "vlans": .list([i(10), i(30)])]),
        ]),
        "guests": .list([
            .map(["name": s("k8s-w1"), "kind": s("vm"), "node": s("pve1"), "vcpu": i(2), "ram": s("4GiB"),
                  "disk": s("40GiB"), "role": s("k8s-worker"), "vlan": i(30), "address": s("192.168.30.21")]),
        ]),
        "vlans": .list([vlan(10, "mgmt-vlan", "management"), vlan(30, "k8s-vlan", "k8s")]),
        "policy": .map(["default": s(action), "rules": .list([rule("management", "*"), rule("k8s", "internet")])]),
        "services": .list([]),
    ]
    return try Inventory.load(.map(lab), file: "test.lua").0
}

@Suite struct PolicyDecideTests {
    @Test func placesResolveToTheirZones() throws {
        let lab = try twoZones(default: "deny")
        #expect(try lab.zone(of: .vlan(30)) == "k8s")
        #expect(try lab.zone(of: .name("k8s-vlan")) == "k8s")
        #expect(try lab.zone(of: .name("management")) == "management")
        #expect(try lab.zone(of: .name("k8s-w1")) == "k8s", "a guest: its VLAN's zone")
        #expect(try lab.zone(of: .name("pve1")) == "management", "a node: its first VLAN's zone")
        #expect(try lab.zone(of: .name("internet")) == "internet")
    }

    @Test func unknownPlacesSayWhatWasMeant() throws {
        let lab = try twoZones(default: "deny")
        #expect(errorMessage { try lab.zone(of: .name("k8z")) }
                == "'k8z' is not a zone, VLAN, node or guest of the inventory; did you mean 'k8s'?")
        #expect(errorMessage { try lab.zone(of: .name("30")) }
                == "'30' is not a zone, VLAN, node or guest of the inventory; did you mean 30?")
        #expect(errorMessage { try lab.zone(of: .vlan(99)) }
                == "'99' is not a zone, VLAN, node or guest of the inventory; zones: management, k8s")
    }

    @Test func decidingBetweenPlacesIsDecidingBetweenTheirZones() throws {
        let lab = try twoZones(default: "deny")
        for (from, to) in [(PolicyPlace.name("pve1"), PolicyPlace.vlan(30)), (.name("k8s-w1"), .name("internet")),
                           (.vlan(30), .name("mgmt-vlan")), (.name("internet"), .name("k8s-w1"))] {
            let zones = try lab.policy.decide(from: lab.zone(of: from), to: lab.zone(of: to))
            #expect(try lab.decide(from: from, to: to) == zones, "\(from) → \(to)")
        }
        #expect(try lab.decide(from: .name("k8s-w1"), to: .vlan(10)).reason == "default deny")
    }

    /// The one place the copies disagreed: lab.net honoured default = "allow"
    /// while the matrix and the OpenWrt generator denied. Stricter wins.
    @Test func unmatchedTrafficIsDeniedEvenWhenTheDefaultSaysAllow() throws {
        let lab = try twoZones(default: "allow")
        let decision = try lab.decide(from: .name("k8s"), to: .name("management"))
        #expect(decision.verdict == .denied)
        #expect(decision.reason == "default deny")
        #expect(lab.policy.matrix().verdict(from: "k8s", to: "management") == .denied)
        #expect(errorMessage { try lab.checkZeroTrustDefault(for: "OpenWrt generator") }
                == "the policy's default is allow; the OpenWrt generator writes zero-trust firewalls only (default deny)")
    }
}
