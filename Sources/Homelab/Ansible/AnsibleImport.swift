/// An Ansible YAML inventory, read as Ansible reads it (the `yaml` inventory
/// plugin of ansible-core): top-level keys are groups; a group has `hosts`
/// (a mapping of host patterns to their variables), `vars` and `children`
/// (groups defined in place, merged when a group appears twice). Host
/// patterns expand ranges: `pve[1:3]`, `node[01:10]` (zero padded),
/// `rack[a:c]`, `web[1:9:2]`, and `host:2222` sets ansible_port.
///
/// A host's variables are Ansible's: `all`'s, then each of its groups' by
/// depth (parents before children), `ansible_group_priority` and name, the
/// later replacing the earlier, then the host's own.
public struct AnsibleInventory: Sendable {
    public struct Host: Sendable {
        public var name: String
        /// Variables set on the host itself; a later definition of the same
        /// host replaces a variable of the same name.
        public var ownVars: [String: YAMLValue]
        /// What Ansible uses: inherited from the groups, then the host's own.
        public var vars: [String: YAMLValue]
        /// Every group the host is in, directly or through children, sorted,
        /// without "all" (Ansible's `group_names`).
        public var groups: [String]
        /// The line of the host's first mention.
        public var line: Int
    }

    public struct Group: Sendable {
        public var name: String
        /// Hosts listed in this group itself, in order of first mention.
        public var hosts: [String]
        /// Child groups, in order of first mention.
        public var children: [String]
        public var vars: [String: YAMLValue]
        public var priority: Int
        /// Longest path from `all` (all is 0, its children 1).
        public var depth: Int
        /// The line of the group's first mention (nil for the implicit groups).
        public var line: Int?
    }

    /// Hosts in order of first mention.
    public var hosts: [Host]
    /// Groups in order of first mention, `all` and `ungrouped` first.
    public var groups: [Group]
    /// What Ansible would warn about (keys it skips).
    public var warnings: [String]

    public func host(_ name: String) -> Host? { hosts.first { $0.name == name } }
    public func group(_ name: String) -> Group? { groups.first { $0.name == name } }

    /// Reads a YAML inventory; errors name the line.
    public static func parse(_ text: String) throws -> AnsibleInventory {
        try parse(text, format: .yaml)
    }

    /// The two formats of Ansible's built-in inventory plugins.
    public enum Format: String, Sendable { case yaml, ini }

    /// Reads an inventory in `format` (nil: as Ansible does, YAML when it
    /// reads as a YAML inventory, else INI), then adds the variables of
    /// `group_vars/` and `host_vars/` files (`groupVars[group]`,
    /// `hostVars[host]`), which replace those of the inventory file itself.
    public static func parse(_ text: String, format: Format?, groupVars: [String: [String: YAMLValue]] = [:],
                             hostVars: [String: [String: YAMLValue]] = [:]) throws -> AnsibleInventory {
        var builder = AnsibleBuilder()
        switch format {
        case .yaml?: try builder.readYAML(text)
        case .ini?: try builder.readINI(text)
        case nil:
            do { try builder.readYAML(text) } catch {
                builder = AnsibleBuilder()
                do { try builder.readINI(text) } catch let ini as AnsibleError {
                    // Neither: the INI error is the useful one unless the text looks like YAML.
                    if AnsibleBuilder.looksLikeYAML(text) { throw error }
                    throw ini
                }
            }
        }
        for (group, vars) in groupVars where builder.groups[group] != nil {
            for (k, v) in vars { builder.setGroupVar(group, k, v, line: 0) }
        }
        for (host, vars) in hostVars where builder.hosts[host] != nil {
            builder.hosts[host]!.vars.merge(vars) { _, new in new }
        }
        return builder.finish()
    }

