import Connectors
import Glibc
import Homelab
import LuaHost
import Spelling

/// Symbolic selectors in a manifest (issue 20): a shipped script works on
/// any homelab, so its `requires` names the inventory's places ("the
/// Prometheus") and the operator's own command line ("the URL given to
/// --prometheus") instead of addresses. The host resolves them here, once,
/// when the script declares; the checks then compare concrete patterns.
///
///   net          monitoring:prometheus | monitoring:alertmanager |
///                monitoring:pushgateway (the inventory's endpoint's host:port),
///                proxmox (the inventory's Proxmox VE API origins),
///                option:--NAME (the origin of each URL the operator gave it),
///                arguments (the origin of every URL among the script's
///                arguments: a command's URL, `pve trust URL`)
///   hosts        role:X, tag:X, kind:X, node:X (matched on the host's facts),
///                target:NAME (the hosts of the inventory's target NAME, as
///                labsh.targets picks them: a playbook's `hosts`),
///                option:--NAME (each host name the operator gave it)
///   files.read,  monitoring:textfile_dir (node_exporter's textfile directory),
///   files.write  config (labsh's configuration directory: inventory init),
///                option:--NAME (each path the operator gave it),
///                arguments (each of the script's arguments as a path: a
///                command's FILE)
///   commands     labsh (this labsh's own executable, as a script runs it
///                again: a playbook, a job; and a `labsh` on PATH),
///                option:--NAME (each program the operator gave it)
///   secrets      proxmox, monitoring:NAME (the env:/file: references of the
///                inventory's Proxmox VE token or password, of an endpoint's
///                bearer token or password), option:--NAME (the reference
///                the operator gave it)
///
/// A value the operator gave is taken literally: its `*` is no glob.
extension CapabilityLists {
    /// Whether an entry names a place of the inventory (proxmox,
    /// monitoring:NAME, target:NAME): only then is the inventory read when
    /// the script declares, so a script that reaches nothing, or only what
    /// it names itself, starts without it.
    var namesInventory: Bool {
        func names(_ entries: [String]) -> Bool {
            entries.contains { $0 == "proxmox" || $0.hasPrefix("monitoring:") || $0.hasPrefix("target:") }
        }
        return names(self[.net]) || names(self[.secrets]) || names(self[.hosts])
            || names(self[.filesRead]) || names(self[.filesWrite])
    }
}

extension Capabilities {
    /// What selectors resolve against: the script's own arguments and,
    /// when the manifest names the inventory, the inventory as Swift
    /// validated it.
    public struct SelectorContext {
        var arguments: [String] = []
        var inventory: InventoryPlaces?
    }

    /// The places of a validated inventory a selector names. A class: a
    /// start whose manifest names none carries a nil reference, and no
    /// lookup tables are made for selectors no manifest uses.
    final class InventoryPlaces {
        let inventory: Inventory

        init(_ inventory: Inventory) { self.inventory = inventory }

        /// One of `monitoringEndpoints`.
        func endpoint(_ name: String) -> MonitoringEndpoint? {
            switch name {
            case "prometheus": return inventory.monitoring.prometheus
            case "alertmanager": return inventory.monitoring.alertmanager
            case "pushgateway": return inventory.monitoring.pushgateway
            default: return nil
            }
        }

        /// The Proxmox VE API URLs.
        var proxmoxURLs: [String] { inventory.proxmox?.servers.map(\.url) ?? [] }

        /// The secret references the inventory gives "proxmox" or
        /// "monitoring:NAME".
        func secrets(_ selector: String) -> [String] {
            if selector == "proxmox" {
                guard let proxmox = inventory.proxmox else { return [] }
                return [proxmox.token, proxmox.password].compactMap { $0?.description }
            }
            guard selector.hasPrefix("monitoring:"), let endpoint = endpoint(String(selector.dropFirst("monitoring:".count))) else {
                return []
            }
            return [endpoint.bearer, endpoint.password].compactMap { $0?.description }
        }

