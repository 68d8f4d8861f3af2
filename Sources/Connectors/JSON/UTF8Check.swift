/// Strict UTF-8 (Unicode table 3-7): no overlong forms, no encoded
/// surrogates, nothing past U+10FFFF. Shared by the parser and the writer.
public enum UTF8Check {
    /// Length of the valid sequence starting with non-ASCII byte `b[p]`
    /// (p < end), or 0 if it is not valid UTF-8.
    @inlinable @inline(__always)
    public static func sequenceLength(_ b: UnsafePointer<UInt8>, _ p: Int, _ end: Int) -> Int {
        let c0 = b[p]
        @inline(__always) func cont(_ i: Int) -> Bool { p + i < end && b[p + i] & 0xC0 == 0x80 }
        @inline(__always) func second(_ lo: UInt8, _ hi: UInt8) -> Bool {
            p + 1 < end && b[p + 1] >= lo && b[p + 1] <= hi
        }
        switch c0 {
        case 0xC2...0xDF:
            return cont(1) ? 2 : 0
        case 0xE0:
            return second(0xA0, 0xBF) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(1) && cont(2) ? 3 : 0
        case 0xED:  // U+D000...U+D7FF: not the surrogates
            return second(0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0:
            return second(0x90, 0xBF) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4:
            return second(0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default:
            return 0
        }
    }
}
