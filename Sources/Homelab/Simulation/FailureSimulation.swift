/// What happens when machines (or power feeds) fail: Proxmox quorum,
/// Kubernetes control plane and etcd quorum, HA re-placement of guests on the
/// survivors, guests that no longer fit, services that lose their tier's SLO
/// and GPU workloads with nowhere to go. Pure: the inventory in, a report out.
///
/// The model, stated so it can be argued with:
/// - A node is down when it failed, or when every power feed it declares
///   failed. Up nodes split into network partitions along declared uplinks
///   (a failed switch isolates everything behind it).
/// - Proxmox: one vote per member of a cluster; quorum is a strict majority
///   of all votes, in one partition. Without quorum nothing is re-placed, and
///   members running HA guests fence themselves (Proxmox's watchdog), so those
///   guests are down too.
/// - Re-placement (quorate partition only): guests with an `ha_group` on down
///   or fenced nodes, first-fit decreasing by RAM over the partition's cluster
///   members. A group declared in `ha_groups` may use the nodes it lists,
///   higher priority first; a group not declared there (an inventory without
///   `ha_groups`) is assumed to be the nodes its members run on now. A group
///   holding Kubernetes servers (the `k8s_servers` target) keeps them on
///   distinct nodes (etcd: one host, one vote).
///   A node takes a guest if RAM stays within its RAM less `ramReserve` and
///   vCPUs within `cpuRatio` × threads.
/// - Kubernetes: etcd runs on the guests of the `k8s_servers` target (the
///   agents are `k8s_agents`); an inventory without them has no Kubernetes.
///   Quorum is a strict majority of the servers running in one partition;
///   the API needs that and a running agent. Services on "k8s" need the API;
///   on a node or guest, that machine; services on a `public` VLAN (a DMZ)
///   also need a path to the internet.
/// - Routing between VLANs: a VLAN's gateway address belongs to its router
///   (`Inventory.router(of:)`: the node holding the address, else the
///   gateway node routing the VLAN). A router down or cut off from the main
///   partition routes nothing: a service whose consumers sit on other VLANs
///   (zones the policy lets reach it, monitoring among them) is lost to them.
/// - A service down for `repair` (default 24 h, assumption: next-day
///   hardware replacement) loses its SLO when that exceeds the tier's monthly
///   error budget (99.5% → 3.6 h, 99% → 7.2 h, 95% → 36 h).
public struct FailureSimulation: Sendable {
    public struct Options: Sendable {
        public var ramReserve: Int64 = 2 << 30
        public var cpuRatio: Double = 2
        public var repairSeconds: Double = 24 * 3600
        public init() {}
    }

    public struct Quorum: Sendable, Equatable {
        public var cluster: String
        public var votes: Int
        public var alive: Int
        public var needed: Int
        public var quorate: Bool
    }

    public struct ControlPlane: Sendable, Equatable {
        public var masters: Int
        public var running: Int
        public var needed: Int
        public var etcdQuorum: Bool
        public var workers: Int
        public var runningWorkers: Int
        public var apiAvailable: Bool
        public var mastersOn: [String]
    }

    public struct Move: Sendable, Equatable {
        public var guest: String
        public var from: String
        public var to: String
        public var ram: Int64
    }

    public struct Stranded: Sendable, Equatable {
        public var guest: String
        public var node: String
        public var ram: Int64
        public var reason: String
    }

    public struct ServiceLoss: Sendable, Equatable {
        public var service: String
        public var tier: Int
        public var slo: Double
        public var budgetSeconds: Double
        public var reason: String
        public var losesSLO: Bool
    }

    /// A VLAN whose router is lost: nothing enters or leaves it.
    public struct Unrouted: Sendable, Equatable {
        public var vlan: Int
        public var name: String
        public var router: String
        /// The router is up but cut off from the main partition.
        public var cutOff: Bool
    }

    public struct Report: Sendable {
        /// VLANs whose router is down or cut off, in inventory order.
        public var unrouted: [Unrouted] = []
        public var failed: [String]
        public var down: [String]
        public var isolated: [String]
        public var proxmox: [Quorum]
        public var kubernetes: ControlPlane?
        public var moved: [Move]
        public var stranded: [Stranded]
        public var services: [ServiceLoss]
        public var gpu: [Stranded]
        public var internet: Bool
        public var impact: Int
        public var reasons: [String]
    }