    /// Expands a host pattern as Ansible does: ranges `[1:3]`, `[01:10]`,
    /// `[a:c]`, `[0:10:5]`, and a trailing `:port`.
    public static func expand(_ pattern: String) throws -> (hosts: [String], port: Int?) {
        var name = pattern
        var port: Int?
        if let c = pattern.lastIndex(of: ":"), !pattern[..<c].isEmpty,
           let p = Int(pattern[pattern.index(after: c)...]), pattern[pattern.index(after: c)...].allSatisfy(\.isASCII) {
            // "db1:2222" or "web[1:3]:2222"; "pve[1:3]" has no port (its colon
            // is inside the range), nor has an IPv6 address.
            var depth = 0, outside = false
            for ch in pattern[..<c] {
                if ch == "[" { depth += 1 } else if ch == "]" { depth -= 1 } else if ch == ":" && depth == 0 { outside = true }
            }
            if depth == 0 && !outside {
                name = String(pattern[..<c])
                port = p
            }
        }
        var out: [String] = []
        try expandRanges(name, into: &out)
        return (out, port)
    }

    static let rangeLimit = 100_000

    private static func expandRanges(_ name: String, into out: inout [String]) throws {
        guard let open = name.firstIndex(of: "["), let close = name.firstIndex(of: "]"),
              let colonIndex = name.firstIndex(of: ":"), open < colonIndex, colonIndex < close else {
            out.append(name)
            return
        }
        let head = name[..<open], tail = name[name.index(after: close)...]
        let body = name[name.index(after: open)..<close]
        let bounds = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 || bounds.count == 3 else {
            throw AnsibleError(line: nil, message: "host range [\(body)] must be begin:end or begin:end:step")
        }
        let begin = bounds[0].isEmpty ? "0" : bounds[0], end = bounds[1]
        guard !end.isEmpty else { throw AnsibleError(line: nil, message: "host range [\(body)] must specify an end value") }
        var step = 1
        if bounds.count == 3 {
            guard let s = Int(bounds[2]), s > 0 else {
                throw AnsibleError(line: nil, message: "host range [\(body)]: the step must be a positive integer")
            }
            step = s
        }
        var items: [String] = []
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if begin.count == 1, end.count == 1, let b = letters.firstIndex(of: begin.first!), let e = letters.firstIndex(of: end.first!) {
            guard b <= e else { throw AnsibleError(line: nil, message: "host range [\(body)] must have begin <= end") }
            items = stride(from: b, through: e, by: step).map { String(letters[$0]) }
        } else {
            guard let b = Int(begin), let e = Int(end), b >= 0, e >= 0 else {
                throw AnsibleError(line: nil, message: "host range [\(body)] is neither numeric (1:3, 01:10) nor alphabetic (a:c)")
            }
            guard b <= e else { throw AnsibleError(line: nil, message: "host range [\(body)] must have begin <= end") }
            guard (e - b) / step < rangeLimit else {
                throw AnsibleError(line: nil, message: "host range [\(body)] is larger than \(rangeLimit) hosts")
            }
            let width = begin.count > 1 && begin.hasPrefix("0") ? begin.count : 0
            if width > 0 && end.count != width {
                throw AnsibleError(line: nil, message: "host range [\(body)] must specify equal-length begin and end formats")
            }
            items = stride(from: b, through: e, by: step).map { n in
                let digits = String(n)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
        }
        for item in items {
            try expandRanges(head + item + tail, into: &out)
            if out.count > rangeLimit {
                throw AnsibleError(line: nil, message: "host pattern '\(name)' expands to more than \(rangeLimit) hosts")
            }
        }
    }
}

/// A malformed inventory: the line (when known) and what is wrong.
public struct AnsibleError: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int?
    public let message: String

    public init(line: Int?, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }

    /// "FILE:LINE: message", as Lua and compilers write it.
    public func described(file: String) -> String {
        Self.shown(line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)")
    }

    /// Text from an inventory file, or Ansible's words about one, as it may
    /// be printed: control characters escaped line by line, so that a name
    /// written with terminal escapes cannot act on the reader's terminal.
    public static func shown(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { InventoryText.visible(String($0)) }.joined(separator: "\n")
    }
}

// ---- Reading the groups --------------------------------------------------------

