/// Appends JSON text to a byte buffer, value by value. The caller says what
/// comes (begin/end, keys, values); the writer places the commas, colons and,
/// when `pretty`, newlines and two-space indentation. Strings must be UTF-8;
/// doubles must be finite (JSON has no NaN or infinity).
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    public let pretty: Bool
    @usableFromInline var depth = 0
    @usableFromInline var first = true      // nothing written yet in the open container
    @usableFromInline var afterKey = false  // a key was written: its value needs no comma

    public init(pretty: Bool = false, capacity: Int = 256) {
        self.pretty = pretty
        bytes.reserveCapacity(capacity)
    }

    /// Nesting level of the open containers (0 at the top).
    public var level: Int { depth }

    public mutating func beginObject() { separator(); bytes.append(0x7B); open() }
    public mutating func endObject() { close(0x7D) }
    public mutating func beginArray() { separator(); bytes.append(0x5B); open() }
    public mutating func endArray() { close(0x5D) }

    /// An object member's key; the next call writes its value.
    public mutating func key(_ s: UnsafeRawBufferPointer) throws {
        separator()
        try appendString(s)
        bytes.append(0x3A)
        if pretty { bytes.append(0x20) }
        afterKey = true
    }

    /// An object member, `key` and its string `value`; nothing when the
    /// value is nil (a line's optional fields).
    public mutating func member(_ key: StaticString, _ value: String?) throws {
        guard let value else { return }
        key.withUTF8Buffer { _ = try? self.key(UnsafeRawBufferPointer($0)) }  // a literal: valid UTF-8
        try string(value)
    }

    public mutating func string(_ s: UnsafeRawBufferPointer) throws {
        separator()
        try appendString(s)
    }

    public mutating func string(_ s: String) throws {
        var s = s
        try s.withUTF8 { try string(UnsafeRawBufferPointer($0)) }
    }

    public mutating func null() {
        separator()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    public mutating func bool(_ v: Bool) {
        separator()
        if v { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) }
        else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
    }

    /// Exact decimal digits.
    public mutating func integer(_ v: Int64) {
        separator()
        var magnitude = v.magnitude
        if v < 0 { bytes.append(0x2D) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var i = 20
            repeat {
                i -= 1
                buf[i] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
            } while magnitude != 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<20]))
        }
    }

    /// The shortest text that reads back as the same double (Swift's
    /// `description` is shortest round-trip); "1.0", not "1", so that a
    /// float stays a float when read back.
    public mutating func double(_ v: Double) throws {
        guard v.isFinite else {
            throw JSONError("cannot encode \(v.isNaN ? "NaN" : v < 0 ? "-inf" : "inf") (JSON has no NaN or infinity)")
        }
        separator()
        var text = v.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    // ---- Layout ----------------------------------------------------------

    @inline(__always)
    mutating func separator() {
        if afterKey {
            afterKey = false
            return
        }
        guard depth > 0 else { return }
        if !first { bytes.append(0x2C) }
        first = false
        if pretty { newline() }
    }

    @inline(__always)
    mutating func open() {
        depth += 1
        first = true
    }

    mutating func close(_ bracket: UInt8) {
        depth -= 1
        if pretty && !first { newline() }
        bytes.append(bracket)
        first = false
    }

    mutating func newline() {
        bytes.append(0x0A)
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    // ---- Strings ---------------------------------------------------------

    mutating func appendString(_ s: UnsafeRawBufferPointer) throws {
        bytes.append(0x22)
        if let base = s.baseAddress?.assumingMemoryBound(to: UInt8.self) {
            let end = s.count
            var p = 0, run = 0  // bytes run..<p are copied as they are
            while p < end {
                let c = base[p]
                if c >= 0x20 && c < 0x80 && c != 0x22 && c != 0x5C {
                    p += 1
                    continue
                }
                if c >= 0x80 {
                    let n = UTF8Check.sequenceLength(base, p, end)
                    guard n > 0 else { throw JSONError("string is not valid UTF-8 (byte \(p + 1) of the string)") }
                    p += n
                    continue
                }
                bytes.append(contentsOf: UnsafeRawBufferPointer(start: base + run, count: p - run))
                escape(c)
                p += 1
                run = p
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(start: base + run, count: p - run))
        }
        bytes.append(0x22)
    }

    mutating func escape(_ c: UInt8) {
        bytes.append(0x5C)
        switch c {
        case 0x22, 0x5C: bytes.append(c)
        case 0x08: bytes.append(0x62)
        case 0x0C: bytes.append(0x66)
        case 0x0A: bytes.append(0x6E)
        case 0x0D: bytes.append(0x72)
        case 0x09: bytes.append(0x74)
        default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            bytes.append(contentsOf: [0x75, 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
        }
    }
}
