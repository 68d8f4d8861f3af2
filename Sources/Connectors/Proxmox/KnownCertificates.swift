/// Node certificates whose fingerprint a run confirmed, kept for later runs
/// (the state directory's `pve-certificates`): a later run pins the node's
/// public key on its first connection instead of learning the certificate
/// by a handshake of its own first.
///
/// The file is a cache, never a source of trust: an entry counts only when
/// its certificate's SHA-256 is the very fingerprint the inventory pins, and
/// the pin is computed here from that certificate. A corrupt, truncated or
/// planted entry is therefore no entry: it cannot make labsh trust a key
/// other than the one of the certificate the operator pinned.
///
/// One line per URL: `URL FINGERPRINT BASE64-DER`; `#` starts a comment.
public struct KnownCertificates: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var url: String
        public var fingerprint: String
        public var der: [UInt8]
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// The entries of a file's text; lines that are not an entry are left out.
    public init(text: String) {
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) where !line.hasPrefix("#") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 3, fields[0].hasPrefix("https://"),
                  let der = Base64.decode(String(fields[2])), !der.isEmpty else { continue }
            entries.append(Entry(url: String(fields[0]), fingerprint: String(fields[1]), der: der))
        }
    }

    /// The certificate remembered for `url` whose SHA-256 is `fingerprint`
    /// (as the inventory writes it), or nil.
    public func certificate(url: String, fingerprint: String) -> LeafCertificate? {
        let wanted = fingerprint.uppercased()
        for entry in entries where entry.url == url && entry.fingerprint.uppercased() == wanted {
            let leaf = LeafCertificate(der: entry.der)
            if leaf.fingerprint == wanted, leaf.publicKeyPin != nil { return leaf }
        }
        return nil
    }

    /// Remembers `certificate` for `url`, in place of what was remembered
    /// for it; false (nothing remembered) for a URL the format cannot hold.
    @discardableResult
    public mutating func remember(url: String, certificate: LeafCertificate) -> Bool {
        guard url.hasPrefix("https://"), !url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7f }) else { return false }
        entries.removeAll { $0.url == url }
        entries.append(Entry(url: url, fingerprint: certificate.fingerprint, der: certificate.der))
        entries.sort { $0.url < $1.url }
        return true
    }

    /// The file's text.
    public var text: String {
        var lines = ["# labsh: Proxmox VE node certificates whose fingerprint was confirmed (a cache: safe to delete)"]
        for e in entries { lines.append("\(e.url) \(e.fingerprint) \(Base64.encode(e.der))") }
        return lines.joined(separator: "\n") + "\n"
    }
}