struct AnsibleBuilder {
    struct GroupState {
        var name: String
        var hosts: [String] = []
        var children: [String] = []
        var parents: [String] = []
        var vars: [String: YAMLValue] = [:]
        var priority = 1
        var line: Int?
    }
    struct HostState {
        var name: String
        var vars: [String: YAMLValue] = [:]
        var direct: [String] = []
        var line: Int
    }

    var groups: [String: GroupState] = [:]
    var groupOrder: [String] = []
    var hosts: [String: HostState] = [:]
    var hostOrder: [String] = []
    var warnings: [String] = []

    init() {
        addGroup("all", line: nil)
        addGroup("ungrouped", line: nil)
        groups["all"]!.children = ["ungrouped"]
        groups["ungrouped"]!.parents = ["all"]
    }

    mutating func addGroup(_ name: String, line: Int?) {
        if groups[name] == nil {
            groups[name] = GroupState(name: name, line: line)
            groupOrder.append(name)
        } else if groups[name]!.line == nil {
            groups[name]!.line = line
        }
    }

    mutating func readYAML(_ text: String) throws {
        let root: YAMLNode
        do { root = try YAMLSubset.parse(text, warnings: &warnings) } catch let e as YAMLError {
            throw AnsibleError(line: e.line, message: e.message)
        }
        try read(root)
    }

