/// Reads the `targets` and `ha_groups` sections: what playbooks and the
/// simulation act on comes from the inventory, never from built-in names.
extension Inventory {
    static let targetKeys = ["role", "kind", "tag"]

    /// `targets = { NAME = { role = "pve" | {...}, kind = ..., tag = ... } }`:
    /// the names are the inventory's own; each selection is checked.
    static func decodeTargets(_ top: FieldTable) -> [String: Target] {
        let at = top.path.appending("targets")
        guard let value = top.fields["targets"] else { return [:] }
        let entries: [(key: String, value: InventoryValue)]
        switch value {
        case .map(let m): entries = Array(m)
        case .list(let l) where l.isEmpty: entries = []
        default:
            top.log.error(at, "expected a table of named selections, got a \(value.typeName)")
            return [:]
        }
        var targets: [String: Target] = [:]
        for (name, selection) in entries {
            guard let t = FieldTable(selection, at: at.appending(InventoryText.visible(name)), log: top.log,
                                     allowed: targetKeys) else { continue }
            let target = Target(roles: oneOrMany(t, "role"), kinds: oneOrMany(t, "kind"), tags: oneOrMany(t, "tag"))
            if target.isEmpty { top.log.error(t.path, "a target needs role, kind or tag: an empty one picks no host") }
            targets[name] = target
        }
        return targets
    }

    /// A field written as one string or a list of strings.
    private static func oneOrMany(_ t: FieldTable, _ key: String) -> [String] {
        guard let v = t.fields[key] else { return [] }
        if case .string = v { return t.string(key, required: false).map { [$0] } ?? [] }
        return t.strings(key) ?? []
    }

    /// `ha_groups = { { name = "apps", nodes = { { node = "a", priority = 2 }, "b" } } }`:
    /// a member is a node name, or a table with its priority (default 0).
    static func decodeHAGroup(_ v: InventoryValue, _ path: FieldPath, _ log: DiagnosticLog) -> HAGroup? {
        guard let t = FieldTable(v, at: path, log: log, allowed: ["name", "nodes"]) else { return nil }
        let name = t.string("name")
        var members: [HAGroup.Member] = []
        for (mv, mp) in t.list("nodes") ?? [] {
            if case .string(let node) = mv { members.append(.init(node: node, priority: 0)); continue }
            guard let m = FieldTable(mv, at: mp, log: log, allowed: ["node", "priority"]) else { continue }
            guard let node = m.string("node") else { continue }
            members.append(.init(node: node, priority: m.integer("priority", required: false, in: 0...1000) ?? 0))
        }
        guard let name else { return nil }
        if members.isEmpty { log.error(path, "HA group '\(name)' lists no nodes") }
        return HAGroup(name: name, nodes: members)
    }
}

extension InventoryChecks {
    /// Each value a target selects by can pick a host: a kind that is no
    /// kind can never (an error); a role or tag no host has yet is a
    /// warning, since a misspelt one makes a playbook quietly do nothing
    /// ("k8s-bootstrap: nothing to do").
    func targetsSelectSomething() {
        let kinds = Inventory.Node.Kind.allCases.map(\.rawValue) + ["vm", "lxc"]
        let roles = Array(Set(inventory.nodes.compactMap(\.role) + inventory.guests.compactMap(\.role))).sorted()
        let tags = Array(Set(inventory.nodes.flatMap(\.tags) + inventory.guests.flatMap(\.tags))).sorted()
        for (name, target) in inventory.targets.sorted(by: { $0.key < $1.key }) {
            let at = FieldPath().appending("targets").appending(InventoryText.visible(name))
            for kind in target.kinds where !kinds.contains(kind) {
                log.error(at.appending("kind"), "'\(kind)' is not a kind\(Suggestion.didYouMean(kind, in: kinds))")
            }
            for role in target.roles where !roles.contains(role) {
                log.warning(at.appending("role"), "no node or guest has the role '\(role)'\(Suggestion.didYouMean(role, in: roles))")
            }
            for tag in target.tags where !tags.contains(tag) {
                log.warning(at.appending("tag"), "no node or guest has the tag '\(tag)'\(Suggestion.didYouMean(tag, in: tags))")
            }
        }
    }

    /// HA group members are nodes; once groups are declared, a guest's
    /// `ha_group` names one of them.
    func haGroupsKnown() {
        guard !inventory.haGroups.isEmpty else { return }
        let nodes = inventory.nodes.map(\.name)
        for (i, group) in inventory.haGroups.enumerated() {
            let at = FieldPath().appending("ha_groups").appending(index: i + 1).appending("nodes")
            for m in group.nodes where !nodes.contains(m.node) {
                log.error(at, "'\(m.node)' is not a node\(Suggestion.didYouMean(m.node, in: nodes))")
            }
        }
        let groups = inventory.haGroups.map(\.name)
        for (i, guest) in inventory.guests.enumerated() {
            guard let g = guest.haGroup, !groups.contains(g) else { continue }
            log.error(FieldPath().appending("guests").appending(index: i + 1).appending("ha_group"),
                      "'\(g)' is not one of ha_groups\(Suggestion.didYouMean(g, in: groups))")
        }
    }
}

extension Inventory {
    /// `policy.boundaries = { { from = "iot", to = "infra", expect = "deny", why = "..." } }`.
    static func decodeBoundaries(_ t: FieldTable, zones: [String]) -> [Boundary] {
        (t.list("boundaries", required: false) ?? []).compactMap { bv, bp in
            guard let b = FieldTable(bv, at: bp, log: t.log, allowed: ["from", "to", "expect", "why"]) else { return nil }
            let from = b.string("from"), to = b.string("to")
            let expect = b.choice("expect", Policy.Action.allCases.map(\.rawValue)).flatMap(Policy.Action.init(rawValue:))
            for (key, zone) in [("from", from), ("to", to)] {
                if let zone, !zones.contains(zone), zone != Policy.internet {
                    t.log.error(bp.appending(key), "unknown zone '\(zone)'\(Suggestion.didYouMean(zone, in: zones))")
                }
            }
            guard let from, let to, let expect else { return nil }
            return Boundary(from: from, to: to, expect: expect, why: b.string("why", required: false))
        }
    }
}
