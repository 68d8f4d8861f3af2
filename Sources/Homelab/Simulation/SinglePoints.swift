/// Single points of failure, derived from the declared topology (uplinks and
/// power feeds): every element whose loss alone costs a quorum, the path to
/// the internet, or cuts off or powers down more than one other node.
/// Nothing is named by hand: a second switch with dual-homed nodes, or a UPS
/// as a second feed, makes the entry disappear.
extension FailureSimulation {
    public struct SinglePoint: Sendable {
        /// The node, power feed or "internet" (the ISP line).
        public var element: String
        /// gateway, switch, router, hypervisor, ... (the node's kind), "power" or "uplink".
        public var kind: String
        /// Other nodes down or cut off by its loss.
        public var affected: [String]
        public var consequences: [String]
        public var mitigation: String
        public var impact: Int
    }

    public func singlePoints() -> [SinglePoint] {
        var found: [SinglePoint] = []
        for name in elements {
            guard let r = try? fail([name]) else { continue }
            let others = (r.down + r.isolated).filter { $0 != name }
            var why: [String] = []
            for q in r.proxmox where !q.quorate {
                why.append("Proxmox cluster \(q.cluster) loses quorum (\(q.alive)/\(q.votes) votes)")
            }
            if let p = r.kubernetes, !p.etcdQuorum { why.append("etcd loses quorum (\(p.running)/\(p.masters) masters)") }
            if !r.internet && !internetNodes.isEmpty { why.append("no path to the internet") }
            if !r.unrouted.isEmpty { why.append("no routing between VLANs \(r.unrouted.map { String($0.vlan) }.joined(separator: ", "))") }
            if others.count >= 2 { why.append("\(others.count) other nodes down or cut off") }
            guard !why.isEmpty else { continue }
            let kind: String
            let mitigation: String
            if let i = nodeIndex[name] {
                kind = inventory.nodes[i].kind.rawValue
                switch inventory.nodes[i].kind {
                case .gateway: mitigation = "a second gateway (VRRP/keepalived) with its own uplink"
                case .switch: mitigation = "a spare or second switch; dual-home the cluster nodes"
                case .router where !r.unrouted.isEmpty:
                    mitigation = "a second router sharing the VLANs' gateway addresses (VRRP/keepalived)"
                case .router: mitigation = "a second internet line or LTE failover on its own router"
                default: mitigation = "spread what runs on it; more nodes to hold quorum"
                }
            } else if name == "internet" {
                kind = "uplink"
                mitigation = "a second internet line or LTE failover (home ISP: often accepted)"
            } else {
                kind = "power"
                mitigation = "a UPS or a second feed for the nodes on \(name)"
            }
            found.append(SinglePoint(element: name, kind: kind, affected: others, consequences: r.reasons,
                                     mitigation: mitigation, impact: r.impact))
        }
        return found.sorted { $0.impact != $1.impact ? $0.impact > $1.impact : $0.element < $1.element }
    }
}