    /// A first significant line of `name:` or `name: value` reads as YAML,
    /// `[group]`, `host` or `host var=value` as INI.
    static func looksLikeYAML(_ text: String) -> Bool {
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || line == "---" { continue }
            return !line.hasPrefix("[") && !line.contains("=") && (line.hasSuffix(":") || line.contains(": "))
        }
        return false
    }

    mutating func read(_ root: YAMLNode) throws {
        if root.isNull { throw AnsibleError(line: root.line, message: "the inventory is empty") }
        guard let entries = root.entries else {
            throw AnsibleError(line: root.line, message: "an inventory is a mapping of groups (like 'all:'), not a \(root.value.typeName)")
        }
        if entries.isEmpty { throw AnsibleError(line: root.line, message: "the inventory is empty") }
        if let plugin = entries.first(where: { $0.key == "plugin" }), !plugin.value.isNull {
            throw AnsibleError(line: plugin.line, message: "this is an inventory plugin's configuration ('plugin:'), not a YAML inventory")
        }
        for entry in entries { _ = try readGroup(entry.key, entry.value, line: entry.line) }
    }

    /// One group definition (Ansible's _parse_group).
    mutating func readGroup(_ name: String, _ node: YAMLNode, line: Int) throws -> String? {
        if name.isEmpty { throw AnsibleError(line: line, message: "a group name is empty") }
        guard node.isNull || node.entries != nil else {
            warnings.append("line \(line): skipping '\(name)': a group is a mapping of hosts, vars and children, not a \(node.value.typeName)")
            return nil
        }
        addGroup(name, line: line)
        for entry in node.entries ?? [] {
            var section = entry.value
            let known = ["hosts", "vars", "children"].contains(entry.key)
            if known, case .scalar(.string(let s)) = section.content {  // "hosts: pve1" is {pve1: null}
                section = YAMLNode(.map([YAMLEntry(key: s, value: YAMLNode(.scalar(.null), line: entry.line), line: entry.line)]),
                                   line: entry.line)
            }
            if section.isNull { continue }
            guard let items = section.entries else {
                if known {
                    throw AnsibleError(line: entry.line, message: "'\(entry.key)' of group '\(name)' must be a mapping, not a \(section.value.typeName)"
                                       + (entry.key == "hosts" ? " (write each host as 'name:' on its own line)" : ""))
                }
                warnings.append("line \(entry.line): skipping key '\(entry.key)' in group '\(name)': it is not a mapping")
                continue
            }
            switch entry.key {
            case "vars":
                for v in items { setGroupVar(name, v.key, v.value.value, line: v.line) }
            case "children":
                for child in items {
                    guard let childName = try readGroup(child.key, child.value, line: child.line) else { continue }
                    try addChild(childName, to: name, line: child.line)
                }
            case "hosts":
                for h in items {
                    let expanded: (hosts: [String], port: Int?)
                    do { expanded = try AnsibleInventory.expand(h.key) } catch let e as AnsibleError {
                        throw AnsibleError(line: h.line, message: "host pattern '\(h.key)': \(e.message)")
                    }
                    var vars: [YAMLEntry] = []
                    if !h.value.isNull {
                        guard let v = h.value.entries else {
                            throw AnsibleError(line: h.line, message: "the variables of host '\(h.key)' must be a mapping, not a \(h.value.value.typeName)")
                        }
                        vars = v
                    }
                    for host in expanded.hosts {
                        if host.isEmpty { throw AnsibleError(line: h.line, message: "a host name is empty") }
                        addHost(host, to: name, line: h.line)
                        if let port = expanded.port { hosts[host]!.vars["ansible_port"] = .int(Int64(port)) }
                        for v in vars { hosts[host]!.vars[v.key] = v.value.value }
                    }
                }
            default:
                warnings.append("line \(entry.line): skipping unexpected key '\(entry.key)' in group '\(name)' (only hosts, vars and children are valid)")
            }
        }
        return name
    }

    mutating func setGroupVar(_ group: String, _ key: String, _ value: YAMLValue, line: Int) {
        if key == "ansible_group_priority" {
            switch value {
            case .int(let p): groups[group]!.priority = Int(p)
            case .string(let s) where Int(s) != nil: groups[group]!.priority = Int(s)!
            default: warnings.append("line \(line): ansible_group_priority of '\(group)' is not an integer")
            }
            return
        }
        groups[group]!.vars[key] = value
    }

    mutating func addHost(_ host: String, to group: String, line: Int) {
        if hosts[host] == nil {
            hosts[host] = HostState(name: host, line: line)
            hostOrder.append(host)
        }
        if !hosts[host]!.direct.contains(group) { hosts[host]!.direct.append(group) }
        if !groups[group]!.hosts.contains(host) { groups[group]!.hosts.append(host) }
    }

    mutating func addChild(_ child: String, to parent: String, line: Int) throws {
        if child == "all" {
            throw AnsibleError(line: line, message: "group 'all' cannot be a child of '\(parent)': every group is inside all")
        }
        if child == parent {
            throw AnsibleError(line: line, message: "group '\(child)' cannot be a child of itself")
        }
        if ancestors(of: parent).contains(child) {
            throw AnsibleError(line: line, message: "adding group '\(child)' as a child of '\(parent)' creates a loop")
        }
        if !groups[parent]!.children.contains(child) { groups[parent]!.children.append(child) }
        if !groups[child]!.parents.contains(parent) { groups[child]!.parents.append(parent) }
    }

    func ancestors(of group: String) -> Set<String> {
        var seen = Set<String>()
        var stack = [group]
        while let g = stack.popLast() {
            for p in groups[g]?.parents ?? [] where seen.insert(p).inserted { stack.append(p) }
        }
        return seen
    }

    mutating func finish() -> AnsibleInventory {
        // Every group hangs under all (reconcile_inventory).
        for name in groupOrder where name != "all" && groups[name]!.parents.isEmpty {
            groups["all"]!.children.append(name)
            groups[name]!.parents.append("all")
        }
        // Depth: the longest path from all.
        var depth: [String: Int] = ["all": 0]
        func depthOf(_ g: String) -> Int {
            if let d = depth[g] { return d }
            let d = (groups[g]!.parents.map { depthOf($0) }.max() ?? -1) + 1
            depth[g] = d
            return d
        }
        // Hosts in no group but all are in ungrouped.
        var memberships: [String: Set<String>] = [:]
        for name in hostOrder {
            var set = Set(hosts[name]!.direct)
            for g in hosts[name]!.direct { set.formUnion(ancestors(of: g)) }
            set.insert("all")
            if set.isSubset(of: ["all", "ungrouped"]) {
                set.insert("ungrouped")
                if !groups["ungrouped"]!.hosts.contains(name) { groups["ungrouped"]!.hosts.append(name) }
            } else if set.contains("ungrouped") {
                set.remove("ungrouped")
                groups["ungrouped"]!.hosts.removeAll { $0 == name }
            }
            memberships[name] = set
        }
        let outGroups = groupOrder.map { name -> AnsibleInventory.Group in
            let g = groups[name]!
            return AnsibleInventory.Group(name: name, hosts: g.hosts, children: g.children, vars: g.vars,
                                          priority: g.priority, depth: depthOf(name), line: g.line)
        }
        let outHosts = hostOrder.map { name -> AnsibleInventory.Host in
            let h = hosts[name]!
            let member = memberships[name]!
            let ordered = member.sorted { a, b in
                let ga = groups[a]!, gb = groups[b]!
                return (depthOf(a), ga.priority, a) < (depthOf(b), gb.priority, b)
            }
            var vars: [String: YAMLValue] = [:]
            for g in ordered { vars.merge(groups[g]!.vars) { _, new in new } }
            vars.merge(h.vars) { _, new in new }
            return AnsibleInventory.Host(name: name, ownVars: h.vars, vars: vars,
                                         groups: member.subtracting(["all"]).sorted(), line: h.line)
        }
        return AnsibleInventory(hosts: outHosts, groups: outGroups, warnings: warnings)
    }
}

