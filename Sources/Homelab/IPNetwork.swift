/// An IP network in CIDR notation ("192.168.10.0/24", "2001:db8::/64").
/// Parsing is strict: an address with host bits set is an error that names
/// the network that was probably meant; for "address on a network" (a
/// gateway, an interface) use `IPInterface`.
public struct IPNetwork: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let family: IPFamily
    public let prefixLength: Int
    /// The network address, right-aligned, host bits zero.
    let bits: UInt128

    public init(parsing text: String) throws {
        let (address, length) = try Self.split(text)
        try self.init(address: address, prefixLength: length)
    }

    /// Strict: `address` must be the network address of the prefix.
    public init(address: IPAddress, prefixLength: Int) throws {
        let network = try IPNetwork(containing: address, prefixLength: prefixLength)
        guard network.bits == address.bits else {
            throw HomelabError("\(address)/\(prefixLength) has host bits set; the network is \(network)")
        }
        self = network
    }

    /// The network of `prefixLength` bits that contains `address`.
    public init(containing address: IPAddress, prefixLength: Int) throws {
        let family = address.family
        guard (0...family.bitWidth).contains(prefixLength) else {
            throw HomelabError("prefix length \(prefixLength) is out of range for \(family.rawValue) (0-\(family.bitWidth))")
        }
        self.family = family
        self.prefixLength = prefixLength
        bits = address.bits & family.mask(prefixLength: prefixLength)
    }

    /// "ADDRESS/LENGTH" into its parts, shared with `IPInterface`.
    static func split(_ text: String) throws -> (IPAddress, Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw HomelabError("'\(text)' is not a network: expected ADDRESS/LENGTH, like 192.168.10.0/24 or 2001:db8::/64")
        }
        let address = try IPAddress(parsing: String(parts[0]))
        let lengthText = parts[1]
        guard !lengthText.isEmpty, lengthText.utf8.count <= 3,
              lengthText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              lengthText == "0" || lengthText.utf8.first != UInt8(ascii: "0"),
              let length = Int(lengthText)
        else {
            throw HomelabError("'\(text)' is not a network: the prefix length '\(lengthText)' is not a number 0-\(address.family.bitWidth)")
        }
        guard length <= address.family.bitWidth else {
            throw HomelabError("'\(text)' is not a network: prefix length \(length) is out of range for \(address.family.rawValue) (0-\(address.family.bitWidth))")
        }
        return (address, length)
    }

    public var hostBits: Int { family.bitWidth - prefixLength }

    var hostMask: UInt128 { family.allOnes & ~family.mask(prefixLength: prefixLength) }

    /// The first address of the network.
    public var network: IPAddress { IPAddress(family: family, bits: bits) }

    /// The last address (the broadcast address of an IPv4 network).
    public var lastAddress: IPAddress { IPAddress(family: family, bits: bits | hostMask) }

    /// The mask as an address, like 255.255.255.0 (OpenWrt wants this form).
    public var netmask: IPAddress { IPAddress(family: family, bits: family.mask(prefixLength: prefixLength)) }

    /// How many addresses the network spans. Only ::/0 has more (2^128)
    /// than UInt128 holds; it saturates at UInt128.max.
    public var addressCount: UInt128 {
        hostBits == 128 ? .max : UInt128(1) << hostBits
    }

    /// Addresses that can be given to hosts. IPv4 loses the network and
    /// broadcast addresses, except on point-to-point /31 (RFC 3021) and on
    /// /32; IPv6 has no broadcast, so every address counts.
    public var usableHostCount: UInt128 {
        guard family == .v4 else { return addressCount }
        switch prefixLength {
        case 32: return 1
        case 31: return 2
        default: return addressCount - 2
        }
    }

    /// The first and last addresses counted by `usableHostCount`.
    public var firstHost: IPAddress {
        IPAddress(family: family, bits: hasBroadcast ? bits + 1 : bits)
    }

    public var lastHost: IPAddress {
        IPAddress(family: family, bits: hasBroadcast ? (bits | hostMask) - 1 : bits | hostMask)
    }

    /// IPv4 networks of /30 and wider reserve their first and last address.
    var hasBroadcast: Bool { family == .v4 && prefixLength <= 30 }

    /// Whether `address` may be given to a host: in the network and neither
    /// its network nor its broadcast address.
    public func isUsableHost(_ address: IPAddress) -> Bool {
        contains(address) && address >= firstHost && address <= lastHost
    }

    /// The address `n` places into the network, like Terraform's cidrhost:
    /// 0 is the network address, 1 the first after it, -1 the last address
    /// (the broadcast address in IPv4), -2 the one before.
    public func host(_ n: Int) throws -> IPAddress {
        let count = addressCount
        let offset = UInt128(n.magnitude)
        if n >= 0 && offset < count {
            return IPAddress(family: family, bits: bits + offset)
        }
        if n < 0 && offset <= count {
            return IPAddress(family: family, bits: (bits | hostMask) - (offset - 1))
        }
        throw HomelabError("host \(n) is outside \(self), which has \(count) addresses (0 to \(count - 1), or -\(count) to -1 from the end)")
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.family == family && address.bits & family.mask(prefixLength: prefixLength) == bits
    }

    /// Whether every address of `other` is in this network.
    public func contains(_ other: IPNetwork) -> Bool {
        other.family == family && other.prefixLength >= prefixLength && contains(other.network)
    }

    /// Whether the two share any address; for CIDR blocks that means one
    /// contains the other.
    public func overlaps(_ other: IPNetwork) -> Bool {
        contains(other) || other.contains(self)
    }

    public var description: String { "\(network)/\(prefixLength)" }

    /// By family, then address, then wider before narrower.
    public static func < (a: IPNetwork, b: IPNetwork) -> Bool {
        if a.network != b.network { return a.network < b.network }
        return a.prefixLength < b.prefixLength
    }
}
