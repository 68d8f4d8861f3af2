import CLua
import Homelab
import LuaHost

/// The inventory as Swift validated it, for the checks made under a manifest
/// (issue 20). The model's Lua tables are the script's to read, and it can
/// change them: a host's address or ssh settings, its role, the inventory's
/// Prometheus. What a check compares with (a host's facts and ssh access,
/// what a selector names) comes from here instead, never from those tables.
enum PristineInventory {
    nonisolated(unsafe) private static var cached: Inventory?
    nonisolated(unsafe) private static var hostsCache: [String: Host]?

    /// A host as the checks see it.
    struct Host {
        var name: String
        /// role, kind, node, tag: what requires.hosts selects by
        var facts: [String: [String]]
        /// The inventory's ssh defaults with the host's own settings over them.
        var access: SSHAccess
        /// Where ssh connects: the host's own ssh.host, else its address.
        var destination: String
    }

    /// The current inventory's validated model (lab.inventory.model()),
    /// read once per inventory.
    static func inventory(_ call: LuaCall) throws -> Inventory {
        if let cached { return cached }
        let inventory = try AnsibleModule.currentInventory(call)
        cached = inventory
        return inventory
    }

    /// The current inventory was replaced (lab.inventory.load...): read it again.
    static func forget() {
        cached = nil
        hostsCache = nil
    }

    /// The node or guest `name`, nil when the inventory has none.
    static func host(_ call: LuaCall, _ name: String) throws -> Host? {
        if let hostsCache { return hostsCache[name] }
        let inventory = try inventory(call)
        var hosts: [String: Host] = [:]
        let defaults = inventory.ssh ?? SSHAccess()
        for n in inventory.nodes {
            var facts: [String: [String]] = ["kind": [n.kind.rawValue], "tag": n.tags]
            if let role = n.role { facts["role"] = [role] }
            hosts[n.name] = Host(name: n.name, facts: facts, access: merged(defaults, n.ssh, name: n.name),
                                 destination: n.ssh?.host ?? n.address.description)
        }
        for g in inventory.guests {
            var facts: [String: [String]] = ["kind": [g.kind], "node": [g.node], "tag": g.tags]
            if let role = g.role { facts["role"] = [role] }
            hosts[g.name] = Host(name: g.name, facts: facts, access: merged(defaults, g.ssh, name: g.name),
                                 destination: g.ssh?.host ?? g.address.description)
        }
        hostsCache = hosts
        return hosts[name]
    }

    /// `own` over `defaults`, field by field, as labsh.remote merges them;
    /// the bastion itself is reached directly.
    static func merged(_ defaults: SSHAccess, _ own: SSHAccess?, name: String) -> SSHAccess {
        var access = defaults
        if let own {
            access.host = own.host ?? access.host
            access.port = own.port ?? access.port
            access.user = own.user ?? access.user
            access.key = own.key ?? access.key
            access.knownHosts = own.knownHosts ?? access.knownHosts
            access.config = own.config ?? access.config
            access.jump = own.jump ?? access.jump
            access.connectTimeout = own.connectTimeout ?? access.connectTimeout
            access.sudoPassword = own.sudoPassword ?? access.sudoPassword
            access.hostKeyChecking = own.hostKeyChecking ?? access.hostKeyChecking
        }
        if access.jump == name { access.jump = nil }
        return access
    }
}