// ---- Into an inventory table -----------------------------------------------------

extension AnsibleInventory {
    /// The inventory table these hosts make with the site, VLANs and policy
    /// of `base` (an inventory table, or `baseSections(of:)`): the import of
    /// `labshInventory`, with `base` as its overlay.
    public func inventoryValue(base: InventoryValue) throws -> InventoryValue {
        guard case .map(let b) = base else {
            throw AnsibleError(line: nil, message: "the base inventory must be a table with site, vlans and policy")
        }
        var overlay: [String: YAMLValue] = [:]
        for key in ["site", "vlans", "policy"] {
            guard let v = b[key] else {
                throw AnsibleError(line: nil, message: "the base inventory has no '\(key)' (Ansible inventories carry no \(key))")
            }
            overlay[key] = Self.yamlValue(v)
        }
        return try labshInventory(AnsibleImportOptions(overlay: .map(overlay), overlayName: "the base inventory")).inventory
    }

    static func yamlValue(_ v: InventoryValue) -> YAMLValue {
        switch v {
        case .string(let s): return .string(s)
        case .integer(let i): return .int(i)
        case .number(let d): return .float(d)
        case .boolean(let b): return .bool(b)
        case .list(let items): return .list(items.map(yamlValue))
        case .map(let m):
            var out: [String: YAMLValue] = [:]
            for (k, v) in m { out[k] = yamlValue(v) }
            return .map(out)
        }
    }

