/// The model as an Ansible YAML inventory, for `ansible-inventory -i FILE`.
///
/// Every node and guest is a host, defined once under `all.hosts` with its
/// variables; groups only list their members:
/// - one group per kind (`hypervisor`, `workstation`, `gateway`, `switch`,
///   `router`, `vm`, `lxc`) and one per role (`proxmox`, `k8s_master`...);
/// - `zone_<zone>` per security zone, whose children are `vlan_<id>`, one per
///   VLAN, holding the nodes attached to it and the guests on it.
/// Group names are made valid Ansible identifiers (letters, digits, `_`).
/// Host variables: `ansible_host` (a node's management address, a guest's
/// address) first, then kind, role, cluster, vendor, model, os, cpu_model,
/// cores, threads, ram_bytes, storage_bytes, gpus, vlans, zone, host_tags
/// (`tags` is reserved in Ansible) for nodes; kind, node, role, ha_group,
/// vcpu, ram_bytes, disk_bytes, vlan, zone, host_tags for guests. `all` has
/// three group variables: site, domain and `labsh_overlay` (the site, VLANs
/// and policy, which Ansible has no place for, so that an import of this file
/// gives back the same model). Output is sorted, so the same model gives the
/// same text.
public enum AnsibleExport {
    public static func yaml(_ inventory: Inventory) -> String {
        var hostVars: [String: [(String, Scalar)]] = [:]
        var members: [String: Set<String>] = [:]  // group -> hosts
        // A group named like a host would be ambiguous in patterns.
        let hostNames = Set(inventory.nodes.map(\.name) + inventory.guests.map(\.name))
        func name(_ raw: String) -> String {
            let n = groupName(raw)
            return hostNames.contains(n) || n == "all" || n == "ungrouped" ? n + "_hosts" : n
        }
        func add(_ host: String, to group: String) { members[name(group), default: []].insert(host) }

        func zone(of address: IPAddress) -> String? {
            inventory.vlans.first { $0.subnet.contains(address) }?.zone
        }

        for n in inventory.nodes {
            var v: [(String, Scalar)] = [("kind", .text(n.kind.rawValue))]
            if let role = n.role { v.append(("role", .text(role))) }
            if let c = n.cluster { v.append(("cluster", .text(c))) }
            if let s = n.vendor { v.append(("vendor", .text(s))) }
            if let s = n.model { v.append(("model", .text(s))) }
            if let s = n.os { v.append(("os", .text(s))) }
            if let cpu = n.cpu {
                v.append(("cpu_model", .text(cpu.model)))
                v.append(("cores", .int(Int64(cpu.cores))))
                v.append(("threads", .int(Int64(cpu.threads))))
            }
            if let ram = n.ram { v.append(("ram_bytes", .int(ram.bytes))) }
            if !n.disks.isEmpty { v.append(("storage_bytes", .int(n.storage.bytes))) }
            if !n.gpus.isEmpty { v.append(("gpus", .texts(n.gpus.map(\.model)))) }
            if !n.vlans.isEmpty { v.append(("vlans", .ints(n.vlans.map { Int64($0) }))) }
            if let z = zone(of: n.address) { v.append(("zone", .text(z))) }
            if !n.tags.isEmpty { v.append(("host_tags", .texts(n.tags))) }
            hostVars[n.name] = [("ansible_host", .text(n.address.description))] + v.sorted { $0.0 < $1.0 }
            add(n.name, to: n.kind.rawValue)
            if let role = n.role { add(n.name, to: role) }
            for id in n.vlans { add(n.name, to: "vlan_\(id)") }
        }
        for g in inventory.guests {
            var v: [(String, Scalar)] = [("kind", .text(g.kind)), ("node", .text(g.node)), ("vcpu", .int(Int64(g.vcpu))),
                                         ("ram_bytes", .int(g.ram.bytes)), ("disk_bytes", .int(g.disk.bytes)),
                                         ("vlan", .int(Int64(g.vlan)))]
            if let role = g.role { v.append(("role", .text(role))) }
            if let ha = g.haGroup { v.append(("ha_group", .text(ha))) }
            if let z = inventory.vlans.first(where: { $0.id == g.vlan })?.zone ?? zone(of: g.address) {
                v.append(("zone", .text(z)))
            }
            if !g.tags.isEmpty { v.append(("host_tags", .texts(g.tags))) }
            hostVars[g.name] = [("ansible_host", .text(g.address.description))] + v.sorted { $0.0 < $1.0 }
            add(g.name, to: g.kind)
            if let role = g.role { add(g.name, to: role) }
            add(g.name, to: "vlan_\(g.vlan)")
        }
        for vlan in inventory.vlans where members[name("vlan_\(vlan.id)")] == nil { members[name("vlan_\(vlan.id)")] = [] }

        // VLAN groups live inside their zone's group.
        var zones: [String: [String]] = [:]
        for vlan in inventory.vlans.sorted(by: { $0.id < $1.id }) {
            zones[name("zone_" + vlan.zone), default: []].append(name("vlan_\(vlan.id)"))
        }
        let nested = Set(zones.values.joined())

        var out = "# Ansible inventory of site '\(YAML.comment(inventory.site.name))' (\(YAML.comment(inventory.site.domain))), written by labsh.\n"
        out += "# Groups: one per kind and role; zone_<zone> holds vlan_<id> groups.\n"
        out += "all:\n"
        out += "  vars:\n"
        out += "    domain: \(Scalar.text(inventory.site.domain).yaml)\n"
        out += block("labsh_overlay", AnsibleInventory.baseSections(of: inventory), indent: "    ")
        out += "    site: \(Scalar.text(inventory.site.name).yaml)\n"
        out += "  hosts:\n"
        for host in hostVars.keys.sorted() {
            out += "    \(key(host)):\n"
            for (k, v) in hostVars[host]! { out += "      \(key(k)): \(v.yaml)\n" }
        }
        out += "  children:\n"
        func group(_ name: String, indent: String) -> String {
            var text = "\(indent)\(key(name)):"
            let hosts = (members[name] ?? []).sorted()
            if hosts.isEmpty { return text + " {}\n" }
            text += "\n\(indent)  hosts:\n"
            for h in hosts { text += "\(indent)    \(key(h)):\n" }
            return text
        }
        let topLevel = Set(members.keys).subtracting(nested).union(zones.keys)
        for top in topLevel.sorted() {
            if let vlans = zones[top] {
                out += "    \(key(top)):\n      children:\n"
                for vlan in vlans { out += group(vlan, indent: "        ") }
            } else {
                out += group(top, indent: "    ")
            }
        }
        return out
    }

