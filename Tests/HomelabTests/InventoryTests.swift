import Homelab
import Testing

/// A small inventory as the Lua side hands it over, to vary per test.
func sampleInventory() -> InventoryFields {
    func s(_ t: String) -> InventoryValue { .string(t) }
    func i(_ n: Int64) -> InventoryValue { .integer(n) }
    return [
        "site": .map(["name": s("lab"), "domain": s("homelab.local"), "timezone": s("Europe/Berlin")]),
        "nodes": .list([
            .map(["name": s("pve1"), "kind": s("hypervisor"), "ram": s("16GiB"), "address": s("192.168.10.11"),
                  "vlans": .list([i(10), i(30)]),
                  "cpu": .map(["model": s("i5-8500"), "cores": i(6), "threads": i(6)]),
                  "disks": .list([.map(["type": s("nvme"), "size": s("512GB")])])]),
            .map(["name": s("pve2"), "kind": s("hypervisor"), "ram": s("8GiB"), "address": s("192.168.10.12"),
                  "vlans": .list([i(10)])]),
        ]),
        "guests": .list([
            .map(["name": s("k8s-m1"), "kind": s("vm"), "node": s("pve1"), "vcpu": i(2), "ram": s("4GiB"),
                  "disk": s("40GB"), "vlan": i(30), "address": s("192.168.30.11")]),
        ]),
        "vlans": .list([
            .map(["id": i(10), "name": s("management"), "subnet": s("192.168.10.0/24"), "gateway": s("192.168.10.1"),
                  "zone": s("management"), "trust": s("critical")]),
            .map(["id": i(20), "name": s("ops"), "subnet": s("192.168.20.0/24"), "gateway": s("192.168.20.1"),
                  "zone": s("ops"), "trust": s("high")]),
            .map(["id": i(30), "name": s("k8s"), "subnet": s("192.168.30.0/24"), "gateway": s("192.168.30.1"),
                  "zone": s("k8s"), "trust": s("medium")]),
        ]),
        "policy": .map(["default": s("deny"), "rules": .list([
            .map(["from": s("management"), "to": s("*"), "action": s("allow")]),
            .map(["from": s("k8s"), "to": s("management"), "action": s("deny"), "note": s("isolation")]),
            .map(["from": s("ops"), "to": s("management"), "action": s("allow"), "ports": .list([i(9100), s("9000-9001")]), "proto": s("tcp")]),
        ])]),
        "services": .list([
            .map(["name": s("prometheus"), "tier": i(1), "runs_on": s("k8s"), "vlan": i(20)]),
            .map(["name": s("api"), "tier": i(2), "runs_on": s("k8s"), "vlan": i(30),
                  "probe": .map(["kind": s("http"), "target": s("https://api.homelab.local")])]),
        ]),
    ]
}

/// The messages of a failed load, "path: message" each.
func loadErrors(_ top: InventoryFields) -> [String] {
    do {
        _ = try Inventory.load(.map(top), file: "test.lua")
        return []
    } catch let e as InventoryError {
        return e.diagnostics.filter { $0.severity == .error }.map(\.description)
    } catch {
        return ["\(error)"]
    }
}

@Suite struct InventoryTests {
    @Test func aValidInventoryLoads() throws {
        let (inventory, warnings) = try Inventory.load(.map(sampleInventory()), file: "test.lua")
        #expect(inventory.nodes.map(\.name) == ["pve1", "pve2"])
        #expect(inventory.nodes[0].ram?.bytes == 16 << 30)
        #expect(inventory.nodes[0].storage.bytes == 512_000_000_000)
        #expect(inventory.guests[0].address == ip("192.168.30.11"))
        #expect(inventory.services[0].slo.percentText == "99.5", "tier 1's target from the plan")
        #expect(inventory.services[1].slo.percentText == "99")
        #expect(inventory.policy.rules.count == 3)
        // monitoring (ops) reaches api in k8s? no rule allows ops -> k8s: a warning, not an error
        #expect(warnings.map(\.description) == ["services[2]: monitoring (ops) cannot reach api in k8s: default deny"])
    }