    /// The sections of a validated inventory that an Ansible import keeps:
    /// site, vlans and policy, written as an inventory file writes them.
    public static func baseSections(of inventory: Inventory) -> InventoryValue {
        var site: InventoryFields = ["name": .string(inventory.site.name), "domain": .string(inventory.site.domain),
                                              "timezone": .string(inventory.site.timezone)]
        if let up = inventory.site.upstream { site["upstream"] = .string(up.description) }
        let vlans = inventory.vlans.map { v -> InventoryValue in
            var m: InventoryFields = ["id": .integer(Int64(v.id)), "name": .string(v.name),
                                               "subnet": .string(v.subnet.description), "gateway": .string(v.gateway.description),
                                               "zone": .string(v.zone), "trust": .string(v.trust)]
            if let p = v.purpose { m["purpose"] = .string(p) }
            if v.isPublic { m["public"] = .boolean(true) }
            return .map(m)
        }
        let rules = inventory.policy.rules.map { r -> InventoryValue in
            var m: InventoryFields = ["from": .string(r.from.joined(separator: ",")), "to": .string(r.to.joined(separator: ",")),
                                               "action": .string(r.action.rawValue)]
            if let ports = r.ports {
                m["ports"] = .list(ports.map { $0.lower == $0.upper ? .integer(Int64($0.lower)) : .string($0.description) })
            }
            if r.proto != .any { m["proto"] = .string(r.proto.rawValue) }
            if let note = r.note { m["note"] = .string(note) }
            return .map(m)
        }
        var policy: InventoryFields = ["default": .string(inventory.policyDefault.rawValue), "rules": .list(rules)]
        if !inventory.boundaries.isEmpty {
            policy["boundaries"] = .list(inventory.boundaries.map { b in
                var m: InventoryFields = ["from": .string(b.from), "to": .string(b.to), "expect": .string(b.expect.rawValue)]
                if let why = b.why { m["why"] = .string(why) }
                return .map(m)
            })
        }
        var sections: InventoryFields = ["site": .map(site), "vlans": .list(vlans), "policy": .map(policy)]
        // What playbooks and the simulation act on: kept through gen ansible and back.
        if !inventory.targets.isEmpty {
            sections["targets"] = .map(InventoryFields(inventory.targets.mapValues { t -> InventoryValue in
                var m = InventoryFields()
                for (key, values) in [("role", t.roles), ("kind", t.kinds), ("tag", t.tags)] where !values.isEmpty {
                    m[key] = .list(values.map { .string($0) })
                }
                return .map(m)
            }))
        }
        if !inventory.haGroups.isEmpty {
            sections["ha_groups"] = .list(inventory.haGroups.map { g -> InventoryValue in
                let members = g.nodes.map { m -> InventoryValue in
                    .map(["node": .string(m.node), "priority": .integer(Int64(m.priority))])
                }
                return .map(["name": .string(g.name), "nodes": .list(members)])
            })
        }
        return .map(sections)
    }

    /// Group-name words that tell a node's kind.
    static let kindWords: [String: Inventory.Node.Kind] = [
        "hypervisor": .hypervisor, "hypervisors": .hypervisor, "proxmox": .hypervisor, "pve": .hypervisor,
        "kvm": .hypervisor, "esxi": .hypervisor, "xen": .hypervisor, "hyperv": .hypervisor,
        "workstation": .workstation, "workstations": .workstation, "desktop": .workstation, "desktops": .workstation,
        "gateway": .gateway, "gateways": .gateway, "openwrt": .gateway, "firewall": .gateway, "firewalls": .gateway,
        "opnsense": .gateway, "pfsense": .gateway,
        "switch": .switch, "switches": .switch,
        "router": .router, "routers": .router,
    ]
}

// ---- What ansible-inventory --list says ------------------------------------------

extension AnsibleInventory {
    /// The JSON of `ansible-inventory -i FILE --list`: groups with `hosts` and
    /// `children`, and `_meta.hostvars`, each host's variables as Ansible
    /// computed them (groups', group_vars/, host_vars/ and its own, merged).
    /// Vault-encrypted values stay `{__ansible_vault: ciphertext}`.
    public static func fromList(_ list: YAMLValue) throws -> AnsibleInventory {
        guard case .map(let top) = list else {
            throw AnsibleError(line: nil, message: "ansible-inventory --list gave a \(list.typeName), not a mapping of groups")
        }
        var builder = AnsibleBuilder()
        var hostvars: [String: YAMLValue] = [:]
        if case .map(let meta)? = top["_meta"], case .map(let hv)? = meta["hostvars"] { hostvars = hv }
        // Groups first (children may name groups defined later), then members.
        for name in top.keys.sorted() where name != "_meta" { builder.addGroup(name, line: nil) }
        for name in top.keys.sorted() where name != "_meta" {
            guard case .map(let g)? = top[name] else { continue }
            if case .list(let children)? = g["children"] {
                for case .string(let child) in children {
                    builder.addGroup(child, line: nil)
                    if child != "ungrouped" || name != "all" { try builder.addChild(child, to: name, line: 0) }
                }
            }
            if case .list(let members)? = g["hosts"] {
                for case .string(let host) in members { builder.addHost(host, to: name, line: 0) }
            }
        }
        for (host, vars) in hostvars {
            if builder.hosts[host] == nil { builder.addHost(host, to: "ungrouped", line: 0) }
            if case .map(let v) = vars { builder.hosts[host]!.vars = v }
        }
        return builder.finish()
    }
}