        /// The host names target `name` picks (labsh.targets): the
        /// inventory's own target, else labsh's default by kind (no
        /// default names a role); none for a target neither has.
        func targetHosts(_ name: String) -> [String] {
            let picks: (String?, String, [String]) -> Bool
            if let target = inventory.targets[name] {
                picks = { role, kind, tags in target.matches(role: role, kind: kind, tags: tags) }
            } else if let kinds = InventoryPlaces.defaultTargets(name) {
                picks = { _, kind, _ in kinds.contains(kind) }
            } else {
                return []
            }
            return inventory.nodes.filter { picks($0.role, $0.kind.rawValue, $0.tags) }.map(\.name)
                + inventory.guests.filter { picks($0.role, $0.kind, $0.tags) }.map(\.name)
        }

        /// labsh's own targets: the host kinds each picks.
        static func defaultTargets(_ name: String) -> [String]? {
            switch name {
            case "hypervisors": return ["hypervisor"]
            case "linux": return ["hypervisor", "server", "sbc", "vm", "lxc"]
            default: return nil
            }
        }
    }

    /// The entry of a manifest a resolved pattern came from: the trace says
    /// which declared entry allowed a target.
    struct DeclaredSource {
        var kind: CapabilityKind
        var pattern: String
        var entry: String
    }

    static let monitoringEndpoints = ["prometheus", "alertmanager", "pushgateway"]
    static let hostFacts = ["role", "tag", "kind", "node"]

    /// `lists` with every selector replaced by the concrete patterns it
    /// names now, and (`keepSources`) the entry each pattern came from.
    static func resolve(_ lists: CapabilityLists, _ context: SelectorContext, _ what: String, keepSources: Bool = false) throws
        -> (lists: CapabilityLists, sources: [DeclaredSource]) {
        var resolved = CapabilityLists()
        var sources: [DeclaredSource] = []
        try lists.forEach { kind, entries in
            var patterns: [String] = []
            for entry in entries {
                for pattern in try resolve(kind, entry, context, "\(what).\(kind.name)") {
                    if !patterns.contains(pattern) { patterns.append(pattern) }
                    if keepSources, !sources.contains(where: { $0.kind == kind && $0.pattern == pattern && $0.entry == entry }) {
                        sources.append(DeclaredSource(kind: kind, pattern: pattern, entry: entry))
                    }
                }
            }
            resolved[kind] = patterns
        }
        return (resolved, sources)
    }

