/// An Ansible inventory as a labsh inventory table: what Ansible knows (hosts,
/// groups, addresses, ssh settings) plus what labsh needs beyond it (kinds,
/// VLANs, sizes), from documented host variables, group names or an overlay.
///
/// Per host, a labsh field comes from the first of:
///   1. the host variable `labsh_<field>` (`labsh_kind`, `labsh_vlan`,
///      `labsh_vlans`, `labsh_ram`, `labsh_vcpu`, `labsh_disk`, `labsh_node`,
///      `labsh_role`, `labsh_address`, `labsh_name`, `labsh_tags`...);
///   2. the overlay's `hosts.<host>.<field>`, then `groups.<group>.<field>`;
///   3. the plain variable `gen ansible` writes (`kind`, `vlan`, `ram_bytes`...);
///   4. for the kind, a group name that names one (`proxmox` → hypervisor).
/// The overlay (`labsh.yml` beside the inventory) also gives the site, VLANs,
/// policy, ssh defaults and any other inventory section; without it the site
/// is `home.arpa` (or the domain the FQDN host names share) in UTC with no
/// VLANs and a deny-all policy.
///
/// Ansible's connection variables become the host's `ssh` table:
/// ansible_host (when a name) → host, ansible_user → user, ansible_port →
/// port, ansible_ssh_private_key_file → key `file:PATH`; a become password
/// is never copied (labsh_sudo_password takes a reference, env:NAME or
/// file:PATH). Vault-encrypted variables are left unread, with a note.
///
/// Every missing piece is reported at once: one line per kind of problem
/// naming all its hosts, with an example of how to add it.
public struct AnsibleImportOptions: Sendable {
    /// The overlay file's content (a mapping), or nil.
    public var overlay: YAMLValue?
    /// Where the overlay came from, for messages.
    public var overlayName: String
    /// Turns a host name into addresses when the user asked for it
    /// (overlay `resolve_names: true`); nil: never resolve.
    public var resolve: (@Sendable (String) -> IPAddress?)?
    /// The home directory a key file's leading `~/` stands for, as Ansible
    /// expands it (nil: kept as written).
    public var home: String?

    public init(overlay: YAMLValue? = nil, overlayName: String = "labsh.yml", resolve: (@Sendable (String) -> IPAddress?)? = nil) {
        self.overlay = overlay
        self.overlayName = overlayName
        self.resolve = resolve
    }

    /// Whether the overlay asks for name resolution.
    public var wantsResolution: Bool {
        if case .map(let m)? = overlay, case .bool(true)? = m["resolve_names"] { return true }
        return false
    }
}

/// What an import made: the inventory table and notes (vault variables
/// left unread, passwords not copied).
public struct AnsibleImportResult: Sendable {
    public var inventory: InventoryValue
    public var notes: [String]
}

extension AnsibleInventory {
    public static let overlayKeys = ["site", "vlans", "policy", "targets", "ha_groups", "ssh", "hosts", "groups",
                                     "resolve_names"]

    public func labshInventory(_ options: AnsibleImportOptions) throws -> AnsibleImportResult {
        var overlay: [String: YAMLValue] = [:]
        switch options.overlay {
        case nil, .null?: break
        case .map(let m)?: overlay = m
        case let v?: throw AnsibleError(line: nil, message: "\(options.overlayName): the overlay is a mapping (site:, vlans:, hosts:...), not a \(v.typeName)")
        }
        // `gen ansible` writes the overlay into the inventory, as the variable
        // labsh_overlay of `all` (every host has it); the file's sections win.
        if case .map(let embedded)? = hosts.first?.vars["labsh_overlay"] {
            overlay.merge(embedded) { file, _ in file }
        }
        var top = InventoryFields()
        top["site"] = .map(["name": .string("homelab"), "domain": .string("home.arpa"), "timezone": .string("UTC")])
        top["vlans"] = .list([])
        top["policy"] = .map(["default": .string("deny"), "rules": .list([])])
        top["ssh"] = .map([:])  // an Ansible inventory is there to be reached over ssh
        for (key, value) in overlay where !["hosts", "groups", "resolve_names"].contains(key) {
            top[key] = Self.inventoryValue(value)
        }
        // FQDN host names (pve1.lab.example.org) name the lab's domain: with
        // home.arpa, gen bind would write pve1.lab.example.org.home.arpa.
        var domainNote: String?
        if overlay["site"] == nil, let domain = Self.commonDomain(of: hosts.map(\.name)) {
            top["site"] = .map(["name": .string("homelab"), "domain": .string(domain), "timezone": .string("UTC")])
            domainNote = "site.domain is \(domain), the domain of the host names (give site: in \(options.overlayName) to choose another)"
        }
        var subnets: [(id: Int64, net: IPNetwork)] = []
        if case .list(let vlans)? = top["vlans"] {
            for case .map(let v) in vlans {
                if case .integer(let id)? = v["id"], case .string(let s)? = v["subnet"], let net = try? IPNetwork(parsing: s) {
                    subnets.append((id, net))
                }
            }
        }
        var report = ImportReport()
        var nodes: [InventoryValue] = [], guests: [InventoryValue] = []
        for host in hosts {
            let fields = HostFields(host: host, overlay: overlay)
            if let record = fields.record(subnets: subnets, options: options, report: &report) {
                if case .string(let kind)? = record["kind"], kind == "vm" || kind == "lxc" { guests.append(.map(record)) } else { nodes.append(.map(record)) }
            }
        }
        if let message = report.failure(overlayName: options.overlayName) {
            throw AnsibleError(line: nil, message: message)
        }
        top["nodes"] = .list(nodes)
        top["guests"] = .list(guests)
        return AnsibleImportResult(inventory: .map(top), notes: report.notes() + (domainNote.map { [$0] } ?? []))
    }

