/// How labsh reaches a host over SSH, as the inventory's top-level `ssh`
/// section (defaults for every host) and a node's or guest's own `ssh` table
/// (overrides) give it. The host's own table adds `host`; without it labsh
/// connects to the host's management address. Keys and the sudo password are
/// secret references, never the secrets.
public struct SSHAccess: Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var user: String?
    public var key: SecretReference?
    public var knownHosts: String?
    /// The ssh_config file to read: a path, or "none" for none at all.
    public var config: String?
    /// A node or guest to connect through (the plan's bastion).
    public var jump: String?
    public var connectTimeout: Int?
    public var sudoPassword: SecretReference?
    /// "yes" (the default: unknown or changed keys are refused),
    /// "accept-new" (trust a host's first key, refuse a changed one), or "no".
    public var hostKeyChecking: String?

    public static let keys = ["host", "port", "user", "key", "known_hosts", "config", "jump", "connect_timeout",
                              "sudo_password", "host_key_checking"]
    public static let hostKeyCheckings = ["yes", "accept-new", "no"]

    public init() {}
}

extension Inventory {
    /// Decodes an `ssh` table (`allowHost`: a host's own table, not the
    /// defaults). Words that ssh would read as options are refused here,
    /// since they end up as arguments of the ssh command.
    static func decodeSSH(_ t: FieldTable, allowHost: Bool) -> SSHAccess {
        var access = SSHAccess()
        func word(_ key: String) -> String? {
            guard let s = t.string(key, required: false) else { return nil }
            if s.isEmpty || s.hasPrefix("-") || s.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7f }) {
                t.log.error(t.path.appending(key), "'\(s)' is not a valid \(key): no spaces, no leading '-'")
                return nil
            }
            return s
        }
        func secret(_ key: String) -> SecretReference? {
            t.parsed(key, required: false) { try SecretReference(parsing: $0) }
        }
        if allowHost { access.host = word("host") } else if t.has("host") {
            t.log.error(t.path.appending("host"), "the defaults have no host: give it in a node's or guest's own ssh table")
        }
        access.port = t.integer("port", required: false, in: 1...65535)
        access.user = word("user")
        access.key = secret("key")
        access.knownHosts = t.string("known_hosts", required: false)
        access.config = t.string("config", required: false)
        access.jump = word("jump")
        access.connectTimeout = t.integer("connect_timeout", required: false, in: 1...3600)
        access.sudoPassword = secret("sudo_password")
        access.hostKeyChecking = t.choice("host_key_checking", SSHAccess.hostKeyCheckings, required: false)
        return access
    }
}