    let inventory: Inventory
    let options: Options
    let nodeIndex: [String: Int]
    let guestNode: [Int]  // guest -> node index (-1: unknown node)
    let adjacency: [[Int]]  // undirected uplink graph over nodes
    let internetNodes: [Int]  // nodes whose uplinks include "internet"
    let feeds: [String]
    let groupNodes: [String: [Int]]  // the nodes each HA group may use, in preference order
    let publicVlans: Set<Int>
    let spreadGroups: Set<String>
    let order: [Int]  // HA-eligible guests by RAM descending, then name
    let inSpreadGroup: [Bool]  // per guest
    let guestIndex: [String: Int]
    let masters: [Int]
    let workers: [Int]
    let routerOf: [Int: Int]  // VLAN id -> its router's node index
    /// Per service: the VLANs other than its own whose zone the policy lets
    /// reach it (at its probe's port), so they need the routers.
    let consumerVlans: [[Int]]

    public init(_ inventory: Inventory, options: Options = Options()) {
        self.inventory = inventory
        self.options = options
        var index: [String: Int] = [:]
        for (i, n) in inventory.nodes.enumerated() { index[n.name] = i }
        nodeIndex = index
        guestNode = inventory.guests.map { index[$0.node] ?? -1 }
        // the last vertex: one shared segment for nodes that declare no uplinks
        let hub = inventory.nodes.count
        var adj = Array(repeating: [Int](), count: hub + 1)
        var toInternet: [Int] = []
        var feedSet: [String] = []
        for (i, n) in inventory.nodes.enumerated() {
            if n.uplinks.isEmpty { adj[i].append(hub); adj[hub].append(i) }
            for u in n.uplinks {
                if u == "internet" { toInternet.append(i) }
                else if let j = index[u] { adj[i].append(j); adj[j].append(i) }
            }
            for p in n.power where !feedSet.contains(p) { feedSet.append(p) }
        }
        adjacency = adj
        internetNodes = toInternet
        feeds = feedSet
        // HA groups: the declared node lists by priority (ties in inventory
        // order); an undeclared group, the nodes its guests run on now.
        var groups: [String: [Int]] = [:]
        for (g, guest) in inventory.guests.enumerated() {
            if let h = guest.haGroup, guestNode[g] >= 0, !(groups[h]?.contains(guestNode[g]) ?? false) {
                groups[h, default: []].append(guestNode[g])
            }
        }
        for (h, members) in groups { groups[h] = members.sorted() }
        for group in inventory.haGroups {
            groups[group.name] = group.nodes.compactMap { m in index[m.node].map { (m.priority, $0) } }
                .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.map(\.1)
        }
        groupNodes = groups
        publicVlans = Set(inventory.vlans.filter(\.isPublic).map(\.id))
        // etcd members (the servers' groups) stay on distinct nodes
        let servers = inventory.guests(in: "k8s_servers")
        spreadGroups = Set(servers.compactMap { inventory.guests[$0].haGroup })
        let spread = spreadGroups
        inSpreadGroup = inventory.guests.map { $0.haGroup.map(spread.contains) ?? false }
        guestIndex = Dictionary(inventory.guests.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        masters = servers
        workers = inventory.guests(in: "k8s_agents").filter { !servers.contains($0) }
        var routers: [Int: Int] = [:]
        for vlan in inventory.vlans { routers[vlan.id] = inventory.router(of: vlan) }
        routerOf = routers
        consumerVlans = inventory.services.map { service in
            guard let own = inventory.vlan(id: service.vlan) else { return [] }
            // the traffic its probe makes stands for its consumers'
            let kind = service.probe?.kind
            let proto: Policy.Proto = kind == "icmp" ? .icmp : kind == "dns" ? .udp : kind == nil ? .any : .tcp
            let port = proto == .icmp ? nil : service.probe.flatMap { InventoryChecks.port(of: $0) }
            return inventory.vlans.filter { other in
                other.zone != own.zone
                    && ((try? inventory.policy.decide(from: other.zone, to: own.zone, port: port, proto: proto))?.allowed ?? false)
            }.map(\.id)
        }
        order = inventory.guests.indices.filter { inventory.guests[$0].haGroup != nil }.sorted {
            let a = inventory.guests[$0], b = inventory.guests[$1]
            return a.ram.bytes != b.ram.bytes ? a.ram.bytes > b.ram.bytes : a.name < b.name
        }
    }

    /// The names a failure may name: nodes, power feeds and "internet".
    public var elements: [String] { inventory.nodes.map(\.name) + feeds + (internetNodes.isEmpty ? [] : ["internet"]) }

    public func fail(_ names: [String]) throws -> Report {
        let nodes = inventory.nodes, guests = inventory.guests
        var down = Array(repeating: false, count: nodes.count)
        var failedFeeds = Set<String>()
        var lineDown = false
        for name in names {
            if name == "internet" { lineDown = true }
            else if let i = nodeIndex[name] { down[i] = true }
            else if feeds.contains(name) { failedFeeds.insert(name) }
            else {
                let hint = Suggestion.closest(to: name, in: elements).map { " (did you mean '\($0)'?)" }
                    ?? " (there are: \(elements.joined(separator: ", ")))"
                throw HomelabError("'\(name)' is neither a node, a power feed nor \"internet\"\(hint)")
            }
        }
        if !failedFeeds.isEmpty {
            for (i, n) in nodes.enumerated() where !n.power.isEmpty && n.power.allSatisfy(failedFeeds.contains) {
                down[i] = true
            }
        }
        // partitions of the up nodes
        down.append(false)  // the shared segment
        var part = Array(repeating: -1, count: nodes.count + 1)
        var parts = 0
        for s in 0...nodes.count where !down[s] && part[s] < 0 {
            var stack = [s]
            part[s] = parts
            while let x = stack.popLast() {
                for y in adjacency[x] where !down[y] && part[y] < 0 { part[y] = parts; stack.append(y) }
            }
            parts += 1
        }
        let internetParts = lineDown ? [] : Set(internetNodes.filter { !down[$0] }.map { part[$0] })
        // the main partition: the most nodes (ties: the one with the internet)
        var sizes: [Int: Int] = [:]
        for i in nodes.indices where !down[i] { sizes[part[i], default: 0] += 1 }
        let main = sizes.max { a, b in
            if a.value != b.value { return a.value < b.value }
            let ai = internetParts.contains(a.key), bi = internetParts.contains(b.key)
            return ai != bi ? bi : a.key > b.key
        }?.key

        // Proxmox quorum per cluster
        var quorums: [Quorum] = []
        var quorate = Array(repeating: true, count: nodes.count)  // may run/manage HA guests
        var quoratePart: [String: Int] = [:]
        var clusters: [String] = []
        for n in nodes { if let c = n.cluster, !clusters.contains(c) { clusters.append(c) } }
        for c in clusters {
            let members = nodes.indices.filter { nodes[$0].cluster == c }
            var perPart: [Int: Int] = [:]
            for m in members where !down[m] { perPart[part[m], default: 0] += 1 }
            let best = perPart.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }
            let needed = members.count / 2 + 1
            let ok = (best?.value ?? 0) >= needed
            if ok, let b = best { quoratePart[c] = b.key }
            for m in members { quorate[m] = ok && part[m] == best?.key }
            quorums.append(Quorum(cluster: c, votes: members.count, alive: best?.value ?? 0, needed: needed, quorate: ok))
        }

        // where each guest runs afterwards (-1: not running)
        var placed = guestNode
        var stranded: [Stranded] = []
        var gpu: [Stranded] = []
        var ramUsed = Array(repeating: Int64(0), count: nodes.count)
        var cpuUsed = Array(repeating: 0, count: nodes.count)
        var groupOn: [String: Set<Int>] = [:]
        var displaced: [Int] = []
        for (g, guest) in guests.enumerated() {
            let n = guestNode[g]
            let fenced = n >= 0 && !down[n] && nodes[n].cluster != nil && !quorate[n] && guest.haGroup != nil
            if n < 0 || down[n] || fenced {
                placed[g] = -1
                if guest.haGroup != nil { displaced.append(g) }
                else {
                    let why = n < 0 ? "its node is not in the inventory" : "not in an HA group: down until \(guest.node) returns"
                    stranded.append(Stranded(guest: guest.name, node: guest.node, ram: guest.ram.bytes, reason: why))
                }
            } else {
                ramUsed[n] += guest.ram.bytes
                cpuUsed[n] += guest.vcpu
                if inSpreadGroup[g], let h = guest.haGroup { groupOn[h, default: []].insert(n) }
            }
        }
        var moved: [Move] = []
        let displacedSet = Set(displaced)
        for g in order where displacedSet.contains(g) {
            let guest = guests[g]
            let from = guestNode[g]
            let group = guest.haGroup!
            let cluster = from >= 0 ? nodes[from].cluster : nil
            guard let c = cluster, let qp = quoratePart[c] else {
                let why = cluster == nil ? "its node is in no Proxmox cluster" : "Proxmox cluster \(cluster!) has no quorum: HA cannot recover it"
                stranded.append(Stranded(guest: guest.name, node: guest.node, ram: guest.ram.bytes, reason: why))
                continue
            }
            let allowed = groupNodes[group] ?? []
            let spread = spreadGroups.contains(group)
            var target = -1
            var blocker = "no node of HA group \(group) survives"
            for t in allowed where !down[t] && part[t] == qp && nodes[t].cluster == c {
                if spread && groupOn[group, default: []].contains(t) {
                    blocker = "HA group \(group) keeps its members apart and every surviving node of it has one"
                    continue
                }
                let ramCap = (nodes[t].ram?.bytes ?? 0) - options.ramReserve
                let cpuCap = Int(Double(nodes[t].cpu?.threads ?? 0) * options.cpuRatio)
                if ramUsed[t] + guest.ram.bytes > ramCap { blocker = "no RAM headroom on the survivors of HA group \(group)"; continue }
                if cpuUsed[t] + guest.vcpu > cpuCap { blocker = "no CPU headroom on the survivors of HA group \(group)"; continue }
                target = t
                break
            }
            if target < 0 {
                stranded.append(Stranded(guest: guest.name, node: guest.node, ram: guest.ram.bytes, reason: blocker))
            } else {
                placed[g] = target
                ramUsed[target] += guest.ram.bytes
                cpuUsed[target] += guest.vcpu
                groupOn[group, default: []].insert(target)
                moved.append(Move(guest: guest.name, from: guest.node, to: nodes[target].name, ram: guest.ram.bytes))
            }
        }
        stranded.sort { $0.ram != $1.ram ? $0.ram > $1.ram : $0.guest < $1.guest }

        // GPU workloads
        let gpuUp = nodes.indices.contains { !down[$0] && !nodes[$0].gpus.isEmpty }
        for (g, guest) in guests.enumerated() where placed[g] < 0 && isGPU(guest) {
            let why = gpuUp ? "GPU nodes survive but the guest is not placed there (GPU passthrough is per node)"
                            : "no surviving node has a GPU"
            gpu.append(Stranded(guest: guest.name, node: guest.node, ram: guest.ram.bytes, reason: why))
        }

        // Kubernetes
        var plane: ControlPlane?
        if !masters.isEmpty {
            var perPart: [Int: Int] = [:]
            for m in masters where placed[m] >= 0 { perPart[part[placed[m]], default: 0] += 1 }
            let best = perPart.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }
            let needed = masters.count / 2 + 1
            let etcd = (best?.value ?? 0) >= needed
            let runningWorkers = workers.filter { placed[$0] >= 0 && part[placed[$0]] == best?.key }.count
            plane = ControlPlane(masters: masters.count, running: best?.value ?? 0, needed: needed, etcdQuorum: etcd,
                                 workers: workers.count, runningWorkers: runningWorkers,
                                 apiAvailable: etcd && runningWorkers > 0,
                                 mastersOn: masters.map { placed[$0] >= 0 ? nodes[placed[$0]].name : "-" })
        }
        let k8sPart: Int? = {
            guard let p = plane, p.apiAvailable else { return nil }
            var perPart: [Int: Int] = [:]
            for m in masters where placed[m] >= 0 { perPart[part[placed[m]], default: 0] += 1 }
            return perPart.max { $0.value < $1.value }?.key
        }()
        let internet = main.map { internetParts.contains($0) } ?? false

