/// What the parser reports, in document order. Strings and keys come as
/// bytes: a slice of the input when the text had no escapes, else a decoded
/// scratch buffer; either is valid only during the call.
public protocol JSONSink {
    mutating func beginObject() throws
    mutating func key(_ bytes: UnsafeRawBufferPointer) throws
    mutating func endObject() throws
    mutating func beginArray() throws
    mutating func endArray() throws
    mutating func string(_ bytes: UnsafeRawBufferPointer) throws
    mutating func integer(_ value: Int64) throws
    mutating func double(_ value: Double) throws
    mutating func bool(_ value: Bool) throws
    mutating func null() throws
}

/// RFC 8259 JSON, strictly: one value, UTF-8 only, no comments, no trailing
/// commas, no NaN. Integers that fit in Int64 are integers; other numbers are
/// correctly rounded doubles; a number beyond the double range is an error.
/// Iterative, with a depth limit, so hostile input cannot exhaust the stack.
///
/// Generic and @inlinable so that a caller in another module (the Lua sink)
/// gets a specialized copy with direct calls.
public enum JSONParser {
    public static let defaultMaxDepth = 1000

    @inlinable
    public static func parse<S: JSONSink>(_ input: UnsafeRawBufferPointer, into sink: inout S,
                                          maxDepth: Int = defaultMaxDepth) throws {
        var reader = JSONReader(input)
        try reader.run(&sink, maxDepth: maxDepth)
    }

    /// Convenience for tests and small inputs.
    @inlinable
    public static func parse<S: JSONSink>(_ bytes: [UInt8], into sink: inout S,
                                          maxDepth: Int = defaultMaxDepth) throws {
        try bytes.withUnsafeBytes { try parse($0, into: &sink, maxDepth: maxDepth) }
    }
}

@usableFromInline
struct JSONReader {
    @usableFromInline let input: UnsafeRawBufferPointer
    @usableFromInline let b: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var p = 0
    /// Decoded text of strings with escapes.
    @usableFromInline var scratch: [UInt8] = []

    @inlinable
    init(_ input: UnsafeRawBufferPointer) {
        self.input = input
        // An empty buffer may have no address; it is never read then.
        self.b = input.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        self.end = input.count
    }

    @inlinable
    mutating func run<S: JSONSink>(_ sink: inout S, maxDepth: Int) throws {
        var stack: [Bool] = []  // open containers: true for an object
        stack.reserveCapacity(32)
        outer: while true {
            // A value at p.
            skipSpace()
            guard p < end else { throw expected("a value") }
            switch b[p] {
            case 0x7B:  // {
                guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels", p) }
                p += 1
                try sink.beginObject()
                skipSpace()
                if p < end && b[p] == 0x7D {
                    p += 1
                    try sink.endObject()
                } else {
                    stack.append(true)
                    try key(&sink, first: true)
                    continue outer
                }
            case 0x5B:  // [
                guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels", p) }
                p += 1
                try sink.beginArray()
                skipSpace()
                if p < end && b[p] == 0x5D {
                    p += 1
                    try sink.endArray()
                } else {
                    stack.append(false)
                    continue outer
                }
            case 0x22:
                try string(&sink, isKey: false)
            case 0x2D, 0x30...0x39:
                try number(&sink)
            case 0x74:
                try literal("true")
                try sink.bool(true)
            case 0x66:
                try literal("false")
                try sink.bool(false)
            case 0x6E:
                try literal("null")
                try sink.null()
            default:
                throw expected("a value")
            }
            // After a value: close containers until one takes another value.
            while true {
                guard let isObject = stack.last else {
                    skipSpace()
                    if p != end { throw expected("end of input") }
                    return
                }
                skipSpace()
                guard p < end else { throw expected(isObject ? "',' or '}'" : "',' or ']'") }
                let c = b[p]
                if c == 0x2C {
                    p += 1
                    if isObject { try key(&sink, first: false) }
                    continue outer
                }
                if isObject && c == 0x7D {
                    p += 1
                    stack.removeLast()
                    try sink.endObject()
                } else if !isObject && c == 0x5D {
                    p += 1
                    stack.removeLast()
                    try sink.endArray()
                } else {
                    throw expected(isObject ? "',' or '}'" : "',' or ']'")
                }
            }
        }
    }

    @inlinable @inline(__always)
    mutating func skipSpace() {
        while p < end {
            let c = b[p]
            guard c <= 0x20 && (c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09) else { return }
            p += 1
        }
    }

    /// `"key" :` of an object member.
    @inlinable
    mutating func key<S: JSONSink>(_ sink: inout S, first: Bool) throws {
        skipSpace()
        guard p < end && b[p] == 0x22 else { throw expected(first ? "a string key or '}'" : "a string key") }
        try string(&sink, isKey: true)
        skipSpace()
        guard p < end && b[p] == 0x3A else { throw expected("':'") }
        p += 1
    }

