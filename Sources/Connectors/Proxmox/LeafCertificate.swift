/// A server's leaf certificate as a pin needs it: the SHA-256 fingerprint
/// of its DER (what Proxmox VE shows and the inventory records) and the
/// curl pin of its public key (`sha256//BASE64` of the SubjectPublicKeyInfo),
/// which curl checks at every handshake before a byte of a request is sent.
public struct LeafCertificate: Sendable, Equatable {
    public var der: [UInt8]
    public var subject: String
    public var issuer: String
    public var expires: String

    public init(der: [UInt8], subject: String = "", issuer: String = "", expires: String = "") {
        self.der = der
        self.subject = subject
        self.issuer = issuer
        self.expires = expires
    }

    /// "AB:CD:...": uppercase hex pairs of SHA-256(DER), as
    /// `openssl x509 -fingerprint -sha256` and `pvenode cert info` print it.
    public var fingerprint: String {
        let digits = Array("0123456789ABCDEF".utf8)
        return SHA256.digest(der).map { String(decoding: [digits[Int($0 >> 4)], digits[Int($0 & 15)]], as: UTF8.self) }
            .joined(separator: ":")
    }

    /// CURLOPT_PINNEDPUBLICKEY's form of this certificate's public key, nil
    /// when the DER is not a certificate.
    public var publicKeyPin: String? {
        LeafCertificate.subjectPublicKeyInfo(der).map { "sha256//" + Base64.encode(SHA256.digest($0)) }
    }

    /// The DER of the certificate in a PEM block ("-----BEGIN CERTIFICATE-----").
    public static func der(pem: String) -> [UInt8]? {
        let lines = pem.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN CERTIFICATE-----") }),
              let end = lines[begin...].firstIndex(where: { $0.hasPrefix("-----END CERTIFICATE-----") }) else { return nil }
        return Base64.decode(lines[(begin + 1)..<end].joined())
    }

    /// The SubjectPublicKeyInfo element (tag and length included) of an
    /// X.509 certificate: Certificate = SEQUENCE { tbs = SEQUENCE { [0]
    /// version?, serial, signature, issuer, validity, subject, spki, ... } }.
    static func subjectPublicKeyInfo(_ der: [UInt8]) -> [UInt8]? {
        guard let certificate = DER.element(der, at: 0), certificate.tag == 0x30,
              let tbs = DER.element(der, at: certificate.contentStart), tbs.tag == 0x30 else { return nil }
        var at = tbs.contentStart
        if let first = DER.element(der, at: at), first.tag == 0xA0 { at = first.end }  // explicit version
        for _ in 0..<5 {  // serial, signature, issuer, validity, subject
            guard let skipped = DER.element(der, at: at), skipped.end <= tbs.end else { return nil }
            at = skipped.end
        }
        guard let spki = DER.element(der, at: at), spki.tag == 0x30, spki.end <= tbs.end else { return nil }
        return Array(der[at..<spki.end])
    }
}

/// Just enough DER to walk a certificate: one element's tag and bounds.
enum DER {
    struct Element {
        var tag: UInt8
        var contentStart: Int
        var end: Int
    }

    /// The element starting at `offset`, nil when it is malformed or runs
    /// past the end (a hostile certificate cannot make this read outside).
    static func element(_ bytes: [UInt8], at offset: Int) -> Element? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        guard tag & 0x1f != 0x1f else { return nil }  // multi-byte tags do not occur here
        var length = Int(bytes[offset + 1])
        var start = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count >= 1, count <= 4, start + count <= bytes.count else { return nil }
            length = 0
            for i in 0..<count { length = length << 8 | Int(bytes[start + i]) }
            start += count
        }
        guard length <= bytes.count - start else { return nil }
        return Element(tag: tag, contentStart: start, end: start + length)
    }
}

/// RFC 4648 base64, for PEM and curl's pin strings.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var chunk = 0
            for j in 0..<3 { chunk = chunk << 8 | (j < n ? Int(bytes[i + j]) : 0) }
            for j in 0..<4 { out.append(j <= n ? alphabet[(chunk >> (18 - 6 * j)) & 63] : UInt8(ascii: "=")) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil on any byte outside the alphabet (padding excepted).
    static func decode(_ text: String) -> [UInt8]? {
        var value: [UInt8: Int] = [:]
        for (i, c) in alphabet.enumerated() { value[c] = i }
        var out: [UInt8] = []
        var buffer = 0, bits = 0
        for c in text.utf8 where c != UInt8(ascii: "=") {
            guard let v = value[c] else { return nil }
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> bits))
                buffer &= (1 << bits) - 1
            }
        }
        return out
    }
}
