/// Durations as operators write them: "3h 36m", "43m 12s", "4m 19.2s",
/// "1d 12h". Every unit from the largest non-zero one to the smallest
/// non-zero one is shown ("1h 0m 5s"); seconds keep up to three decimals.
public enum DurationText {
    public static func compact(_ duration: Duration) -> String {
        let attoseconds = duration.attosecondsTotal
        let sign = attoseconds < 0 ? "-" : ""
        // Round to whole milliseconds first, so 59.9996 s carries to 1m.
        let perMillisecond: Int128 = 1_000_000_000_000_000
        let milliseconds = (attoseconds.magnitude + UInt128(perMillisecond / 2)) / UInt128(perMillisecond)
        let units: [(symbol: String, milliseconds: UInt128)] = [
            ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000),
        ]
        var rest = milliseconds
        var amounts: [UInt128] = []
        for unit in units {
            amounts.append(rest / unit.milliseconds)
            rest %= unit.milliseconds
        }
        let fraction = rest  // milliseconds below a second
        let nonZero = amounts.indices.filter { amounts[$0] != 0 || ($0 == 3 && fraction != 0) }
        guard let first = nonZero.first, let last = nonZero.last else { return "0s" }
        let parts = (first...last).map { index -> String in
            if index == 3 && fraction != 0 {
                return DecimalNumber(digits: amounts[3] * 1000 + fraction, scale: 3).text + "s"
            }
            return "\(amounts[index])\(units[index].symbol)"
        }
        return sign + parts.joined(separator: " ")
    }
}
