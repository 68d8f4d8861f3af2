/// The checks that span sections: names and addresses unique, addresses in
/// their subnets, subnets apart, guests on known nodes, RAM not overcommitted,
/// services reachable from monitoring. Errors stop the load; warnings do not.
struct InventoryChecks {
    let inventory: Inventory
    let log: DiagnosticLog
    /// Every node and guest with where it sits, made once: several checks
    /// walk them all.
    private let machines: [(name: String, address: IPAddress, place: Place)]

    init(_ inventory: Inventory, log: DiagnosticLog) {
        self.inventory = inventory
        self.log = log
        machines = inventory.nodes.enumerated().map { ($0.element.name, $0.element.address, ("nodes", $0.offset)) }
            + inventory.guests.enumerated().map { ($0.element.name, $0.element.address, ("guests", $0.offset)) }
    }

    func run() {
        uniqueNames()
        uniqueAddresses()
        vlansApart()
        addressesInTheirSubnets()
        guestsOnKnownNodes()
        uplinksKnown()
        ramCommitted()
        servicesReachableFromMonitoring()
        servicesOnTheirVLANs()
        backupsWhereTheyLive()
        jumpHostsKnown()
        haGroupsKnown()
        targetsSelectSomething()
        dottedNamesInTheDomain()
        roadmapInOrder()
    }

    /// Each `jump` names a node or guest, and following jumps never comes
    /// back to where it started.
    func jumpHostsKnown() {
        var jumps: [String: String] = [:]
        for node in inventory.nodes { if let j = node.ssh?.jump { jumps[node.name] = j } }
        for guest in inventory.guests { if let j = guest.ssh?.jump { jumps[guest.name] = j } }
        guard !jumps.isEmpty || inventory.ssh?.jump != nil else { return }
        let names = machines.map(\.name)
        if let j = inventory.ssh?.jump, !names.contains(j) {
            log.error(FieldPath().appending("ssh").appending("jump"), "'\(j)' is not a node or guest\(Suggestion.didYouMean(j, in: names))")
        }
        for (name, _, place) in machines {
            guard let first = jumps[name] else { continue }
            let at = path(place).appending("ssh").appending("jump")
            guard names.contains(first) else {
                log.error(at, "'\(first)' is not a node or guest\(Suggestion.didYouMean(first, in: names))")
                continue
            }
            var seen: Set<String> = [name]
            var hop: String? = first
            while let h = hop {
                if seen.contains(h) { log.error(at, "jump hosts go round in a circle through '\(h)'"); break }
                seen.insert(h)
                hop = jumps[h]
            }
        }
    }

    /// A backup's target and copies name storage locations (once any are
    /// declared), and its tier has a recovery objective.
    func backupsWhereTheyLive() {
        let names = inventory.storage.locations.map(\.name)
        let tiers = Set(inventory.recovery.map(\.tier))
        for (i, backup) in inventory.backups.enumerated() {
            let at = path("backups", i)
            if !names.isEmpty {
                if !names.contains(backup.target) {
                    log.error(at.appending("target"), "'\(backup.target)' is not a storage location\(Suggestion.didYouMean(backup.target, in: names))")
                }
                for (j, copy) in backup.copies.enumerated() where !names.contains(copy) {
                    log.error(at.appending("copies").appending(index: j + 1),
                              "'\(copy)' is not a storage location\(Suggestion.didYouMean(copy, in: names))")
                }
            }
            if let tier = backup.tier, !tiers.contains(tier) {
                log.error(at.appending("tier"), "no recovery objective for tier \(tier) (recovery section)")
            }
        }
    }

    private func path(_ section: String, _ index: Int) -> FieldPath {
        FieldPath().appending(section).appending(index: index + 1)
    }

    /// Where a node or guest sits: "nodes"/"guests" and its index. The
    /// FieldPath is made only for a message (inventories can be large).
    private typealias Place = (section: String, index: Int)

    private func path(_ place: Place) -> FieldPath { path(place.section, place.index) }

    /// Nodes and guests share one namespace: both get DNS names.
    func uniqueNames() {
        var seen: [String: Place] = [:]
        for machine in machines {
            if let first = seen[machine.name] {
                log.error(path(machine.place).appending("name"), "duplicate name '\(machine.name)' (also \(path(first)))")
            } else {
                seen[machine.name] = machine.place
            }
        }
        var ids: [Int: Int] = [:], names: [String: Int] = [:]
        for (i, vlan) in inventory.vlans.enumerated() {
            if let first = ids[vlan.id] { log.error(path("vlans", i).appending("id"), "duplicate VLAN id \(vlan.id) (also vlans[\(first + 1)])") }
            if let first = names[vlan.name] { log.error(path("vlans", i).appending("name"), "duplicate VLAN name '\(vlan.name)' (also vlans[\(first + 1)])") }
            ids[vlan.id] = ids[vlan.id] ?? i
            names[vlan.name] = names[vlan.name] ?? i
        }
    }

    func uniqueAddresses() {
        var seen: [IPAddress: Place] = [:]
        for machine in machines {
            if let first = seen[machine.address] {
                log.error(path(machine.place).appending("address"), "duplicate address \(machine.address) (also \(path(first)))")
            } else {
                seen[machine.address] = machine.place
            }
        }
        // A gateway address belongs to the router: a guest holding one breaks routing.
        var gatewayOf: [IPAddress: Int] = [:]
        for vlan in inventory.vlans { gatewayOf[vlan.gateway] = gatewayOf[vlan.gateway] ?? vlan.id }
        for (i, guest) in inventory.guests.enumerated() {
            if let id = gatewayOf[guest.address] {
                log.error(path("guests", i).appending("address"), "\(guest.address) is the gateway of VLAN \(id)")
            }
        }
    }

