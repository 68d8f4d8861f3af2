import Testing
@testable import Connectors

// The pin of a Proxmox node's certificate: the fingerprint and the public
// key pin computed by labsh agree with what openssl computes from the same
// certificate; a malformed DER yields no pin (never a read out of bounds).

/// Runs a shell pipeline; its stdout as text.
private func sh(_ script: String) throws -> String {
    let outcome = try ProcessRunner.run(ProcessSpec(argv: ["/bin/sh", "-c", script]))
    #expect(outcome.status == 0, "\(script)")
    return String(decoding: outcome.stdout, as: UTF8.self).trimmingSpaces()
}

private extension String {
    func trimmingSpaces() -> String {
        String(unicodeScalars.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed()
            .map(Character.init))
    }
}

@Suite struct ProxmoxCertificateTests {
    /// A fresh self-signed certificate (RSA or EC) and openssl's own figures for it.
    func certificate(_ key: String) throws -> (pem: String, fingerprint: String, pin: String) {
        let dir = try sh("mktemp -d")
        defer { _ = try? sh("rm -rf '\(dir)'") }
        _ = try sh("openssl req -x509 -newkey \(key) -nodes -days 2 -keyout '\(dir)/k.pem' -out '\(dir)/c.pem' "
                   + "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null")
        let pem = try sh("cat '\(dir)/c.pem'")
        let fingerprint = try sh("openssl x509 -in '\(dir)/c.pem' -noout -fingerprint -sha256 | sed 's/.*=//'")
        let pin = try sh("openssl x509 -in '\(dir)/c.pem' -pubkey -noout | openssl pkey -pubin -outform der "
                         + "| openssl dgst -sha256 -binary | base64")
        return (pem, fingerprint, "sha256//" + pin)
    }

    @Test(arguments: ["rsa:2048", "ec -pkeyopt ec_paramgen_curve:P-256"])
    func fingerprintAndPinMatchOpenSSL(_ key: String) throws {
        let c = try certificate(key)
        let der = try #require(LeafCertificate.der(pem: c.pem))
        let leaf = LeafCertificate(der: der)
        #expect(leaf.fingerprint == c.fingerprint)
        #expect(leaf.publicKeyPin == c.pin)
    }

    @Test func malformedDERHasNoPin() throws {
        let c = try certificate("rsa:2048")
        let der = try #require(LeafCertificate.der(pem: c.pem))
        for cut in [0, 1, 2, 4, 10, 100, der.count / 2, der.count - 1] {
            #expect(LeafCertificate(der: Array(der.prefix(cut))).publicKeyPin == nil, "cut at \(cut)")
        }
        #expect(LeafCertificate(der: [0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00]).publicKeyPin == nil)
        #expect(LeafCertificate(der: [0x30, 0x83, 0x01]).publicKeyPin == nil)
        #expect(LeafCertificate.der(pem: "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----") == nil)
    }

    @Test func base64RoundTrips() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(($0 * 37 + 11) % 256) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("any carnal pleas".utf8)) == "YW55IGNhcm5hbCBwbGVhcw==")
    }
}
