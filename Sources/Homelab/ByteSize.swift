/// An amount of storage or memory, exact to the byte. Inventories must say
/// which unit they mean: SI units (kB, MB, GB ... = powers of 1000, what disk
/// vendors print) and IEC units (KiB, MiB, GiB ... = powers of 1024, what
/// kernels and Proxmox report) are kept apart, because "16GB" of disk and
/// "16GiB" of RAM differ by 7%.
public struct ByteSize: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let bytes: Int64

    public init(bytes: Int64) {
        self.bytes = bytes
    }

    public enum UnitSystem: Sendable {
        /// Powers of 1000: kB, MB, GB, TB, PB, EB.
        case si
        /// Powers of 1024: KiB, MiB, GiB, TiB, PiB, EiB.
        case iec
    }

    /// The units, smallest first within each system.
    static let siUnits: [(symbol: String, factor: Int64)] = [
        ("kB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000),
        ("TB", 1_000_000_000_000), ("PB", 1_000_000_000_000_000),
        ("EB", 1_000_000_000_000_000_000),
    ]
    static let iecUnits: [(symbol: String, factor: Int64)] = [
        ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30),
        ("TiB", 1 << 40), ("PiB", 1 << 50), ("EiB", 1 << 60),
    ]

    /// Every unit `init(parsing:)` accepts, for help texts.
    public static let acceptedUnits: [String] =
        ["B"] + siUnits.map(\.symbol) + iecUnits.map(\.symbol)

    /// The common case in one pass over the bytes: whole digits and a unit,
    /// like "16GiB" or "512GB". Anything else (decimals, spaces, errors)
    /// goes the careful way. (An inventory holds thousands of sizes.)
    private static func fastParse(_ text: String) -> Int64? {
        var number: Int64 = 0
        var digits = 0
        var unit: Substring = ""
        var utf8 = text.utf8[...]
        while let byte = utf8.first, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, o1) = number.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            number = sum
            digits += 1
            utf8 = utf8.dropFirst()
        }
        guard digits > 0 else { return nil }
        unit = Substring(utf8)
        guard unit.utf8.allSatisfy({ ($0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z"))
                                     || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) }),
              let factor = factor(of: unit) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: factor)
        return overflow ? nil : bytes
    }

    private static func factor(of symbol: Substring) -> Int64? {
        // Byte by byte, no String comparison: this runs for every size of an
        // inventory. "kB" "MB" ... (powers of 1000), "KiB" "MiB" ... (1024).
        var bytes = (0 as UInt8, 0 as UInt8, 0 as UInt8)
        var count = 0
        for byte in symbol.utf8 {
            guard count < 3 else { return nil }
            switch count {
            case 0: bytes.0 = byte
            case 1: bytes.1 = byte
            default: bytes.2 = byte
            }
            count += 1
        }
        if count == 0 || (count == 1 && bytes.0 == UInt8(ascii: "B")) { return 1 }
        let powers: [UInt8] = [UInt8(ascii: "K"), UInt8(ascii: "M"), UInt8(ascii: "G"), UInt8(ascii: "T"),
                               UInt8(ascii: "P"), UInt8(ascii: "E")]
        if count == 2, bytes.1 == UInt8(ascii: "B") {
            let prefix = bytes.0 == UInt8(ascii: "k") ? UInt8(ascii: "K") : (bytes.0 == UInt8(ascii: "K") ? 0 : bytes.0)
            guard let i = powers.firstIndex(of: prefix) else { return nil }
            return siUnits[i].factor
        }
        if count == 3, bytes.1 == UInt8(ascii: "i"), bytes.2 == UInt8(ascii: "B"), let i = powers.firstIndex(of: bytes.0) {
            return iecUnits[i].factor
        }
        return nil
    }

    /// Reads "16GB", "512GiB", "1.5TB", "64 MiB" or plain bytes "1024".
    /// Units are case-sensitive on purpose: "16gb" or "16G" is an error that
    /// lists the accepted units rather than a guess.
    public init(parsing text: String) throws {
        if let bytes = Self.fastParse(text) {
            self.bytes = bytes
            return
        }
        let trimmed = text.trimmingSpaces
        func fail(_ why: String) -> HomelabError {
            HomelabError("'\(text)' is not a size: \(why)")
        }
        if trimmed.hasPrefix("-") { throw fail("sizes cannot be negative") }
        let numberEnd = trimmed.firstIndex { !("0"..."9").contains($0) && $0 != "." } ?? trimmed.endIndex
        let numberText = trimmed[..<numberEnd]
        let unitText = trimmed[numberEnd...].trimmingSpaces
        if numberText.isEmpty {
            throw fail("expected a number and a unit, like 16GB, 512GiB, 1.5TB or 1024 (bytes)")
        }
        guard let number = DecimalNumber(numberText) else {
            throw fail("'\(numberText)' is not a plain decimal number")
        }
        guard let factor = Self.factor(of: unitText) else {
            throw fail("unknown unit '\(unitText)'; use B, \(Self.siUnits.map(\.symbol).joined(separator: ", ")) "
                + "(powers of 1000) or \(Self.iecUnits.map(\.symbol).joined(separator: ", ")) (powers of 1024)")
        }
        // bytes = digits * factor / 10^scale, exactly: cancel common factors
        // first so no intermediate product can overflow.
        let denominator = powerOfTen(number.scale)
        let common = greatestCommonDivisor(UInt128(factor), denominator)
        let reducedFactor = UInt128(factor) / common
        let reducedDenominator = denominator / common
        guard number.digits % reducedDenominator == 0 else {
            throw fail("that is not a whole number of bytes")
        }
        let (bytes, overflow) = (number.digits / reducedDenominator).multipliedReportingOverflow(by: reducedFactor)
        guard !overflow, bytes <= UInt128(Int64.max) else {
            throw fail("larger than the largest size, \(Int64.max) bytes (about 8 EiB)")
        }
        self.bytes = Int64(bytes)
    }

    /// Rounded for people: "16 GB", "14.9 GiB", "512 B". Trailing zeros of
    /// the fraction are dropped; a value that rounds up to 1000 (1024) moves
    /// to the next unit ("1 TB", not "1000 GB").
    public func formatted(_ system: UnitSystem = .si, fractionDigits: Int = 1) -> String {
        let units = system == .si ? Self.siUnits : Self.iecUnits
        let base: UInt128 = system == .si ? 1000 : 1024
        let digits = max(0, min(fractionDigits, 18))
        let scale = powerOfTen(digits)
        let sign = bytes < 0 ? "-" : ""
        let magnitude = UInt128(bytes.magnitude)
        guard var unit = units.lastIndex(where: { UInt128($0.factor) <= magnitude }) else {
            return "\(sign)\(magnitude) B"
        }
        var scaled = Self.roundedDivision(magnitude * scale, UInt128(units[unit].factor))
        while scaled >= base * scale && unit + 1 < units.count {
            unit += 1
            scaled = Self.roundedDivision(magnitude * scale, UInt128(units[unit].factor))
        }
        return "\(sign)\(DecimalNumber(digits: scaled, scale: digits).text) \(units[unit].symbol)"
    }

    private static func roundedDivision(_ numerator: UInt128, _ denominator: UInt128) -> UInt128 {
        (numerator + denominator / 2) / denominator
    }

    /// Exact and parseable back to the same value: the largest unit of either
    /// system that divides the byte count ("512 GiB", "16 GB", "1536 B").
    public var description: String {
        let magnitude = bytes.magnitude
        let sign = bytes < 0 ? "-" : ""
        let best = (Self.siUnits + Self.iecUnits)
            .filter { magnitude != 0 && magnitude % UInt64($0.factor) == 0 }
            .max { $0.factor < $1.factor }
        guard let unit = best else { return "\(sign)\(magnitude) B" }
        return "\(sign)\(magnitude / UInt64(unit.factor)) \(unit.symbol)"
    }

    public static func < (a: ByteSize, b: ByteSize) -> Bool { a.bytes < b.bytes }
}

extension StringProtocol where SubSequence == Substring {
    /// Without leading and trailing spaces and tabs (no Foundation here).
    var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let s = self[...]
        guard let first = s.firstIndex(where: { !isSpace($0) }) else { return s[s.endIndex...] }
        let last = s.lastIndex { !isSpace($0) }!
        return s[first...last]
    }
}