    /// The domain every dotted host name is in ("lab.example.org" for
    /// pve1.lab.example.org and desk.lab.example.org), nil when there is none
    /// or they differ. Hosts named by their address have no domain.
    static func commonDomain(of names: [String]) -> String? {
        var domain: String?
        for name in names where name.contains(".") && (try? IPAddress(parsing: name)) == nil {
            let parent = String(name.lowercased().drop { $0 != "." }.dropFirst())
            guard !parent.isEmpty, domain == nil || domain == parent else { return nil }
            domain = parent
        }
        return domain
    }

    /// YAML data as inventory data (nulls dropped).
    static func inventoryValue(_ v: YAMLValue) -> InventoryValue {
        switch v {
        case .null: return .map([:])
        case .bool(let b): return .boolean(b)
        case .int(let i): return .integer(i)
        case .float(let d): return .number(d)
        case .string(let s): return .string(s)
        case .list(let items): return .list(items.map(inventoryValue))
        case .map(let m):
            var f = InventoryFields()
            for (k, v) in m where v != .null { f[k] = inventoryValue(v) }
            return .map(f)
        }
    }

    /// A variable Ansible left encrypted (`!vault`): `{__ansible_vault: ...}`.
    static func isVault(_ v: YAMLValue) -> Bool {
        if case .map(let m) = v, m["__ansible_vault"] != nil { return true }
        return false
    }
}

/// Problems and notes of one import, by kind, each with the hosts it concerns.
struct ImportReport {
    /// problem -> (hosts, example of the fix), in order of first occurrence.
    var problems: [(problem: String, hosts: [String], example: String)] = []
    var vaulted: [String: [String]] = [:]  // variable -> hosts
    var passwords: [String] = []
    var becomeMethods: [String] = []

    mutating func add(_ problem: String, host: String, example: String) {
        if let i = problems.firstIndex(where: { $0.problem == problem }) {
            problems[i].hosts.append(host)
        } else {
            problems.append((problem, [host], example))
        }
    }

    func failure(overlayName: String) -> String? {
        guard !problems.isEmpty else { return nil }
        var lines = ["this Ansible inventory lacks what labsh needs (\(problems.count) kind\(problems.count == 1 ? "" : "s") of problem):"]
        for p in problems {
            // names as written may hold terminal escapes: shown escaped
            let shown = p.hosts.prefix(20).map(InventoryText.visible).joined(separator: ", ")
                + (p.hosts.count > 20 ? ", and \(p.hosts.count - 20) more" : "")
            lines.append("  \(p.problem): \(shown)")
            lines.append("    for example: \(p.example)")
        }
        lines.append("  (labsh_* variables go in host_vars/HOST.yml, group_vars/GROUP.yml or the inventory; "
                     + "or write them in \(overlayName) under hosts: or groups:)")
        return lines.joined(separator: "\n")
    }