    func vlansApart() {
        let vlans = inventory.vlans
        for i in vlans.indices {
            if !vlans[i].subnet.contains(vlans[i].gateway) {
                log.error(path("vlans", i).appending("gateway"),
                          "gateway \(vlans[i].gateway) is outside the subnet \(vlans[i].subnet)")
            }
            for j in vlans.indices where j > i && vlans[i].subnet.overlaps(vlans[j].subnet) {
                log.error(path("vlans", j).appending("subnet"),
                          "\(vlans[j].subnet) overlaps VLAN \(vlans[i].id)'s \(vlans[i].subnet)")
            }
        }
    }

    /// A guest's address is in its VLAN; a node's in one of its VLANs or the
    /// upstream network.
    func addressesInTheirSubnets() {
        let byId = Dictionary(inventory.vlans.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, guest) in inventory.guests.enumerated() {
            guard let vlan = byId[guest.vlan] else {
                log.error(path("guests", i).appending("vlan"), "unknown VLAN \(guest.vlan)")
                continue
            }
            if !vlan.subnet.contains(guest.address) {
                log.error(path("guests", i).appending("address"),
                          "\(guest.address) is outside VLAN \(vlan.id)'s subnet \(vlan.subnet)")
            }
        }
        for (i, node) in inventory.nodes.enumerated() {
            var subnets: [IPNetwork] = []
            for id in node.vlans {
                if let vlan = byId[id] { subnets.append(vlan.subnet) }
                else { log.error(path("nodes", i).appending("vlans"), "unknown VLAN \(id)") }
            }
            if let upstream = inventory.site.upstream { subnets.append(upstream) }
            if !subnets.isEmpty && !subnets.contains(where: { $0.contains(node.address) }) {
                log.error(path("nodes", i).appending("address"),
                          "\(node.address) is in none of the node's VLANs (\(node.vlans.map(String.init).joined(separator: ", "))) nor upstream")
            }
        }
    }

    func guestsOnKnownNodes() {
        let names = inventory.nodes.map(\.name)
        let known = Set(names)
        for (i, guest) in inventory.guests.enumerated() where !known.contains(guest.node) {
            log.error(path("guests", i).appending("node"),
                      "unknown node '\(guest.node)'\(Suggestion.didYouMean(guest.node, in: names))")
        }
    }

    /// Each uplink names a node or "internet": the failure simulation would
    /// pass over a misspelt one and treat the node as cut off.
    func uplinksKnown() {
        let names = inventory.nodes.map(\.name)
        let known = Set(names)
        for (i, node) in inventory.nodes.enumerated() {
            for (j, uplink) in node.uplinks.enumerated() where uplink != "internet" && !known.contains(uplink) {
                log.error(path("nodes", i).appending("uplinks").appending(index: j + 1),
                          "'\(uplink)' is not a node nor \"internet\"\(Suggestion.didYouMean(uplink, in: names + ["internet"]))")
            }
        }
    }

    func ramCommitted() {
        var committedOn: [String: Int64] = [:]
        for guest in inventory.guests { committedOn[guest.node, default: 0] += guest.ram.bytes }
        for (i, node) in inventory.nodes.enumerated() {
            guard let ram = node.ram else { continue }
            let committed = committedOn[node.name] ?? 0
            if committed > ram.bytes {
                log.warning(path("nodes", i).appending("ram"),
                            "guests commit \(ByteSize(bytes: committed).formatted(.iec)) of \(node.name)'s \(ram.formatted(.iec))")
            }
        }
    }

    /// The zone monitoring runs in: the VLAN of the service whose technology
    /// is Prometheus, whatever the lab calls it, else of a service named like
    /// "prometheus" or "monitoring".
    var monitoringZone: String? {
        let vlanOfService = (inventory.services.first { ($0.technology ?? "").lowercased().utf8.contains(word: "prometheus") }
            ?? inventory.services.first {
                $0.name.utf8.contains(word: "prometheus") || $0.name.utf8.contains(word: "monitoring")
            })?.vlan
        return inventory.vlans.first { $0.id == vlanOfService }?.zone
    }

    func servicesReachableFromMonitoring() {
        guard let from = monitoringZone else { return }
        let zones = Dictionary(inventory.vlans.map { ($0.id, $0.zone) }, uniquingKeysWith: { a, _ in a })
        for (i, service) in inventory.services.enumerated() {
            guard let to = zones[service.vlan], to != from else { continue }
            let port = service.probe.flatMap { Self.port(of: $0) }
            guard let decision = try? inventory.policy.decide(from: from, to: to, port: port), !decision.allowed else { continue }
            log.warning(path("services", i), "monitoring (\(from)) cannot reach \(service.name) in \(to): \(decision.reason)")
        }
    }

    /// The port a probe uses, when it names one or its kind implies one.
    static func port(of probe: Inventory.Probe) -> Int? {
        if let colon = probe.target.lastIndex(of: ":"), let p = Int(probe.target[probe.target.index(after: colon)...]) {
            return p
        }
        switch probe.kind {
        case "dns": return 53
        case "http": return probe.target.hasPrefix("https") ? 443 : 80
        default: return nil
        }
    }
}

extension String.UTF8View {
    /// Whether `word` occurs in the text. String.contains(String) would pull
    /// in the regex machinery of _StringProcessing, slow on a cold start.
    func contains(word: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        let text = Array(self)
        guard needle.count <= text.count else { return false }
        return (0...(text.count - needle.count)).contains { start in
            needle.indices.allSatisfy { text[start + $0] == needle[$0] }
        }
    }
}