    @Test func unknownKeysSuggestTheRightOne() {
        var top = sampleInventory()
        top["nodez"] = .list([])
        guard case .list(var nodes) = top["nodes"]!, case .map(var first) = nodes[0] else { return }
        first["rma"] = .string("16GiB")
        nodes[0] = .map(first)
        top["nodes"] = .list(nodes)
        #expect(loadErrors(top) == ["nodez: unknown key 'nodez' (did you mean 'nodes'?)",
                                    "nodes[1].rma: unknown key 'rma' (did you mean 'ram'?)"])
    }

    @Test func wrongTypesAndMissingFieldsNameTheirPath() {
        var top = sampleInventory()
        top["guests"] = .list([.map(["name": .string("x"), "kind": .string("vm"), "node": .string("pve1"),
                                     "vcpu": .string("two"), "ram": .string("4 gigs"), "disk": .string("40GB"),
                                     "vlan": .integer(30)])])
        let errors = loadErrors(top)
        #expect(errors.contains("guests[1]: missing required field 'address'"))
        #expect(errors.contains("guests[1].vcpu: expected an integer, got a string"))
        #expect(errors.contains { $0.hasPrefix("guests[1].ram: ") && $0.contains("4 gigs") })
    }

    @Test func crossChecksFindConflicts() {
        var top = sampleInventory()
        guard case .list(var guests) = top["guests"]!, case .map(var g) = guests[0] else { return }
        g["node"] = .string("pve9")
        g["address"] = .string("192.168.20.50")  // ops subnet, but vlan 30
        guests[0] = .map(g)
        guests.append(.map(["name": .string("pve1"), "kind": .string("lxc"), "node": .string("pve1"), "vcpu": .integer(1),
                            "ram": .string("1GiB"), "disk": .string("8GB"), "vlan": .integer(30),
                            "address": .string("192.168.30.1")]))
        top["guests"] = .list(guests)
        let errors = loadErrors(top)
        #expect(errors.contains("guests[1].node: unknown node 'pve9' (did you mean 'pve1'?)"))
        #expect(errors.contains("guests[1].address: 192.168.20.50 is outside VLAN 30's subnet 192.168.30.0/24"))
        #expect(errors.contains("guests[2].name: duplicate name 'pve1' (also nodes[1])"))
        #expect(errors.contains("guests[2].address: 192.168.30.1 is the gateway of VLAN 30"))
    }

    @Test func overlappingSubnetsAndBadPolicyZones() {
        var top = sampleInventory()
        guard case .list(var vlans) = top["vlans"]! else { return }
        vlans.append(.map(["id": .integer(40), "name": .string("extra"), "subnet": .string("192.168.30.128/25"),
                           "gateway": .string("192.168.30.129"), "zone": .string("extra"), "trust": .string("low")]))
        top["vlans"] = .list(vlans)
        #expect(loadErrors(top) == ["vlans[4].subnet: 192.168.30.128/25 overlaps VLAN 30's 192.168.30.0/24"])
        // The cross checks need a whole model: a bad rule is reported alone.
        top["policy"] = .map(["default": .string("deny"), "rules": .list([
            .map(["from": .string("k8z"), "to": .string("ops"), "action": .string("allow")]),
        ])])
        #expect(loadErrors(top) == ["policy.rules[1].from: unknown zone 'k8z' (did you mean 'k8s'?)"])
    }

    @Test func ramOvercommitIsAWarning() throws {
        var top = sampleInventory()
        guard case .list(var guests) = top["guests"]! else { return }
        for n in 2...5 {
            guests.append(.map(["name": .string("w\(n)"), "kind": .string("vm"), "node": .string("pve1"),
                                "vcpu": .integer(2), "ram": .string("4GiB"), "disk": .string("20GB"),
                                "vlan": .integer(30), "address": .string("192.168.30.\(20 + n)")]))
        }
        top["guests"] = .list(guests)
        let (_, warnings) = try Inventory.load(.map(top), file: "test.lua")
        #expect(warnings.map(\.description).contains("nodes[1].ram: guests commit 20 GiB of pve1's 16 GiB"))
    }

    @Test func durationsParse() throws {
        var top = sampleInventory()
        top["recovery"] = .list([.map(["tier": .integer(1), "rto": .string("1h"), "rpo": .string("15m")]),
                                 .map(["tier": .integer(3), "rto": .string("1d"), "rpo": .string("1h30m")])])
        let (inventory, _) = try Inventory.load(.map(top), file: "test.lua")
        #expect(inventory.recovery.map(\.rto) == [.seconds(3600), .seconds(86_400)])
        #expect(inventory.recovery[1].rpo == .seconds(5400))
        top["recovery"] = .list([.map(["tier": .integer(1), "rto": .string("soon"), "rpo": .string("15")])])
        let errors = loadErrors(top)
        #expect(errors.contains("recovery[1].rto: 'soon' is not a duration (like 30s, 15m, 4h, 7d, 2w or 1h30m)"))
        #expect(errors.contains("recovery[1].rpo: '15' is not a duration (like 30s, 15m, 4h, 7d, 2w or 1h30m)"))
    }
}
