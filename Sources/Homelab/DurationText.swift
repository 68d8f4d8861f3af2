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

extension DurationText {
    /// The one duration grammar of labsh (inventories, lab.job, lab.prom,
    /// the command line): whole numbers with a unit, s m h d w, written
    /// together ("30s", "15m", "4h", "7d", "2w", "1h30m"). No fractions, no
    /// milliseconds, no years: a year is not a fixed number of seconds.
    public static func parse(_ text: String) throws -> Duration {
        func notADuration() -> HomelabError {
            HomelabError("'\(text)' is not a duration (like 30s, 15m, 4h, 7d, 2w or 1h30m)")
        }
        var total: Int64 = 0
        var number: Int64?  // the digits read since the last unit
        var sawUnit = false
        for byte in text.utf8 {
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                let (tenfold, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (next, o2) = tenfold.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !o1, !o2 else { throw HomelabError("duration '\(text)' is too long") }
                number = next
                continue
            }
            guard let n = number, let unit = secondsPerUnit(byte) else { throw notADuration() }
            let (product, o1) = n.multipliedReportingOverflow(by: unit)
            let (sum, o2) = total.addingReportingOverflow(product)
            guard !o1, !o2 else { throw HomelabError("duration '\(text)' is too long") }
            total = sum
            number = nil
            sawUnit = true
        }
        guard sawUnit, number == nil else { throw notADuration() }
        return .seconds(total)
    }

    private static func secondsPerUnit(_ byte: UInt8) -> Int64? {
        switch byte {
        case UInt8(ascii: "s"): return 1
        case UInt8(ascii: "m"): return 60
        case UInt8(ascii: "h"): return 3600
        case UInt8(ascii: "d"): return 86_400
        case UInt8(ascii: "w"): return 604_800
        default: return nil
        }
    }
}
