/// The inventory's `proxmox` section: the cluster's API URLs (any node
/// answers; the next is tried when one is down), how each one's TLS
/// certificate is trusted, and the credentials, always by reference.
///
///     proxmox = {
///       urls = { { url = "https://10.0.10.11:8006", fingerprint = "AB:CD:..." }, "https://pve2:8006" },
///       token = "env:PVE_TOKEN",              -- USER@REALM!TOKENID=SECRET
///       -- or: user = "labsh@pve", password = "file:/etc/labsh/pve.pass",
///     }
public struct ProxmoxConfig: Sendable, Equatable {
    /// One API URL and how its certificate is trusted: a pinned SHA-256
    /// fingerprint of the leaf certificate, a CA bundle, or the system's CAs.
    public struct Server: Sendable, Equatable {
        public var url: String
        /// "AB:CD:...": 32 uppercase hex pairs, as `pvenode cert info` prints.
        public var fingerprint: String?
        public var caFile: String?
    }

    public var servers: [Server]
    /// A reference to the whole token, USER@REALM!TOKENID=SECRET.
    public var token: SecretReference?
    public var user: String?
    public var password: SecretReference?
    /// Skip TLS verification for URLs without a fingerprint or CA (warned once per run).
    public var insecure: Bool
    /// Seconds for one API request.
    public var timeout: Double?

    public static let keys = ["urls", "token", "user", "password", "ca_file", "insecure", "timeout"]
    public static let serverKeys = ["url", "fingerprint", "ca_file"]

    public init(servers: [Server], token: SecretReference? = nil, user: String? = nil,
                password: SecretReference? = nil, insecure: Bool = false, timeout: Double? = nil) throws {
        guard !servers.isEmpty else { throw HomelabError("'urls' lists no URL: give at least one node's API URL") }
        try Credentials.check(token: token, tokenKey: "token", user: user, password: password)
        if token == nil && user == nil {
            throw HomelabError("no credentials: give 'token' (\"env:PVE_TOKEN\") or 'user' and 'password'")
        }
        if let user, !Self.isUserID(user) {
            throw HomelabError("user '\(InventoryText.visible(user))' is not USER@REALM (e.g. \"labsh@pve\")")
        }
        if insecure, servers.contains(where: { $0.fingerprint != nil }) {
            throw HomelabError("'insecure' and a 'fingerprint' contradict: a pinned certificate is verified")
        }
        if let timeout, !(timeout > 0 && timeout <= 3600) {
            throw HomelabError("timeout must be from 0 to 3600 seconds, not \(timeout)")
        }
        self.servers = servers
        self.token = token
        self.user = user
        self.password = password
        self.insecure = insecure
        self.timeout = timeout
    }

    /// An API URL: https only (a token must never cross the network in
    /// clear), a host, no query or fragment.
    public static func server(url: String, fingerprint: String?, caFile: String?) throws -> Server {
        guard url.hasPrefix("https://"), MonitoringEndpoint.isHTTPURL(url),
              !url.utf8.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "@") }) else {
            throw HomelabError("'\(InventoryText.visible(url))' is not an https:// URL of a Proxmox VE node (e.g. \"https://10.0.10.11:8006\")")
        }
        return Server(url: url, fingerprint: try fingerprint.map(normalizedFingerprint), caFile: caFile)
    }

    /// "ab:cd:..." -> "AB:CD:...": exactly 32 hex pairs joined by colons.
    public static func normalizedFingerprint(_ text: String) throws -> String {
        let pairs = text.split(separator: ":", omittingEmptySubsequences: false)
        let hex = Set("0123456789abcdefABCDEF".utf8)
        guard pairs.count == 32, pairs.allSatisfy({ $0.utf8.count == 2 && $0.utf8.allSatisfy(hex.contains) }) else {
            throw HomelabError("fingerprint must be the SHA-256 of the certificate as 32 hex pairs joined by ':' "
                + "(\"AB:CD:...\", as 'labsh -m pve trust URL' or 'pvenode cert info' prints it)")
        }
        return text.uppercased()
    }

    /// "labsh@pve", "root@pam": a user name, '@', a realm; no spaces or controls.
    static func isUserID(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.utf8.contains { $0 <= 0x20 || $0 == 0x7f || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "!") }
    }
}