    /// A valid Ansible group name: letters, digits and `_`, not starting
    /// with a digit ("k8s-master" → "k8s_master").
    public static func groupName(_ text: String) -> String {
        var name = String(text.map { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" ? $0 : "_" })
        if name.isEmpty || name.first!.isNumber { name = "_" + name }
        return name
    }

    /// A mapping key: plain when that reads back as the same text.
    static func key(_ text: String) -> String { Scalar.text(text).yaml }

    enum Scalar {
        case text(String)
        case int(Int64)
        case texts([String])
        case ints([Int64])

        var yaml: String {
            switch self {
            case .text(let s): return Self.quote(s)
            case .int(let i): return String(i)
            case .texts(let items): return "[" + items.map(Self.quote).joined(separator: ", ") + "]"
            case .ints(let items): return "[" + items.map(String.init).joined(separator: ", ") + "]"
            }
        }

        /// Words YAML 1.1 or 1.2 would read as something other than text.
        static let reserved: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]

        /// Plain if it starts with a letter and holds only letters, digits,
        /// spaces and `_ . - / + ( )` (never a number, null or boolean then);
        /// double-quoted otherwise. Text holding a brace is also tagged
        /// `!unsafe`: Ansible expands `{{ }}` and `{% %}` in inventory
        /// variables when a play uses them, and inventory text is data.
        static func quote(_ s: String) -> String {
            let safe = s.unicodeScalars.allSatisfy { c in
                c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
                              || " _.-/+()".unicodeScalars.contains(c))
            }
            if safe, let f = s.unicodeScalars.first, ("a"..."z").contains(f) || ("A"..."Z").contains(f),
               s.last != " ", !reserved.contains(s.lowercased()) {
                return s
            }
            return s.unicodeScalars.contains { $0 == "{" || $0 == "}" } ? "!unsafe " + YAML.quote(s) : YAML.quote(s)
        }
    }
}

extension AnsibleExport {
    /// What Ansible has no place for (site, VLANs, policy, targets, HA groups), as
    /// the `labsh.yml` overlay an import reads beside the inventory: with it,
    /// `gen ansible` → import → `gen ansible` gives the same text.
    public static func overlay(_ inventory: Inventory) -> String {
        guard case .map(let sections) = AnsibleInventory.baseSections(of: inventory) else { return "" }
        var out = "# labsh overlay of site '\(YAML.comment(inventory.site.name))', written by labsh: what Ansible\n"
        out += "# inventories have no place for. Read with the inventory beside it.\n"
        for key in ["site", "vlans", "policy", "targets", "ha_groups"] {
            guard let value = sections[key] else { continue }
            out += block(key, value, indent: "")
        }
        return out
    }

    /// `key: value` in block style, nested values indented by two.
    static func block(_ key: String, _ value: InventoryValue, indent: String) -> String {
        switch value {
        case .map(let m) where !m.isEmpty:
            return "\(indent)\(Self.key(key)):\n" + m.sorted { $0.key < $1.key }.map { block($0.key, $0.value, indent: indent + "  ") }.joined()
        case .list(let items) where !items.isEmpty:
            return "\(indent)\(Self.key(key)):\n" + items.map { item(of: $0, indent: indent + "  ") }.joined()
        default:
            return "\(indent)\(Self.key(key)): \(scalar(value))\n"
        }
    }

    static func item(of value: InventoryValue, indent: String) -> String {
        guard case .map(let m) = value, !m.isEmpty else { return "\(indent)- \(scalar(value))\n" }
        let lines = m.sorted { $0.key < $1.key }.map { block($0.key, $0.value, indent: indent + "  ") }.joined()
        return indent + "- " + lines.dropFirst(indent.count + 2)
    }

    static func scalar(_ value: InventoryValue) -> String {
        switch value {
        case .string(let s): return Scalar.quote(s)
        case .integer(let i): return String(i)
        case .number(let d): return String(d)
        case .boolean(let b): return b ? "true" : "false"
        case .list: return "[]"
        case .map: return "{}"
        }
    }
}