        // routing between VLANs: a router down or cut off routes nothing
        let unrouted: [Unrouted] = inventory.vlans.compactMap { vlan in
            guard let r = routerOf[vlan.id], down[r] || part[r] != main else { return nil }
            return Unrouted(vlan: vlan.id, name: vlan.name, router: nodes[r].name, cutOff: !down[r])
        }
        let unroutedIds = Set(unrouted.map(\.vlan))

        // services
        var losses: [ServiceLoss] = []
        for (i, s) in inventory.services.enumerated() {
            var reason: String?
            var where_: Int?
            if s.runsOn == "k8s" {
                if plane == nil { continue }
                if let p = plane, !p.etcdQuorum { reason = "Kubernetes etcd has no quorum (\(p.running)/\(p.masters) masters, \(p.needed) needed)" }
                else if let p = plane, p.runningWorkers == 0 { reason = "no Kubernetes worker runs" }
                where_ = k8sPart
            } else if let n = nodeIndex[s.runsOn] {
                if down[n] { reason = "\(s.runsOn) is down" } else { where_ = part[n] }
            } else if let g = guestIndex[s.runsOn] {
                if placed[g] < 0 { reason = "\(s.runsOn) is not running" } else { where_ = part[placed[g]] }
            }
            if reason == nil, publicVlans.contains(s.vlan), !internetNodes.isEmpty, let w = where_, !internetParts.contains(w) {
                reason = "public service without a path to the internet"
            }
            if reason == nil, !unroutedIds.isEmpty {
                // its consumers on other VLANs need its VLAN's router and theirs
                let cut = consumerVlans[i].filter { unroutedIds.contains(s.vlan) || unroutedIds.contains($0) }
                if !cut.isEmpty {
                    let zones = cut.compactMap { id in inventory.vlan(id: id)?.zone }
                    let routers = Set(unrouted.filter { $0.vlan == s.vlan || cut.contains($0.vlan) }
                        .map { $0.router + ($0.cutOff ? " cut off" : " down") }).sorted()
                    reason = "inter-VLAN routing lost (\(routers.joined(separator: ", "))): "
                        + "\(zones.joined(separator: ", ")) reach it across VLANs"
                }
            }
            if let r = reason {
                let budget = (100 - s.slo.percent) / 100 * 30 * 86400
                losses.append(ServiceLoss(service: s.name, tier: s.tier, slo: s.slo.percent, budgetSeconds: budget,
                                          reason: r, losesSLO: options.repairSeconds > budget))
            }
        }