    func notes() -> [String] {
        var out: [String] = []
        for (name, hosts) in vaulted.sorted(by: { $0.key < $1.key }) {
            out.append("\(InventoryText.visible(name)) is vault-encrypted and was left unread (labsh does not decrypt vaults) on: "
                       + hosts.map(InventoryText.visible).joined(separator: ", "))
        }
        if !passwords.isEmpty {
            out.append("a become password written in the inventory was not copied (labsh keeps only references) on: "
                       + passwords.map(InventoryText.visible).joined(separator: ", ") + "; set labsh_sudo_password: env:NAME or file:PATH")
        }
        if !becomeMethods.isEmpty {
            out.append("ansible_become_method other than sudo is not supported (labsh uses sudo) on: "
                       + becomeMethods.map(InventoryText.visible).joined(separator: ", "))
        }
        return out
    }
}

/// One host's labsh fields, looked up in the documented order.
private struct HostFields {
    let host: AnsibleInventory.Host
    let overlay: [String: YAMLValue]

    /// The first of labsh_<key>, the overlay's hosts/groups entries, then `plain` names.
    func value(_ key: String, plain: [String] = []) -> YAMLValue? {
        if let v = host.vars["labsh_" + key], v != .null { return v }
        if case .map(let hosts)? = overlay["hosts"], case .map(let own)? = hosts[host.name], let v = own[key], v != .null { return v }
        if case .map(let groups)? = overlay["groups"] {
            for g in host.groups.reversed() {  // sorted names; any group that sets it
                if case .map(let m)? = groups[g], let v = m[key], v != .null { return v }
            }
        }
        for p in plain { if let v = host.vars[p], v != .null { return v } }
        return nil
    }

    func text(_ key: String, plain: [String] = []) -> String? {
        switch value(key, plain: plain) {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .float(let d)?: return String(d)
        default: return nil
        }
    }

    func integer(_ key: String, plain: [String] = []) -> Int64? {
        switch value(key, plain: plain) {
        case .int(let i)?: return i
        case .string(let s)?: return Int64(s)
        default: return nil
        }
    }

    func integers(_ key: String, plain: [String] = []) -> [Int64]? {
        switch value(key, plain: plain) {
        case .int(let i)?: return [i]
        case .list(let items)?: return items.compactMap { if case .int(let i) = $0 { return i }; if case .string(let s) = $0 { return Int64(s) }; return nil }
        case .string(let s)?: return s.split(separator: ",").compactMap { Int64($0.trimmingSpaces) }
        default: return nil
        }
    }

    func texts(_ key: String, plain: [String] = []) -> [String]? {
        switch value(key, plain: plain) {
        case .list(let items)?: return items.map(\.description)
        case .string(let s)?: return s.split(separator: ",").map { String($0.trimmingSpaces) }
        default: return nil
        }
    }

    /// A size: an integer of bytes, or text with a unit ("16GiB").
    func size(_ key: String, plain: [String]) -> String? {
        switch value(key, plain: plain) {
        case .int(let i)?: return String(i)
        case .string(let s)?: return s
        default: return nil
        }
    }

