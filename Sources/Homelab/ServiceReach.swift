/// Where a service is reached, by the model's own statements. A service's
/// `vlan` says which network its address is on (the plan groups services by
/// VLAN: "Monitoring & Observability (VLAN 20 - Ops)"); `runs_on` says what
/// executes it. Both hold when the service has an address on its VLAN:
/// - its own `addresses` (a LoadBalancer or virtual IP), which must lie in
///   the VLAN's subnet;
/// - else the machine it runs on, by its own address or, for the VLAN's
///   router, the VLAN's gateway address;
/// - else the platform's guests (role or tag, see BindZones) on that VLAN.
/// A platform with no guest on the VLAN (a K8s cluster on VLAN 30 running a
/// VLAN 20 service) cannot serve it there without an address the model does
/// not state: a record pointing at the guests would contradict `vlan`.
extension Inventory {
    public enum ServiceReach: Equatable, Sendable {
        /// Its stated `addresses`.
        case addresses([IPAddress])
        /// A node or guest, by its address on the service's VLAN.
        case machine(String, IPAddress)
        /// The guests of a platform ("k8s") that are on the service's VLAN.
        case platform(String, [IPAddress])
        /// `runs_on` names nothing with addresses.
        case unplaced
        /// What it runs on has no address on its VLAN: why, in words.
        case offVLAN(String)
    }

    public func vlan(id: Int) -> Vlan? { vlans.first { $0.id == id } }

    /// The node whose address is the VLAN's gateway: the node that holds it,
    /// else the gateway node that routes the VLAN (one listing no VLANs
    /// routes them all).
    public func router(of vlan: Vlan) -> Int? {
        nodes.firstIndex { $0.address == vlan.gateway }
            ?? nodes.firstIndex { $0.kind == .gateway && ($0.vlans.isEmpty || $0.vlans.contains(vlan.id)) }
    }

    /// The guests a platform name stands for: those whose role is the name
    /// or starts with "<name>-", or that are tagged with it.
    public func platformMembers(_ name: String) -> [Guest] {
        let name = name.lowercased()
        return guests.filter { guest in
            let role = guest.role?.lowercased() ?? ""
            return role == name || role.hasPrefix(name + "-") || guest.tags.contains { $0.lowercased() == name }
        }
    }

    public func reach(of service: Service) -> ServiceReach {
        if !service.addresses.isEmpty { return .addresses(service.addresses) }
        let vlan = vlan(id: service.vlan)
        // An unknown VLAN states nothing to follow: what it runs on decides.
        func onVLAN(_ address: IPAddress) -> Bool { vlan?.subnet.contains(address) ?? true }
        let name = service.runsOn.lowercased()
        if let i = nodes.firstIndex(where: { $0.name.lowercased() == name }) {
            let node = nodes[i]
            if onVLAN(node.address) { return .machine(node.name, node.address) }
            if let vlan, router(of: vlan) == i { return .machine(node.name, vlan.gateway) }
            return .offVLAN("runs on \(node.name), whose address \(node.address) is not on VLAN \(service.vlan)")
        }
        if let guest = guests.first(where: { $0.name.lowercased() == name }) {
            if onVLAN(guest.address) { return .machine(guest.name, guest.address) }
            return .offVLAN("runs on \(guest.name), whose address \(guest.address) is on VLAN \(guest.vlan), not \(service.vlan)")
        }
        let members = platformMembers(name)
        guard !members.isEmpty else { return .unplaced }
        let here = members.filter { onVLAN($0.address) }
        if here.isEmpty {
            let theirs = Set(members.map(\.vlan)).sorted().map(String.init).joined(separator: ", ")
            return .offVLAN("runs on \(service.runsOn), whose guests are on VLAN \(theirs), not \(service.vlan)")
        }
        return .platform(service.runsOn, here.map(\.address))
    }
}
