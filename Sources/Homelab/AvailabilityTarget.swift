/// An availability objective such as 99.5%. Kept as the decimal digits that
/// were written (995/1000), not a Double, so budgets come out exact: 99.5%
/// of 30 days leaves exactly 12,960 s.
public struct AvailabilityTarget: Hashable, Sendable, CustomStringConvertible {
    /// The available fraction of time: `fraction.digits / 10^fraction.scale`.
    let fraction: DecimalNumber

    /// At most 18 digits after the point of the fraction (16 after the percent
    /// point), so a budget is exact in Duration's attoseconds.
    static let maxScale = 18

    /// "99.5%", "99.5" (a number above 1 is a percentage) or "0.995" (a
    /// fraction). "1" means 100%.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSpaces
        let isPercent = trimmed.hasSuffix("%")
        let numberText = isPercent ? trimmed.dropLast().trimmingSpaces : trimmed
        guard let number = DecimalNumber(numberText) else {
            throw HomelabError("'\(text)' is not an availability target: expected a percentage like 99.5% or 99.95, or a fraction like 0.995")
        }
        let treatAsPercent = isPercent || number.digits > powerOfTen(number.scale)
        try self.init(number, isPercent: treatAsPercent, original: text)
    }

    /// 99.95 means 99.95%. Read through its shortest decimal text, which is
    /// what was written in the source, so no binary rounding gets in.
    public init(percent: Double) throws {
        let text = percent.description
        try self.init(Self.decimal(percent, text), isPercent: true, original: text + "%")
    }

    /// 0.9995 means 99.95%.
    public init(fraction: Double) throws {
        let text = fraction.description
        try self.init(Self.decimal(fraction, text), isPercent: false, original: text)
    }

    private static func decimal(_ value: Double, _ text: String) throws -> DecimalNumber {
        guard value.isFinite, value >= 0, let number = DecimalNumber(text) else {
            throw HomelabError("\(text) is not an availability target: expected a percentage like 99.5 or a fraction like 0.995")
        }
        return number
    }

    private init(_ number: DecimalNumber, isPercent: Bool, original: String) throws {
        let fraction = isPercent ? DecimalNumber(digits: number.digits, scale: number.scale + 2) : number
        guard fraction.digits > 0, fraction.digits <= powerOfTen(fraction.scale) else {
            throw HomelabError("'\(original)' is not an availability target: it must be above 0% and at most 100%")
        }
        guard fraction.scale <= Self.maxScale else {
            throw HomelabError("'\(original)' has too many decimal places; at most 16 after the percent's point")
        }
        self.fraction = fraction
    }

    /// "99.5%".
    public var description: String { percentText + "%" }

    /// The percentage without the sign: "99.95".
    public var percentText: String {
        DecimalNumber(digits: fraction.digits, scale: fraction.scale - 2).textAllowingNegativeScale
    }

    /// For display only; arithmetic uses the digits.
    public var percent: Double { Double(percentText)! }
}

extension DecimalNumber {
    /// `text`, also for a scale below zero (digits * 10^-scale).
    var textAllowingNegativeScale: String {
        scale >= 0 ? text : String(digits) + String(repeating: "0", count: -scale)
    }
}
