/// An IPv6 address: every RFC 4291 text form is read ("::" once, an embedded
/// dotted quad as the last 32 bits), and it is written in the RFC 5952
/// canonical form, so two spellings of one address print the same.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt128

    public init(_ value: UInt128) {
        self.value = value
    }

    /// From eight 16-bit groups, most significant first.
    public init(groups: [UInt16]) {
        precondition(groups.count == 8, "an IPv6 address has eight groups")
        value = groups.reduce(0) { $0 << 16 | UInt128($1) }
    }

    public init(parsing text: String) throws {
        switch Self.parse(text[...]) {
        case .success(let value): self.value = value
        case .failure(let why): throw HomelabError("'\(text)' is not an IPv6 address: \(why)")
        }
    }

    public var groups: [UInt16] {
        (0..<8).map { UInt16(truncatingIfNeeded: value >> (16 * (7 - $0))) }
    }

    /// The IPv4 address inside an IPv4-mapped address (::ffff:0:0/96).
    public var ipv4Mapped: IPv4Address? {
        value >> 32 == 0xffff ? IPv4Address(UInt32(truncatingIfNeeded: value)) : nil
    }

    /// RFC 5952: lower-case hex without leading zeros; the longest run of two
    /// or more zero groups (the first of equal runs) becomes "::"; IPv4-mapped
    /// addresses end in a dotted quad.
    public var description: String {
        if let v4 = ipv4Mapped { return "::ffff:\(v4)" }
        let groups = self.groups
        var bestStart = -1, bestLength = 0
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < 8 && groups[index] == 0 { index += 1 }
            if index - start > bestLength { (bestStart, bestLength) = (start, index - start) }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    public static func < (a: IPv6Address, b: IPv6Address) -> Bool { a.value < b.value }

    private static let expected = "expected eight groups of 1-4 hex digits separated by ':', "
        + "or fewer with one '::', like 2001:db8::1"

    static func parse(_ text: Substring) -> Result<UInt128, ReasonText> {
        if text.isEmpty { return .failure(ReasonText(expected)) }
        if text.contains("%") {
            return .failure(ReasonText("zone indexes like %eth0 are not accepted; give the address alone"))
        }
        if text.contains(":::") { return .failure(ReasonText("':::' is not allowed; '::' stands for the zero groups")) }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        if halves.count > 2 { return .failure(ReasonText("'::' may appear only once")) }
        let compressed = halves.count == 2

        func groups(of half: Substring, isLast: Bool) -> Result<[UInt16], ReasonText> {
            if half.isEmpty { return .success([]) }
            let parts = half.split(separator: ":", omittingEmptySubsequences: false)
            var result: [UInt16] = []
            for (i, part) in parts.enumerated() {
                if part.isEmpty {
                    return .failure(ReasonText("a single ':' at the start or end, or an empty group; " + expected))
                }
                if part.contains(".") {
                    guard isLast && i == parts.count - 1 else {
                        return .failure(ReasonText("an IPv4 part ('\(part)') may only be the last 32 bits"))
                    }
                    switch IPv4Address.parseDottedQuad(part) {
                    case .success(let v4): result += [UInt16(v4 >> 16), UInt16(v4 & 0xffff)]
                    case .failure(let why): return .failure(ReasonText("its IPv4 part '\(part)' is invalid: \(why)"))
                    }
                    continue
                }
                guard part.utf8.count <= 4 else {
                    return .failure(ReasonText("group '\(part)' has more than four hex digits"))
                }
                guard part.utf8.allSatisfy(isHexDigit) else {
                    return .failure(ReasonText("group '\(part)' is not hexadecimal"))
                }
                result.append(UInt16(part, radix: 16)!)
            }
            return .success(result)
        }

        let head: [UInt16], tail: [UInt16]
        switch groups(of: halves[0], isLast: !compressed) {
        case .success(let g): head = g
        case .failure(let why): return .failure(why)
        }
        if compressed {
            switch groups(of: halves[1], isLast: true) {
            case .success(let g): tail = g
            case .failure(let why): return .failure(why)
            }
        } else {
            tail = []
        }
        let count = head.count + tail.count
        if compressed && count > 7 {
            return .failure(ReasonText("'::' must stand for at least one zero group, but there are already \(count) groups"))
        }
        if !compressed && count != 8 {
            return .failure(ReasonText("\(count) groups; " + expected))
        }
        let all = head + Array(repeating: 0, count: 8 - count) + tail
        return .success(all.reduce(0) { $0 << 16 | UInt128($1) })
    }
}

private func isHexDigit(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"):
        return true
    default:
        return false
    }
}
