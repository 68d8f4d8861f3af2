/// An IPv4 address. Only the dotted quad is accepted: no "10.1" short forms
/// and no leading zeros, because tools disagree on them ("010" is 8 to
/// inet_aton and 10 to others) and an inventory must mean one thing.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt32

    public init(_ value: UInt32) {
        self.value = value
    }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public init(parsing text: String) throws {
        switch Self.parseDottedQuad(text[...]) {
        case .success(let value): self.value = value
        case .failure(let why): throw HomelabError("'\(text)' is not an IPv4 address: \(why)")
        }
    }

    public var octets: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    public var description: String {
        // Digit by digit: a model's every address is written out this way.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(15)
        for (i, octet) in octets.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ".")) }
            if octet >= 100 { bytes.append(UInt8(ascii: "0") + octet / 100) }
            if octet >= 10 { bytes.append(UInt8(ascii: "0") + octet / 10 % 10) }
            bytes.append(UInt8(ascii: "0") + octet % 10)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    /// Shared with IPv6 parsing, which embeds a dotted quad ("::ffff:1.2.3.4").
    /// The failure is the reason, worded to follow "is not an IPv4 address: ".
    static func parseDottedQuad(_ text: Substring) -> Result<UInt32, ReasonText> {
        if let value = fastDottedQuad(text) { return .success(value) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else {
            return .failure(ReasonText("expected four numbers 0-255 separated by dots, like 192.168.10.1"))
        }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 3,
                  part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else {
                return .failure(ReasonText("'\(part)' is not a number 0-255"))
            }
            if part.utf8.count > 1 && part.utf8.first == UInt8(ascii: "0") {
                return .failure(ReasonText("'\(part)' has a leading zero (some tools read that as octal)"))
            }
            let octet = UInt32(part)!
            guard octet <= 255 else { return .failure(ReasonText("\(octet) is larger than 255")) }
            value = value << 8 | octet
        }
        return .success(value)
    }
}

extension IPv4Address {
    /// The common case in one pass over the bytes: four numbers 0-255
    /// without leading zeros. Anything else goes the careful way, which
    /// also says what is wrong. (An inventory holds thousands of these.)
    static func fastDottedQuad(_ text: Substring) -> UInt32? {
        var value: UInt32 = 0, octet: UInt32 = 0, digits = 0, dots = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if digits == 0 { leadingZero = byte == UInt8(ascii: "0") } else if leadingZero { return nil }
                octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if digits > 3 || octet > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                (octet, digits, dots) = (0, 0, dots + 1)
            default:
                return nil
            }
        }
        guard digits > 0, dots == 3 else { return nil }
        return value << 8 | octet
    }
}

/// Why some text failed to parse, as a `Result` failure.
struct ReasonText: Error {
    let text: String
    init(_ text: String) { self.text = text }
}

extension ReasonText: CustomStringConvertible {
    var description: String { text }
}
