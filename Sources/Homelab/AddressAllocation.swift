extension IPNetwork {
    /// The lowest address that can still be handed out: a usable host (see
    /// `usableHostCount`) that is neither the gateway nor in `used`. In IPv6
    /// the network address is skipped too: it is the subnet-router anycast
    /// address (RFC 4291 2.6.1), except on /127 and /128 (RFC 6164).
    /// Nil when the network is full. Addresses of the other family or
    /// outside the network in `used` are ignored.
    public func nextFree(used: Set<IPAddress>, gateway: IPAddress? = nil) -> IPAddress? {
        var candidate = firstHost.bits
        let last = lastHost.bits
        if family == .v6 && prefixLength < 127 { candidate += 1 }
        // Every step past `candidate` is caused by a taken address, so the
        // loop ends after at most used.count + 2 steps even in a /64.
        while candidate <= last {
            let address = IPAddress(family: family, bits: candidate)
            if address != gateway && !used.contains(address) { return address }
            if candidate == last { break }
            candidate += 1
        }
        return nil
    }
}
