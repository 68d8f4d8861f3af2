extension IPAddress {
    /// The PTR owner name, fully qualified with the trailing dot as zone
    /// files need it: "5.10.168.192.in-addr.arpa." or 32 nibbles of
    /// ".ip6.arpa." (RFC 3596).
    public var reversePointer: String {
        switch self {
        case .v4(let a):
            return a.octets.reversed().map { String($0) }.joined(separator: ".") + ".in-addr.arpa."
        case .v6(let a):
            return nibbleLabels(a.value, count: 32).joined(separator: ".") + ".ip6.arpa."
        }
    }
}

/// The lowest `count` hex digits of `value`, least significant first.
private func nibbleLabels(_ value: UInt128, count: Int, skipping low: Int = 0) -> [String] {
    (low..<(low + count)).map { String(UInt8(truncatingIfNeeded: value >> (4 * $0)) & 0xf, radix: 16) }
}

extension IPNetwork {
    /// The reverse zones (names without the trailing dot, as BIND's `zone`
    /// statement takes them) that hold the PTR records of this network.
    /// Reverse zones are cut at label boundaries (octets for IPv4, nibbles for
    /// IPv6), so a prefix between boundaries is split into the zones below
    /// it: a /24 is one zone, a /23 two, a /20 sixteen. An IPv4 network
    /// narrower than /24 lives in its /24's zone (classless RFC 2317
    /// delegation is not attempted).
    public var reverseZones: [String] {
        let step = family == .v4 ? 8 : 4
        let zoneLength: Int
        if family == .v4 && prefixLength > 24 {
            zoneLength = 24
        } else {
            zoneLength = (prefixLength + step - 1) / step * step
        }
        let labels = zoneLength / step
        let totalLabels = family.bitWidth / step
        let suffix = family == .v4 ? "in-addr.arpa" : "ip6.arpa"
        let base = bits & family.mask(prefixLength: min(prefixLength, zoneLength))
        let zoneCount = zoneLength > prefixLength ? 1 << (zoneLength - prefixLength) : 1
        return (0..<zoneCount).map { i in
            let zoneBits = base + UInt128(i) << (family.bitWidth - zoneLength)
            let names: [String]
            if family == .v4 {
                names = (0..<labels).map { String(UInt8(truncatingIfNeeded: zoneBits >> (8 * (3 - $0)))) }.reversed()
            } else {
                names = nibbleLabels(zoneBits, count: labels, skipping: totalLabels - labels)
            }
            return (names + [suffix]).joined(separator: ".")
        }
    }
}
