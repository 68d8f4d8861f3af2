/// A live system labsh talks to (Prometheus, Alertmanager, the Pushgateway),
/// as the inventory's `monitoring` section names it: a URL, and how to trust
/// and authenticate to it. Credentials are references, never the secrets.
public struct MonitoringEndpoint: Sendable, Equatable {
    public var url: String
    /// PEM bundle to verify the server with, instead of the system's.
    public var caFile: String?
    /// Skip TLS verification (labsh warns when it is used).
    public var insecure: Bool
    public var bearer: SecretReference?
    public var user: String?
    public var password: SecretReference?

    public init(url: String, caFile: String? = nil, insecure: Bool = false, bearer: SecretReference? = nil,
                user: String? = nil, password: SecretReference? = nil) throws {
        guard Self.isHTTPURL(url) else {
            throw HomelabError("'\(url)' is not an http:// or https:// URL")
        }
        try Credentials.check(token: bearer, tokenKey: "bearer", user: user, password: password)
        self.url = url
        self.caFile = caFile
        self.insecure = insecure
        self.bearer = bearer
        self.user = user
        self.password = password
    }

    static func isHTTPURL(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        for scheme in ["http://", "https://"] where bytes.starts(with: scheme.utf8) {
            let rest = bytes.dropFirst(scheme.utf8.count)
            return !rest.isEmpty && rest.first != UInt8(ascii: "/")
                && !rest.contains { $0 <= 0x20 || $0 == 0x7f }
        }
        return false
    }
}

/// Where a secret is kept: "env:NAME" (an environment variable) or
/// "file:PATH" (the file's first line). labsh reads it only when it connects,
/// so an inventory in git never holds a password or token.
public struct SecretReference: Sendable, Equatable, CustomStringConvertible {
    public enum Source: Sendable, Equatable {
        case environment(String)
        case file(String)
    }

    public let source: Source

    public init(parsing text: String) throws {
        if text.hasPrefix("env:"), case let name = String(text.dropFirst(4)), Self.isVariableName(name) {
            source = .environment(name)
        } else if text.hasPrefix("file:"), text.utf8.count > 5 {
            source = .file(String(text.dropFirst(5)))
        } else {
            // Never echo the text: it may be the secret itself.
            throw HomelabError("a secret is given as a reference, env:NAME or file:PATH, never as the secret itself")
        }
    }

    public var description: String {
        switch source {
        case .environment(let name): return "env:" + name
        case .file(let path): return "file:" + path
        }
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0)
            || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }
    }
}

extension MonitoringEndpoint {
    /// An endpoint given as the inventory's `monitoring` section gives one
    /// (a URL, or a table of its keys), read by the inventory's own decoder:
    /// `connect{}` in Lua obeys the same rules. `place` names it in errors
    /// ("lab.prom.connect: 'user' and 'password' go together"); every
    /// problem is in the one error, as a load reports them.
    public init(decoding value: InventoryValue, at place: String) throws {
        let log = DiagnosticLog()
        guard let table = FieldTable(.map([place: value]), at: FieldPath(), log: log, allowed: [place]),
              let endpoint = Inventory.decodeEndpoint(table, place), !log.hasErrors else {
            throw HomelabError(log.items.map(\.description).joined(separator: "; "))
        }
        self = endpoint
    }
}
