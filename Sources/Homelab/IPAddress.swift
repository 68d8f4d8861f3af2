/// IPv4 or IPv6, for everything that handles both (inventory addresses,
/// IPAM). Ordered v4 before v6, then numerically.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Text with a ':' is read as IPv6, anything else as IPv4, so the error
    /// explains the form the text was closest to.
    public init(parsing text: String) throws {
        if text.utf8.contains(UInt8(ascii: ":")) {
            self = .v6(try IPv6Address(parsing: text))
        } else {
            self = .v4(try IPv4Address(parsing: text))
        }
    }

    public var family: IPFamily {
        switch self {
        case .v4: return .v4
        case .v6: return .v6
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): return a.description
        case .v6(let a): return a.description
        }
    }

    /// The address as an unsigned number, right-aligned; lets prefix
    /// arithmetic be written once for both families.
    var bits: UInt128 {
        switch self {
        case .v4(let a): return UInt128(a.value)
        case .v6(let a): return a.value
        }
    }

    init(family: IPFamily, bits: UInt128) {
        switch family {
        case .v4: self = .v4(IPv4Address(UInt32(truncatingIfNeeded: bits)))
        case .v6: self = .v6(IPv6Address(bits))
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.family != b.family { return a.family == .v4 }
        return a.bits < b.bits
    }
}

public enum IPFamily: String, Hashable, Sendable {
    case v4 = "IPv4"
    case v6 = "IPv6"

    public var bitWidth: Int { self == .v4 ? 32 : 128 }

    /// All ones in the family's width.
    var allOnes: UInt128 { self == .v4 ? UInt128(UInt32.max) : .max }

    /// The network mask of a prefix length, right-aligned in the width.
    func mask(prefixLength: Int) -> UInt128 {
        prefixLength == 0 ? 0 : (allOnes << (bitWidth - prefixLength)) & allOnes
    }
}
