import Homelab
import Testing

// The model beyond the plan (issue 16): targets, HA groups with their nodes,
// VLANs marked public, policy boundaries, node kinds server/nas/sbc, and a
// gateway for an IPv6-only lab.

private func s(_ t: String) -> InventoryValue { .string(t) }
private func i(_ n: Int64) -> InventoryValue { .integer(n) }

/// Three hypervisors in one cluster behind one switch and a gateway, VLAN
/// 30 public (a DMZ), VLAN 50 not; guests of HA group `apps` all on `a`.
private func haLab(groups: InventoryValue? = nil) -> InventoryFields {
    func node(_ name: String, _ addr: String, kind: String = "hypervisor", uplinks: [String]) -> InventoryValue {
        .map(["name": s(name), "kind": s(kind), "address": s(addr), "ram": s("32GiB"), "cluster": s("c"),
              "cpu": .map(["model": s("x"), "cores": i(8), "threads": i(16)]), "uplinks": .list(uplinks.map(s))])
    }
    var lab = sampleInventory()
    lab["nodes"] = .list([
        node("a", "192.168.10.11", uplinks: ["sw"]), node("b", "192.168.10.12", uplinks: ["sw"]),
        node("c", "192.168.10.13", uplinks: ["sw"]),
        .map(["name": s("sw"), "kind": s("switch"), "address": s("192.168.10.2"), "uplinks": .list([s("gw")])]),
        .map(["name": s("gw"), "kind": s("gateway"), "address": s("192.168.10.1"), "uplinks": .list([s("internet")])]),
    ])
    lab["vlans"] = .list([
        .map(["id": i(10), "name": s("infra"), "subnet": s("192.168.10.0/24"), "gateway": s("192.168.10.1"),
              "zone": s("infra"), "trust": s("critical")]),
        .map(["id": i(30), "name": s("edge"), "subnet": s("192.168.30.0/24"), "gateway": s("192.168.30.1"),
              "zone": s("edge"), "trust": s("isolated"), "public": .boolean(true)]),
        .map(["id": i(50), "name": s("iot"), "subnet": s("192.168.50.0/24"), "gateway": s("192.168.50.1"),
              "zone": s("iot"), "trust": s("low")]),
    ])
    lab["policy"] = .map(["default": s("deny"), "rules": .list([])])
    lab["guests"] = .list((1...2).map { n in
        .map(["name": s("app\(n)"), "kind": s("vm"), "node": s("a"), "vcpu": i(2), "ram": s("8GiB"), "disk": s("20GiB"),
              "ha_group": s("apps"), "vlan": i(30), "address": s("192.168.30.\(10 + n)")])
    } + [.map(["name": s("hass"), "kind": s("vm"), "node": s("b"), "vcpu": i(2), "ram": s("4GiB"), "disk": s("20GiB"),
               "vlan": i(50), "address": s("192.168.50.10")])])
    lab["services"] = .list([
        .map(["name": s("blog"), "tier": i(3), "runs_on": s("app1"), "vlan": i(30)]),
        .map(["name": s("home"), "tier": i(3), "runs_on": s("hass"), "vlan": i(50)]),
    ])
    if let groups { lab["ha_groups"] = groups }
    return lab
}

@Suite struct AnyHomelabTests {
    @Test func haGroupsNameTheirNodesAndTheSimulationUsesThemByPriority() throws {
        // Without ha_groups the group is where its guests run: nothing survives.
        let assumed = try FailureSimulation(Inventory.load(.map(haLab()), file: "t.lua").0).fail(["a"])
        #expect(assumed.stranded.map(\.reason).allSatisfy { $0 == "no node of HA group apps survives" })
        let groups: InventoryValue = .list([.map(["name": s("apps"), "nodes": .list([
            s("a"), .map(["node": s("b"), "priority": i(1)]), .map(["node": s("c"), "priority": i(7)])])])])
        let inventory = try Inventory.load(.map(haLab(groups: groups)), file: "t.lua").0
        #expect(inventory.haGroups.first?.nodes.map(\.priority) == [0, 1, 7])
        let r = try FailureSimulation(inventory).fail(["a"])
        #expect(r.stranded.isEmpty)
        #expect(r.moved.map(\.to) == ["c", "c"], "c has the higher priority")
    }

    @Test func haGroupMembersAndGuestGroupsAreChecked() {
        let groups: InventoryValue = .list([.map(["name": s("apps"), "nodes": .list([s("aa")])])])
        var lab = haLab(groups: groups)
        #expect(loadErrors(lab).contains("ha_groups[1].nodes: 'aa' is not a node (did you mean 'a'?)"), "\(loadErrors(lab))")
        lab["ha_groups"] = .list([.map(["name": s("other"), "nodes": .list([s("a")])])])
        #expect(loadErrors(lab).contains { $0.hasPrefix("guests[1].ha_group: 'apps' is not one of ha_groups") }, "\(loadErrors(lab))")
    }

    @Test func theDMZIsThePublicVLANWhateverItsId() throws {
        let r = try FailureSimulation(Inventory.load(.map(haLab()), file: "t.lua").0).fail(["internet"])
        #expect(r.services.map(\.service) == ["blog"], "\(r.services.map(\.reason))")
        #expect(r.services.first?.reason == "public service without a path to the internet")
    }