    @inlinable
    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        let w = word.utf8Start
        var i = 0
        while i < n {
            guard p + i < end && b[p + i] == w[i] else { throw fail("invalid literal, expected '\(word)'", p) }
            i += 1
        }
        p += n
    }

    // ---- Strings ---------------------------------------------------------

    /// A string starting at the quote at p.
    @inlinable
    mutating func string<S: JSONSink>(_ sink: inout S, isKey: Bool) throws {
        p += 1
        let start = p
        while true {
            // Eight plain bytes at a time: no quote, backslash, control or non-ASCII byte.
            while p + 8 <= end {
                let x = UnsafeRawPointer(b + p).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
                let quote = x ^ (ones &* 0x22), slash = x ^ (ones &* 0x5C)
                let below = (x &- ones &* 0x20) & ~x
                let special = below | ((quote &- ones) & ~quote) | ((slash &- ones) & ~slash) | x
                if special & highs != 0 { break }
                p += 8
            }
            guard p < end else { throw fail("unterminated string", start - 1) }
            let c = b[p]
            if c == 0x22 {
                let bytes = UnsafeRawBufferPointer(start: b + start, count: p - start)
                p += 1
                if isKey { try sink.key(bytes) } else { try sink.string(bytes) }
                return
            }
            if c == 0x5C {
                try escapedString(&sink, isKey: isKey, start: start)
                return
            }
            if c < 0x20 { throw controlCharacter(c) }
            if c >= 0x80 {
                let n = UTF8Check.sequenceLength(b, p, end)
                guard n > 0 else { throw fail("invalid UTF-8 in string", p) }
                p += n
            } else {
                p += 1
            }
        }
    }

    /// The rest of a string with escapes, decoded into `scratch`.
    @inlinable
    mutating func escapedString<S: JSONSink>(_ sink: inout S, isKey: Bool, start: Int) throws {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(start: b + start, count: p - start))
        while true {
            guard p < end else { throw fail("unterminated string", start - 1) }
            let c = b[p]
            if c == 0x22 {
                p += 1
                try scratch.withUnsafeBytes { bytes in
                    if isKey { try sink.key(bytes) } else { try sink.string(bytes) }
                }
                return
            }
            if c == 0x5C {
                guard p + 1 < end else { throw fail("unterminated string", start - 1) }
                let e = b[p + 1]
                switch e {
                case 0x22, 0x5C, 0x2F: scratch.append(e)
                case 0x62: scratch.append(0x08)
                case 0x66: scratch.append(0x0C)
                case 0x6E: scratch.append(0x0A)
                case 0x72: scratch.append(0x0D)
                case 0x74: scratch.append(0x09)
                case 0x75:
                    try unicodeEscape()
                    continue
                default:
                    throw fail("invalid escape '\\\(Self.show(e))' in string", p)
                }
                p += 2
            } else if c < 0x20 {
                throw controlCharacter(c)
            } else if c >= 0x80 {
                let n = UTF8Check.sequenceLength(b, p, end)
                guard n > 0 else { throw fail("invalid UTF-8 in string", p) }
                scratch.append(contentsOf: UnsafeBufferPointer(start: b + p, count: n))
                p += n
            } else {
                scratch.append(c)
                p += 1
            }
        }
    }

    /// `\uXXXX` at p (a surrogate pair takes two), appended as UTF-8.
    @inlinable
    mutating func unicodeEscape() throws {
        let at = p
        var code = try hex4(p + 2)
        p += 6
        if code >= 0xD800 && code <= 0xDBFF {
            guard p + 1 < end && b[p] == 0x5C && b[p + 1] == 0x75, let low = try? hex4(p + 2),
                  low >= 0xDC00 && low <= 0xDFFF else {
                throw fail("lone surrogate \\u\(Self.hex(code)) (a high surrogate needs a low one after it)", at)
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            p += 6
        } else if code >= 0xDC00 && code <= 0xDFFF {
            throw fail("lone surrogate \\u\(Self.hex(code)) (a low surrogate without a high one)", at)
        }
        switch code {
        case 0..<0x80:
            scratch.append(UInt8(code))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | code >> 6))
            scratch.append(UInt8(0x80 | code & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | code >> 12))
            scratch.append(UInt8(0x80 | code >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | code & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | code >> 18))
            scratch.append(UInt8(0x80 | code >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | code >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | code & 0x3F))
        }
    }

    @inlinable
    func hex4(_ q: Int) throws -> UInt32 {
        guard q + 4 <= end else { throw fail("invalid \\u escape: expected 4 hex digits", q - 2) }
        var v: UInt32 = 0
        for i in 0..<4 {
            let c = b[q + i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw fail("invalid \\u escape: expected 4 hex digits", q - 2)
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    // ---- Numbers ---------------------------------------------------------

    /// Exact powers of ten: a decimal of at most 2^53 times one of these is
    /// one correctly rounded multiplication or division (Clinger's fast path).
    @usableFromInline
    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inlinable
    mutating func number<S: JSONSink>(_ sink: inout S) throws {
        let start = p
        let negative = b[p] == 0x2D
        if negative { p += 1 }
        guard p < end, b[p] &- 0x30 < 10 else { throw fail("invalid number: expected a digit", p) }
        var mantissa: UInt64 = 0
        var digits = 0     // significant digits in mantissa (at most 19: no overflow)
        var exponent = 0   // value = mantissa * 10^exponent
        var dropped = false
        var isInteger = true
        if b[p] == 0x30 {
            p += 1
            if p < end && b[p] &- 0x30 < 10 { throw fail("invalid number: leading zero", start) }
        } else {
            while p < end {
                let d = b[p] &- 0x30
                guard d < 10 else { break }
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    digits += 1
                } else {
                    exponent += 1
                    dropped = true
                }
                p += 1
            }
        }
        if p < end && b[p] == 0x2E {
            isInteger = false
            p += 1
            guard p < end, b[p] &- 0x30 < 10 else { throw fail("invalid number: expected a digit after '.'", p) }
            while p < end {
                let d = b[p] &- 0x30
                guard d < 10 else { break }
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else if d != 0 {
                    dropped = true
                }
                p += 1
            }
        }
        if p < end && b[p] | 0x20 == 0x65 {
            isInteger = false
            p += 1
            var negativeExponent = false
            if p < end && (b[p] == 0x2B || b[p] == 0x2D) {
                negativeExponent = b[p] == 0x2D
                p += 1
            }
            guard p < end, b[p] &- 0x30 < 10 else { throw fail("invalid number: expected a digit in the exponent", p) }
            var e = 0
            while p < end {
                let d = b[p] &- 0x30
                guard d < 10 else { break }
                if e < 1_000_000 { e = e * 10 + Int(d) }
                p += 1
            }
            exponent += negativeExponent ? -e : e
        }
        if isInteger && !dropped {
            if negative {
                if mantissa <= 1 << 63 { return try sink.integer(Int64(bitPattern: 0 &- mantissa)) }
            } else if mantissa <= UInt64(Int64.max) {
                return try sink.integer(Int64(mantissa))
            }
            // Beyond Int64: a double, like any other number.
        }
        if mantissa == 0 { return try sink.double(negative ? -0.0 : 0.0) }
        if !dropped && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            var d = Double(mantissa)
            if exponent < 0 { d /= Self.powersOfTen[-exponent] } else { d *= Self.powersOfTen[exponent] }
            return try sink.double(negative ? -d : d)
        }
        try sink.double(slowDouble(start))
    }

    /// Any other number, correctly rounded by the C library (Swift's parser
    /// uses strtod in the C locale).
    @usableFromInline @inline(never)
    func slowDouble(_ start: Int) throws -> Double {
        let text = String(decoding: UnsafeBufferPointer(start: b + start, count: p - start), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            throw fail("number out of range (beyond ±1.8e308)", start)
        }
        return d
    }

    // ---- Errors (built only on failure) -----------------------------------

    @usableFromInline @inline(never)
    func fail(_ message: String, _ at: Int) -> JSONError {
        JSONError(message, at: at, in: input)
    }

    @usableFromInline @inline(never)
    func expected(_ what: String) -> JSONError {
        let found = p < end ? Self.describe(b[p]) : "end of input"
        return fail("expected \(what), found \(found)", p)
    }

    @usableFromInline @inline(never)
    func controlCharacter(_ c: UInt8) -> JSONError {
        fail("control character U+00\(Self.hex(UInt32(c)).suffix(2)) in string (must be escaped)", p)
    }

    @usableFromInline
    static func describe(_ c: UInt8) -> String {
        c >= 0x21 && c < 0x7F ? "'\(show(c))'" : "byte 0x\(hex(UInt32(c)).suffix(2))"
    }

    @usableFromInline
    static func show(_ c: UInt8) -> String {
        c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : "\\x" + hex(UInt32(c)).suffix(2)
    }

    @usableFromInline
    static func hex(_ v: UInt32) -> String {
        let digits = Array("0123456789ABCDEF")
        return String((0..<4).reversed().map { digits[Int(v >> (4 * UInt32($0)) & 0xF)] })
    }
}