        // impact: what an operator would mind most first
        var impact = 0
        var reasons: [String] = []
        for q in quorums where !q.quorate {
            impact += 1000
            reasons.append("Proxmox cluster \(q.cluster) loses quorum (\(q.alive)/\(q.votes) votes, \(q.needed) needed)")
        }
        if let p = plane, !p.etcdQuorum {
            impact += 500
            reasons.append("etcd loses quorum (\(p.running)/\(p.masters) masters, \(p.needed) needed)")
        } else if let p = plane, !p.apiAvailable {
            impact += 500
            reasons.append("no Kubernetes worker runs")
        }
        // routing between VLANs before the internet: it costs more services
        if !unrouted.isEmpty {
            impact += 300
            let routers = Set(unrouted.map(\.router)).sorted().joined(separator: ", ")
            let cut = losses.filter { $0.reason.hasPrefix("inter-VLAN routing lost") }.count
            reasons.append("inter-VLAN routing lost: \(routers) routed VLANs \(unrouted.map { String($0.vlan) }.joined(separator: ", "))"
                + (cut > 0 ? " (\(cut) services reached across VLANs)" : ""))
        }
        if !internet && !internetNodes.isEmpty {
            impact += 200
            reasons.append("no path to the internet")
        }
        let sloLost = losses.filter(\.losesSLO)
        for l in sloLost { impact += l.tier == 1 ? 100 : l.tier == 2 ? 50 : 10 }
        if !sloLost.isEmpty { reasons.append("\(sloLost.count) services lose their SLO") }
        impact += 20 * stranded.count + 30 * gpu.count
        if !stranded.isEmpty {
            let gib = stranded.reduce(Int64(0)) { $0 + $1.ram } >> 30
            reasons.append("\(stranded.count) guests down (\(gib) GiB RAM) with nowhere to go")
            impact += Int(gib)
        }
        if !gpu.isEmpty { reasons.append("\(gpu.count) GPU workloads have nowhere to go") }
        if !moved.isEmpty { reasons.append("\(moved.count) guests restarted elsewhere") }

        let isolated = nodes.indices.filter { !down[$0] && part[$0] != main }.map { nodes[$0].name }
        impact += 10 * isolated.count
        if !isolated.isEmpty { reasons.append("\(isolated.count) nodes cut off: \(isolated.joined(separator: ", "))") }
        return Report(unrouted: unrouted, failed: names, down: nodes.indices.filter { down[$0] }.map { nodes[$0].name },
                      isolated: isolated, proxmox: quorums, kubernetes: plane, moved: moved, stranded: stranded,
                      services: losses, gpu: gpu, internet: internet, impact: impact, reasons: reasons)
    }

    func isGPU(_ g: Inventory.Guest) -> Bool {
        g.tags.contains("gpu") || (g.role?.contains("gpu") ?? false)
    }

    /// Every single-node failure, worst first (impact, then name).
    public func nMinusOne() -> [Report] {
        inventory.nodes.compactMap { try? fail([$0.name]) }.sorted {
            $0.impact != $1.impact ? $0.impact > $1.impact : $0.failed[0] < $1.failed[0]
        }
    }
}
