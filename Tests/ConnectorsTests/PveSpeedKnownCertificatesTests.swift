import Testing
@testable import Connectors

// The file of remembered node certificates is a cache, never a source of
// trust: an entry counts only when its certificate's SHA-256 is the pinned
// fingerprint; malformed lines are no entries; one entry per URL.

@Suite struct PveSpeedKnownCertificatesTests {
    /// Two fresh self-signed certificates' DER.
    static let certificates: [[UInt8]] = (0..<2).map { _ in
        let script = "d=$(mktemp -d) && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
            + "-keyout $d/k.pem -out $d/c.pem -subj /CN=127.0.0.1 2>/dev/null && cat $d/c.pem && rm -rf $d"
        let outcome = try! ProcessRunner.run(ProcessSpec(argv: ["/bin/sh", "-c", script]))
        return LeafCertificate.der(pem: String(decoding: outcome.stdout, as: UTF8.self))!
    }

    let url = "https://127.0.0.1:8006"

    @Test func aRememberedCertificateReadsBackUnderItsFingerprint() throws {
        let leaf = LeafCertificate(der: Self.certificates[0])
        var known = KnownCertificates()
        let remembered = known.remember(url: url, certificate: leaf)
        #expect(remembered)
        let read = KnownCertificates(text: known.text)
        #expect(read == known)
        #expect(read.certificate(url: url, fingerprint: leaf.fingerprint)?.publicKeyPin == leaf.publicKeyPin)
        #expect(read.certificate(url: url, fingerprint: leaf.fingerprint.lowercased()) != nil)
        #expect(read.certificate(url: url + "/", fingerprint: leaf.fingerprint) == nil)
        let other = LeafCertificate(der: Self.certificates[1])
        #expect(read.certificate(url: url, fingerprint: other.fingerprint) == nil)
    }

    @Test func anEntryWhoseCertificateIsNotItsFingerprintIsNoEntry() {
        let pinned = LeafCertificate(der: Self.certificates[0])
        let planted = LeafCertificate(der: Self.certificates[1])
        let text = "\(url) \(pinned.fingerprint) \(Base64.encode(planted.der))\n"
        #expect(KnownCertificates(text: text).certificate(url: url, fingerprint: pinned.fingerprint) == nil)
        // Cut short: the hash no longer matches, and no pin could be computed anyway.
        let cut = "\(url) \(pinned.fingerprint) \(Base64.encode(Array(pinned.der.prefix(100))))\n"
        #expect(KnownCertificates(text: cut).certificate(url: url, fingerprint: pinned.fingerprint) == nil)
    }

    @Test func malformedLinesAreLeftOut() {
        let leaf = LeafCertificate(der: Self.certificates[0])
        let good = "\(url) \(leaf.fingerprint) \(Base64.encode(leaf.der))"
        let text = ["# a comment", "\(url) \(leaf.fingerprint)", "http://plain \(leaf.fingerprint) AAAA",
                    "\(url) \(leaf.fingerprint) !!!", "\(good) extra", "", "\u{0}\u{FF}", good].joined(separator: "\n")
        let known = KnownCertificates(text: text)
        #expect(known.entries.count == 1)
        #expect(known.certificate(url: url, fingerprint: leaf.fingerprint) != nil)
    }

    @Test func oneEntryPerURLAndNoneForAURLTheFormatCannotHold() {
        var known = KnownCertificates()
        known.remember(url: url, certificate: LeafCertificate(der: Self.certificates[0]))
        known.remember(url: "https://127.0.0.2:8006", certificate: LeafCertificate(der: Self.certificates[0]))
        let renewed = LeafCertificate(der: Self.certificates[1])
        known.remember(url: url, certificate: renewed)
        #expect(known.entries.map(\.url) == [url, "https://127.0.0.2:8006"])
        #expect(known.certificate(url: url, fingerprint: renewed.fingerprint) != nil)
        let spaced = known.remember(url: "https://a b", certificate: renewed)
        let broken = known.remember(url: "https://a\nb", certificate: renewed)
        #expect(!spaced && !broken)
        #expect(known.entries.count == 2)
    }
}