    /// The concrete patterns `entry` of `kind` stands for (itself when it is
    /// no selector; none when what it names is not there).
    static func resolve(_ kind: CapabilityKind, _ entry: String, _ context: SelectorContext,
                        _ what: @autoclosure () -> String) throws -> [String] {
        if entry.hasPrefix("option:") {
            let option = String(entry.dropFirst("option:".count))
            guard option.hasPrefix("--"), option.count > 2, !option.contains("=") else {
                throw LuaRaise.message("\(what()): '\(entry)' must name an option like option:--out")
            }
            guard kind != .proxmox else {
                throw LuaRaise.message("\(what()): option selectors are for hosts, net, commands, secrets and files, not \(kind.name)")
            }
            return optionValues(option, context.arguments).map { value in
                switch kind {
                case .net: return literal(netTarget(value))
                case .filesRead, .filesWrite: return value
                default: return literal(value)
                }
            }
        }
        switch kind {
        case .secrets:
            let known = ["proxmox"] + monitoringEndpoints.map { "monitoring:" + $0 }
            if known.contains(entry) { return (context.inventory?.secrets(entry) ?? []).map(literal) }
            if entry.hasPrefix("env:") || entry.hasPrefix("file:") || entry == "*" { return [entry] }
            throw unknown(what(), entry, known + ["env:NAME", "file:PATH"])
        case .net:
            if entry == "*" { return [entry] }
            if entry == "proxmox" { return (context.inventory?.proxmoxURLs ?? []).map { literal(netTarget($0)) } }
            if entry == "arguments" {
                return context.arguments.compactMap { Origin($0).map { literal("\($0.host):\($0.port)") } }
            }
            if entry.hasPrefix("monitoring:") {
                let name = String(entry.dropFirst("monitoring:".count))
                guard monitoringEndpoints.contains(name) else {
                    throw unknown(what(), entry, monitoringEndpoints.map { "monitoring:" + $0 })
                }
                return context.inventory?.endpoint(name).map { [literal(netTarget($0.url))] } ?? []
            }
            // host:port (globs allowed); anything else is a misspelt selector
            guard let colon = entry.lastIndex(of: ":"), colon != entry.startIndex,
                  entry[entry.index(after: colon)...].allSatisfy({ $0.isNumber || "*?[]".contains($0) }),
                  entry.index(after: colon) != entry.endIndex else {
                throw unknown(what(), entry, ["proxmox", "arguments"] + monitoringEndpoints.map { "monitoring:" + $0 })
            }
            return [entry]
        case .hosts:
            if entry.hasPrefix("target:") { return (context.inventory?.targetHosts(String(entry.dropFirst(7))) ?? []).map(literal) }
            if let colon = entry.firstIndex(of: ":"), !hostFacts.contains(String(entry[..<colon])) {
                throw unknown(what(), entry, hostFacts.map { $0 + ":" } + ["target:"])
            }
            return [entry]
        case .filesRead, .filesWrite:
            if entry == "monitoring:textfile_dir" { return context.inventory?.inventory.monitoring.textfileDirectory.map { [$0] } ?? [] }
            if entry == "config" { return LabPaths.current.config.map { [$0] } ?? [] }
            if entry == "arguments" { return pathArguments(context.arguments) }
            if entry.hasPrefix("monitoring:") { throw unknown(what(), entry, ["monitoring:textfile_dir", "config", "arguments"]) }
            return [entry]
        case .commands:
            if entry == "labsh" { return [literal(ownExecutable()), entry] }
            return [entry]
        default:
            return [entry]
        }
    }

    /// The running labsh's path (/proc/self/exe), as labsh.os.executable gives it.
    static func ownExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return n > 0 ? String(cString: buffer) : "/proc/self/exe"
    }

    static func unknown(_ what: String, _ entry: String, _ known: [String]) -> LuaRaise {
        LuaRaise.message("\(what): unknown selector '\(printable(entry))'\(Suggestion.didYouMean(entry, in: known))"
            + " (selectors: \(known.joined(separator: ", ")), option:--NAME)")
    }

    /// Every value the operator gave `option` in `arguments` ("--out DIR",
    /// "--out=DIR"), up to a "--" that ends the options.
    static func optionValues(_ option: String, _ arguments: [String]) -> [String] {
        var values: [String] = []
        var i = 0
        while i < arguments.count {
            let word = arguments[i]
            if word == "--" { break }
            if word == option, i + 1 < arguments.count {
                values.append(arguments[i + 1])
                i += 2
                continue
            }
            if word.hasPrefix(option + "=") { values.append(String(word.dropFirst(option.count + 1))) }
            i += 1
        }
        return values.filter { !$0.isEmpty }
    }

    /// The script's arguments that may name a path: the words that are no
    /// option, and every word after a "--" (`inventory check -- -FILE`).
    static func pathArguments(_ arguments: [String]) -> [String] {
        guard let end = arguments.firstIndex(of: "--") else { return arguments.filter { !$0.hasPrefix("-") } }
        return arguments[..<end].filter { !$0.hasPrefix("-") } + arguments[(end + 1)...]
    }

    /// `text` as a glob that matches only itself.
    static func literal(_ text: String) -> String {
        var out = ""
        for c in text {
            if "*?[]\\".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }
}
