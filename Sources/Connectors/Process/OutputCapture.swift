/// The last `limit` bytes of a stream, counting what went before.
public struct TailBuffer {
    public let limit: Int
    public private(set) var bytes: [UInt8] = []
    /// Bytes dropped from the front so far.
    public private(set) var dropped = 0

    public init(limit: Int) { self.limit = max(0, limit) }

    /// Appends; trims only once the slack is as large as the limit, so the
    /// cost stays linear in the bytes seen.
    public mutating func append<C: Collection>(_ chunk: C) where C.Element == UInt8 {
        bytes.append(contentsOf: chunk)
        if bytes.count > 2 * limit + 65536 { trim() }
    }

    /// The kept bytes, at most `limit`.
    public mutating func finish() -> [UInt8] {
        trim()
        return bytes
    }

    mutating func trim() {
        let excess = bytes.count - limit
        guard excess > 0 else { return }
        bytes.removeFirst(excess)
        dropped += excess
    }
}

/// Splits a byte stream into lines (without the "\n"). A line longer than
/// `maxLine` comes out in pieces of that size, so one endless line cannot
/// eat memory.
public struct LineSplitter {
    public let maxLine: Int
    var pending: [UInt8] = []

    public init(maxLine: Int = 1 << 20) { self.maxLine = max(1, maxLine) }

    /// The complete lines in `chunk` after what came before.
    public mutating func feed<C: Collection>(_ chunk: C) -> [[UInt8]] where C.Element == UInt8 {
        var lines: [[UInt8]] = []
        for byte in chunk {
            if byte == UInt8(ascii: "\n") {
                lines.append(pending)
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
                if pending.count >= maxLine {
                    lines.append(pending)
                    pending.removeAll(keepingCapacity: true)
                }
            }
        }
        return lines
    }

    /// The last line when the stream ended without a newline.
    public mutating func finish() -> [UInt8]? {
        defer { pending.removeAll() }
        return pending.isEmpty ? nil : pending
    }
}

/// The environment a program gets: `base` ("NAME=value" entries) with
/// `changes` applied in order (nil removes), keeping base's order.
public func mergedEnvironment(_ base: [String], _ changes: [(name: String, value: String?)]) -> [String] {
    var entries = base
    for (name, value) in changes {
        let prefix = name + "="
        entries.removeAll { $0.hasPrefix(prefix) }
        if let value { entries.append(prefix + value) }
    }
    return entries
}