    /// The kinds group names suggest, with the group each comes from: any
    /// word of a name (`pve_nodes` → pve), a kind or its plural (`nas`, `servers`).
    func kindsFromGroups() -> [(kind: String, group: String)] {
        var found: [(kind: String, group: String)] = []
        for g in host.groups {
            for w in g.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == "." }) where w.count > 1 {
                let kind = AnsibleInventory.kindWords[String(w)]?.rawValue
                    ?? (Inventory.Node.Kind(rawValue: String(w)) ?? Inventory.Node.Kind(rawValue: String(w.dropLast())))?.rawValue
                if let kind, !found.contains(where: { $0.kind == kind }) { found.append((kind, g)) }
            }
        }
        return found
    }

    /// Fields whose value is there but of the wrong type, with what they should be.
    func wrongTypes() -> [(field: String, expected: String, example: String)] {
        var out: [(String, String, String)] = []
        let integers: [(String, [String], String)] = [("vcpu", ["vcpu"], "labsh_vcpu: 2"), ("vlan", ["vlan"], "labsh_vlan: 20"),
                                                      ("cores", ["cores"], "cores: 8"), ("threads", ["threads"], "threads: 16")]
        for (key, plain, example) in integers where value(key, plain: plain) != nil && integer(key, plain: plain) == nil {
            out.append((key, "an integer", example))
        }
        if let v = value("vlans", plain: ["vlans"]) {
            let ok: Bool
            switch v {
            case .int: ok = true
            case .list(let items): ok = items.allSatisfy { if case .int = $0 { return true }; if case .string(let s) = $0 { return Int64(s) != nil }; return false }
            default: ok = false
            }
            if !ok { out.append(("vlans", "a list of VLAN ids", "labsh_vlans: [10, 20]")) }
        }
        for (key, plain, example) in [("ram", ["ram_bytes", "ram"], "labsh_ram: 16GiB"), ("disk", ["disk_bytes", "disk"], "labsh_disk: 32GiB"),
                                      ("storage", ["storage_bytes"], "labsh_storage: 4TB")]
            where value(key, plain: plain) != nil && size(key, plain: plain) == nil {
            out.append((key, "a size (bytes, or text such as 16GiB)", example))
        }
        return out
    }

    func record(subnets: [(id: Int64, net: IPNetwork)], options: AnsibleImportOptions,
                report: inout ImportReport) -> InventoryFields? {
        let who = host.name
        for (k, v) in host.vars where AnsibleInventory.isVault(v) { report.vaulted[k, default: []].append(who) }
        var ok = true
        func missing(_ problem: String, _ example: String) { report.add(problem, host: who, example: example); ok = false }

        let name = text("name") ?? host.name
        if !InventoryText.isHostName(name) {
            missing("names labsh cannot use as host names (\(InventoryText.hostNameRule))",
                    "labsh_name: \(AnsibleExport.groupName(name.lowercased()).replacingOccurrences("_", "-").trimmingHyphens)")
        }
        let nodeKinds = Inventory.Node.Kind.allCases.map(\.rawValue)
        for wrong in wrongTypes() {
            missing("\(wrong.field) values that are not \(wrong.expected)", wrong.example)
        }
        let suggested = kindsFromGroups()
        var kind = text("kind", plain: ["kind"]) ?? (value("node", plain: ["node"]) != nil ? "vm" : suggested.first?.kind)
        if kind == nil {
            missing("hosts with no kind (no labsh_kind and no group that names one)",
                    "labsh_kind: \(nodeKinds.contains("server") ? "server" : nodeKinds[0])   (one of \((nodeKinds + ["vm", "lxc"]).joined(separator: ", ")))")
        } else if text("kind", plain: ["kind"]) == nil, value("node", plain: ["node"]) == nil, suggested.count > 1 {
            missing("hosts whose groups name different kinds (" + suggested.map { "\($0.kind) from '\($0.group)'" }.joined(separator: ", ") + ")",
                    "labsh_kind: \(suggested[0].kind)")
            kind = nil
        }

        // The address: labsh's own, else ansible_host or the name when it is one.
        let ansibleHost = host.vars["ansible_host"].flatMap { v -> String? in if case .string(let s) = v { return s }; return nil }
        var address: IPAddress?
        var sshHost: String?
        if let given = text("address") {
            address = try? IPAddress(parsing: given)
            if address == nil { missing("labsh_address that is not an IP address", "labsh_address: 192.0.2.10") }
            if let h = ansibleHost, (try? IPAddress(parsing: h)) == nil { sshHost = h }
        } else {
            let target = ansibleHost ?? host.name
            if let a = try? IPAddress(parsing: target) {
                address = a
            } else {
                sshHost = target  // a name stays a name for ssh
                if let resolve = options.resolve, let a = resolve(target) {
                    address = a
                } else {
                    missing("hosts whose address is a name (labsh needs an IP; names resolve only with resolve_names: true in \(options.overlayName))",
                            "labsh_address: 192.0.2.10")
                }
            }
        }

        var m = InventoryFields()
        m["name"] = .string(name)
        if let kind { m["kind"] = .string(kind) }
        if let address { m["address"] = .string(address.description) }
        let vlanOfAddress = address.flatMap { a in subnets.first { $0.net.contains(a) }?.id }
        // Groups named vlan_<id> or vlan<id> (as gen ansible writes them).
        let vlansOfGroups = host.groups.compactMap { g -> Int64? in
            let lower = g.lowercased()
            guard lower.hasPrefix("vlan") else { return nil }
            return Int64(lower.dropFirst(4).drop { $0 == "_" || $0 == "-" })
        }

        if kind == "vm" || kind == "lxc" {
            if let node = text("node", plain: ["node"]) { m["node"] = .string(node) } else {
                missing("guests with no node", "labsh_node: pve1   (the node it runs on)")
            }
            if let vcpu = integer("vcpu", plain: ["vcpu"]) { m["vcpu"] = .integer(vcpu) } else {
                missing("guests with no vcpu", "labsh_vcpu: 2")
            }
            if let ram = size("ram", plain: ["ram_bytes", "ram"]) { m["ram"] = .string(ram) } else {
                missing("guests with no ram", "labsh_ram: 4GiB")
            }
            if let disk = size("disk", plain: ["disk_bytes", "disk"]) { m["disk"] = .string(disk) } else {
                missing("guests with no disk", "labsh_disk: 32GiB")
            }
            if let vlan = integer("vlan", plain: ["vlan"]) ?? vlansOfGroups.first ?? vlanOfAddress { m["vlan"] = .integer(vlan) } else {
                missing("guests with no VLAN (none given, and no VLAN of \(options.overlayName) holds the address)",
                        "labsh_vlan: 20   (the id of a VLAN in \(options.overlayName))")
            }
            if let ha = text("ha_group", plain: ["ha_group"]) { m["ha_group"] = .string(ha) }
        } else if let kind, !nodeKinds.contains(kind) {
            missing("kind '\(kind)', which labsh does not know", "labsh_kind: \(nodeKinds.first!)   (one of \((nodeKinds + ["vm", "lxc"]).joined(separator: ", ")))")
        } else {
            for key in ["cluster", "vendor", "model", "os", "notes"] { if let s = text(key, plain: [key]) { m[key] = .string(s) } }
            if let ram = size("ram", plain: ["ram_bytes", "ram"]) { m["ram"] = .string(ram) }
            if let cpuModel = text("cpu_model", plain: ["cpu_model"]), let cores = integer("cores", plain: ["cores"]),
               let threads = integer("threads", plain: ["threads"]) {
                m["cpu"] = .map(["model": .string(cpuModel), "cores": .integer(cores), "threads": .integer(threads)])
            }
            if let storage = size("storage", plain: ["storage_bytes"]) {
                m["disks"] = .list([.map(["type": .string(text("disk_type") ?? "ssd"), "size": .string(storage)])])
            }
            if let gpus = texts("gpus", plain: ["gpus"]) { m["gpus"] = .list(gpus.map { .map(["model": .string($0)]) }) }
            if let vlans = integers("vlans", plain: ["vlans"]) ?? integers("vlan") {
                m["vlans"] = .list(vlans.map { .integer($0) })
            } else if !vlansOfGroups.isEmpty {
                m["vlans"] = .list(vlansOfGroups.map { .integer($0) })
            } else if let v = vlanOfAddress {
                m["vlans"] = .list([.integer(v)])
            }
        }
        if let role = text("role", plain: ["role"]) { m["role"] = .string(role) }
        if let tags = texts("tags", plain: ["host_tags"]) { m["tags"] = .list(tags.map { .string($0) }) }
        if let ssh = sshTable(sshHost: sshHost, home: options.home, report: &report) { m["ssh"] = .map(ssh) }
        return ok ? m : nil
    }

    /// Ansible's connection variables as labsh's ssh settings.
    func sshTable(sshHost: String?, home: String?, report: inout ImportReport) -> InventoryFields? {
        var ssh = InventoryFields()
        func scalar(_ names: [String]) -> String? {
            for n in names {
                switch host.vars[n] {
                case .string(let s)?: return s
                case .int(let i)?: return String(i)
                default: continue
                }
            }
            return nil
        }
        if let h = sshHost { ssh["host"] = .string(h) }
        if let user = scalar(["ansible_user", "ansible_ssh_user"]) { ssh["user"] = .string(user) }
        if let port = scalar(["ansible_port", "ansible_ssh_port"]), let p = Int64(port) { ssh["port"] = .integer(p) }
        if var key = scalar(["ansible_ssh_private_key_file", "ansible_private_key_file"]) {
            if key.hasPrefix("~/"), let home { key = home + key.dropFirst() }
            ssh["key"] = .string("file:" + key)
        }
        if let reference = text("sudo_password") { ssh["sudo_password"] = .string(reference) }
        for name in ["ansible_become_password", "ansible_become_pass", "ansible_sudo_pass"] {
            guard let v = host.vars[name], v != .null, !AnsibleInventory.isVault(v) else { continue }
            if !report.passwords.contains(host.name) { report.passwords.append(host.name) }
        }
        if let method = scalar(["ansible_become_method"]), method != "sudo" { report.becomeMethods.append(host.name) }
        return ssh.isEmpty ? nil : ssh
    }
}

private extension String {
    func replacingOccurrences(_ a: Character, _ b: Character) -> String { String(map { $0 == a ? b : $0 }) }
    var trimmingHyphens: String {
        let s = drop { $0 == "-" }
        return String(s.reversed().drop { $0 == "-" }.reversed())
    }
}
