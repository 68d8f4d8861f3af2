/// Times as operators and APIs write them, read and written exactly: the
/// one time grammar of labsh (lab.prom, lab.alertmanager, lab.capacity,
/// the command line's "time" options).
///
/// A time is Unix seconds ("1795748400", "-1.5"), `now`, an offset from now
/// in the duration grammar ("-1h", "+30m", "-1h30m"), or RFC 3339 as
/// `ZonedTime` reads it ("2026-11-27T03:00:00Z", "...T04:00:00.250+01:00").
/// RFC 3339 is computed from its fields: the process's time zone never
/// enters.
public enum TimeText {
    /// Unix seconds of `text`; `now` is what "now" and offsets count from.
    public static func parse(_ text: String, now: Double) throws -> Double {
        if let number = decimal(text, signed: true) { return number }
        if text == "now" { return now }
        if let sign = text.first, sign == "+" || sign == "-", let span = try? DurationText.parse(String(text.dropFirst())) {
            let offset = Double(span.components.seconds)
            return sign == "-" ? now - offset : now + offset
        }
        if let zoned = try? ZonedTime(parsingRFC3339: text) {
            return Double(zoned.seconds) + Double(zoned.nanoseconds) / 1e9
        }
        throw HomelabError("expected Unix seconds, \"now\", \"-1h\" (from now) or RFC 3339 such as \"2026-11-27T03:00:00Z\"")
    }

    /// Seconds a duration stands for: a number of seconds written as
    /// decimal text ("15", "2.5"), or the duration grammar ("15s", "1h30m").
    public static func durationSeconds(_ text: String) throws -> Double {
        if let number = decimal(text, signed: false) { return number }
        guard let span = try? DurationText.parse(text) else {
            throw HomelabError("expected seconds or text such as \"15s\", \"1m\", \"1h30m\" (units s m h d w)")
        }
        return Double(span.components.seconds)
    }

    /// The times `rfc3339` writes: years 1 to 9999.
    public static let writable: ClosedRange<Double> = -62_135_596_800 ... 253_402_300_799

    /// RFC 3339 in UTC, with milliseconds when the time is not whole:
    /// 1795748400.25 is "2026-11-27T03:00:00.250Z". `seconds` is in `writable`.
    public static func rfc3339(_ seconds: Double) -> String {
        let millis = Int64((seconds * 1000).rounded())
        let text = ZonedTime(seconds: ZonedTime.floorDiv(millis, 1000)).description  // "...Z", no fraction
        let rest = ZonedTime.floorMod(millis, 1000)
        return rest == 0 ? text : text.dropLast() + "." + String(String(1000 + rest).dropFirst()) + "Z"
    }

    /// A time as the Prometheus API takes it: Unix seconds, without a
    /// fraction when whole ("1795741200"), else with milliseconds
    /// ("1795741200.250").
    public static func api(_ seconds: Double) -> String {
        let millis = Int64((seconds * 1000).rounded())
        if seconds == seconds.rounded(.down) { return String(millis / 1000) }
        return (millis < 0 ? "-" : "") + "\(millis.magnitude / 1000)." + String(String(1000 + millis.magnitude % 1000).dropFirst())
    }

    /// Decimal text: digits with an optional fraction ("15", "2.5"), and a
    /// leading "-" when `signed`. No exponent, hex, blanks or "inf".
    static func decimal(_ text: String, signed: Bool) -> Double? {
        let digits = signed && text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else { return nil }
        return Double(text).flatMap { $0.isFinite ? $0 : nil }
    }
}