    @Test func targetsAreSelectionsByRoleKindOrTag() throws {
        var lab = haLab()
        lab["targets"] = .map(["linux": .map(["kind": .list([s("hypervisor"), s("vm")])]),
                               "k8s_servers": .map(["role": s("cp")])])
        let inventory = try Inventory.load(.map(lab), file: "t.lua").0
        #expect(inventory.targets["linux"]?.kinds == ["hypervisor", "vm"])
        #expect(inventory.targets["k8s_servers"]?.roles == ["cp"])
        #expect(inventory.guests(in: "linux").count == 3)
        #expect(inventory.guests(in: "k8s_servers").isEmpty)
        lab["targets"] = .map(["linux": .map(["roles": s("x")]), "none": .map([:])])
        let errors = loadErrors(lab)
        #expect(errors.contains("targets.linux.roles: unknown key 'roles' (did you mean 'role'?)"), "\(errors)")
        #expect(errors.contains { $0.contains("targets.none") && $0.contains("picks no host") }, "\(errors)")
    }

    @Test func boundariesNameKnownZones() {
        var lab = haLab()
        lab["policy"] = .map(["default": s("deny"), "rules": .list([]), "boundaries": .list([
            .map(["from": s("iot"), "to": s("infr"), "expect": s("deny")])])])
        #expect(loadErrors(lab).contains("policy.boundaries[1].to: unknown zone 'infr' (did you mean 'infra'?)"), "\(loadErrors(lab))")
    }

    @Test func aNASIsStorageForOthersAndServersAndSBCsRunGuests() throws {
        var lab = sampleInventory()
        lab["guests"] = .list([])
        lab["nodes"] = .list([
            .map(["name": s("tank"), "kind": s("nas"), "address": s("192.168.10.5"), "ram": s("32GiB"),
                  "cpu": .map(["model": s("x"), "cores": i(4), "threads": i(8)]),
                  "disks": .list([.map(["type": s("hdd"), "size": s("16TB")])])]),
            .map(["name": s("pi"), "kind": s("sbc"), "address": s("192.168.10.6"), "ram": s("8GiB"),
                  "cpu": .map(["model": s("a76"), "cores": i(4), "threads": i(4)]),
                  "disks": .list([.map(["type": s("sd"), "size": s("64GB")])])]),
            .map(["name": s("srv"), "kind": s("server"), "address": s("192.168.10.7"), "ram": s("16GiB"),
                  "cpu": .map(["model": s("i3"), "cores": i(4), "threads": i(8)])]),
        ])
        let plan = CapacityPlan(try Inventory.load(.map(lab), file: "t.lua").0)
        let by = Dictionary(uniqueKeysWithValues: plan.resources.map { ($0.name, $0) })
        #expect(by["ram"]?.installed == Double(24 << 30), "the NAS's RAM runs no guest")
        #expect(by["cpu_cores"]?.installed == 8)
        #expect(by["storage_nas"]?.installed == 16e12)
        #expect(by["storage_nas"]?.utilisation == nil, "nothing says how full it is")
    }

    private func sixLab() -> InventoryFields {
        var lab = sampleInventory()
        lab["guests"] = .list([])
        lab["services"] = .list([])
        lab["nodes"] = .list([.map(["name": s("gw"), "kind": s("gateway"), "address": s("2001:db8:a::1"),
                                    "vlans": .list([i(10)])])])
        lab["vlans"] = .list([.map(["id": i(10), "name": s("admin"), "subnet": s("2001:db8:a::/64"),
                                    "gateway": s("2001:db8:a::1"), "zone": s("admin"), "trust": s("high")])])
        lab["policy"] = .map(["default": s("deny"), "rules": .list([])])
        return lab
    }

    @Test func anIPv6OnlyLabTakesItsWANByDHCPv6() throws {
        let files = try OpenWrtConfig.generate(Inventory.load(.map(sixLab()), file: "t.lua").0)
        let wan = files.network.components(separatedBy: "config interface 'wan'\n").last ?? ""
        #expect(wan.contains("option proto 'dhcpv6'"), "\(files.network)")
        #expect(wan.contains("option reqprefix 'auto'"))
        #expect(!files.network.contains("option proto 'dhcp'\n"))
        #expect(files.firewall.contains("option name 'Allow DHCPv6 from admin'"), "\(files.firewall)")
        #expect(files.firewall.contains("option dest_port '546'"), "the ISP's replies reach the WAN")
    }

    @Test func aDualStackLabAddsWan6BesideDHCP() throws {
        var lab = sampleInventory()
        lab["guests"] = .list([])
        lab["services"] = .list([])
        lab["nodes"] = .list([.map(["name": s("gw"), "kind": s("gateway"), "address": s("192.168.10.1"),
                                    "vlans": .list([i(10), i(20)])])])
        lab["vlans"] = .list([
            .map(["id": i(10), "name": s("v4"), "subnet": s("192.168.10.0/24"), "gateway": s("192.168.10.1"),
                  "zone": s("v4"), "trust": s("high")]),
            .map(["id": i(20), "name": s("v6"), "subnet": s("2001:db8:b::/64"), "gateway": s("2001:db8:b::1"),
                  "zone": s("v6"), "trust": s("low")]),
        ])
        lab["policy"] = .map(["default": s("deny"), "rules": .list([])])
        let files = try OpenWrtConfig.generate(Inventory.load(.map(lab), file: "t.lua").0)
        #expect(files.network.contains("config interface 'wan'\n\toption device 'eth1'\n\toption proto 'dhcp'\n"), "\(files.network)")
        #expect(files.network.contains("config interface 'wan6'"))
        #expect(files.firewall.contains("list network 'wan6'"))
        #expect(!files.firewall.contains("Allow DHCPv6 from v4"))
        #expect(files.firewall.contains("Allow DHCPv6 from v6"))
    }
}
