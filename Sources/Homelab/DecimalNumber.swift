/// A non-negative decimal read exactly from text, `digits / 10^scale`.
/// Sizes ("1.5TB") and SLO targets ("99.95") go through this instead of
/// `Double`, whose binary fractions would make 99.95% budgets drift.
struct DecimalNumber: Hashable, Sendable {
    var digits: UInt128
    /// How many of `digits` are after the decimal point.
    var scale: Int

    /// Strict: ASCII digits with at most one '.' that has digits on both
    /// sides. No sign, exponent or spaces. Nil for anything else and for more
    /// than 36 significant digits (what UInt128 holds with room to spare).
    init?<S: StringProtocol>(_ text: S) {
        var digits: UInt128 = 0
        var scale = 0
        var count = 0
        var sawPoint = false
        var digitsBeforePoint = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                count += 1
                if count > 36 { return nil }
                digits = digits * 10 + UInt128(byte - UInt8(ascii: "0"))
                if sawPoint { scale += 1 } else { digitsBeforePoint += 1 }
            case UInt8(ascii: "."):
                if sawPoint { return nil }
                sawPoint = true
            default:
                return nil
            }
        }
        if digitsBeforePoint == 0 || (sawPoint && scale == 0) { return nil }
        self.digits = digits
        self.scale = scale
        normalize()
    }

    init(digits: UInt128, scale: Int) {
        self.digits = digits
        self.scale = scale
        normalize()
    }

    /// Drops trailing fractional zeros, so "1.50" and "1.5" compare equal.
    private mutating func normalize() {
        while scale > 0 && digits % 10 == 0 {
            digits /= 10
            scale -= 1
        }
    }

    /// The number as text, like "99.95" (no exponent, no trailing zeros).
    var text: String {
        if scale == 0 { return String(digits) }
        var s = String(digits)
        if s.count <= scale { s = String(repeating: "0", count: scale - s.count + 1) + s }
        s.insert(".", at: s.index(s.endIndex, offsetBy: -scale))
        return s
    }
}

/// 10^n for n in 0...38 (the largest that fits in UInt128).
func powerOfTen(_ n: Int) -> UInt128 {
    precondition(n >= 0 && n <= 38, "10^\(n) does not fit in UInt128")
    var result: UInt128 = 1
    for _ in 0..<n { result *= 10 }
    return result
}

func greatestCommonDivisor(_ a: UInt128, _ b: UInt128) -> UInt128 {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}
