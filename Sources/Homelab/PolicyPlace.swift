/// Where traffic starts or ends, as a person names it: a VLAN id, or a name
/// (a zone, a VLAN, a guest, a node) or "internet". The inventory resolves it
/// to a zone; the policy decides between zones.
public enum PolicyPlace: Hashable, Sendable, CustomStringConvertible {
    case vlan(Int)
    case name(String)

    public var description: String {
        switch self {
        case .vlan(let id): return "\(id)"
        case .name(let name): return name
        }
    }
}

extension Inventory {
    /// The one firewall decision of labsh: `lab.net`, the report's boundary
    /// checks and the OpenWrt generator all ask it. Places resolve to zones
    /// (`zone(of:)`); traffic no rule matches is denied. The inventory's
    /// `policy.default = "allow"` is never honoured: a zero-trust answer
    /// cannot depend on it (`checkZeroTrustDefault`).
    public func decide(from: PolicyPlace, to: PolicyPlace, port: Int? = nil,
                       proto: Policy.Proto = .any) throws -> Policy.Decision {
        try policy.decide(from: zone(of: from), to: zone(of: to), port: port, proto: proto)
    }

    /// The zone of a place: a VLAN's own (by id, name or zone name), a
    /// guest's VLAN's, a node's first VLAN's; "internet" is itself.
    public func zone(of place: PolicyPlace) throws -> String {
        switch place {
        case .vlan(let id):
            if let vlan = vlans.first(where: { $0.id == id }) { return vlan.zone }
        case .name(let name):
            if name == Policy.internet { return name }
            if let vlan = vlans.first(where: { $0.name == name || $0.zone == name }) { return vlan.zone }
            if let guest = guests.first(where: { $0.name == name }),
               let zone = vlans.first(where: { $0.id == guest.vlan })?.zone { return zone }
            if let node = nodes.first(where: { $0.name == name }), let id = node.vlans.first,
               let zone = vlans.first(where: { $0.id == id })?.zone { return zone }
        }
        throw HomelabError("'\(place)' is not a zone, VLAN, node or guest of the inventory; " + hint(for: place))
    }

    /// "did you mean 'k8s'?" (a VLAN id typed as text counts), else the zones.
    private func hint(for place: PolicyPlace) -> String {
        if case .name(let text) = place, let id = Int(text), vlans.contains(where: { $0.id == id }) {
            return "did you mean \(id)?"
        }
        var seen = Set<String>()  // each name once, in the order of the inventory
        let zones = vlans.map(\.zone).filter { seen.insert($0).inserted }
        let names = zones + (vlans.map(\.name) + nodes.map(\.name) + guests.map(\.name) + [Policy.internet])
            .filter { seen.insert($0).inserted }
        if let meant = Suggestion.closest(to: place.description, in: names) { return "did you mean '\(meant)'?" }
        return "zones: " + zones.joined(separator: ", ")
    }

    /// Throws when the inventory asks for `policy.default = "allow"`: what
    /// writes a firewall refuses it rather than write one that denies while
    /// the inventory seems to say otherwise.
    public func checkZeroTrustDefault(for generator: String) throws {
        if policyDefault == .allow {
            throw HomelabError("the policy's default is allow; the \(generator) writes zero-trust "
                + "firewalls only (default deny)")
        }
    }
}
