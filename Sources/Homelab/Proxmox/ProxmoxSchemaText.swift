/// Where each path of the API schema's JSON text is, found in one pass that
/// builds nothing: a call needs the operations of one path, and parsing all
/// 431 (half a megabyte) cost more than the rest of lab.pve.resources().
/// ProxmoxSchema parses a path's own text when it is first asked for.
public enum ProxmoxSchemaText {
    /// Each member of the top-level object's `paths`: the template and the
    /// byte range of its value (`{"GET": {...}, ...}`) in `text`. Only the
    /// nesting and the strings are followed here; the parser that reads a
    /// path's range later checks the rest.
    public static func paths(_ text: UnsafeRawBufferPointer) throws -> [(template: String, range: Range<Int>)] {
        var skim = Skimmer(bytes: text)
        guard let paths = try skim.members().first(where: { $0.name == "paths" }) else {
            throw HomelabError("the Proxmox API schema has no 'paths'")
        }
        skim.at = paths.range.lowerBound
        return try skim.members().map { ($0.name, $0.range) }
    }

    /// A cursor over JSON text that steps over values without reading them.
    struct Skimmer {
        let bytes: UnsafeRawBufferPointer
        var at = 0

        func failure(_ what: String) -> HomelabError {
            HomelabError("the Proxmox API schema is not JSON at byte \(at): \(what)")
        }

        mutating func skipSpace() {
            while at < bytes.count, Self.isSpace(bytes[at]) { at += 1 }
        }

        /// The members of the object at the cursor: names and value ranges.
        mutating func members() throws -> [(name: String, range: Range<Int>)] {
            skipSpace()
            guard at < bytes.count, bytes[at] == UInt8(ascii: "{") else { throw failure("an object expected") }
            at += 1
            var found: [(name: String, range: Range<Int>)] = []
            found.reserveCapacity(512)  // the API's paths, in one allocation
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return found }
            while true {
                skipSpace()
                let name = try plainString()
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw failure("':' expected") }
                at += 1
                skipSpace()
                let start = at
                try skipValue()
                found.append((name, start..<at))
                skipSpace()
                guard at < bytes.count else { throw failure("the object does not end") }
                if bytes[at] == UInt8(ascii: "}") { at += 1; return found }
                guard bytes[at] == UInt8(ascii: ",") else { throw failure("',' or '}' expected") }
                at += 1
            }
        }

        /// A member name; the schema's names hold no escapes.
        mutating func plainString() throws -> String {
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw failure("a name expected") }
            let start = at + 1
            try skipString()
            let content = UnsafeRawBufferPointer(rebasing: bytes[start..<(at - 1)])
            guard !content.contains(UInt8(ascii: "\\")) else { throw failure("an escape in a name") }
            return String(decoding: content, as: UTF8.self)
        }

        /// From an opening quote to just past its closing one.
        mutating func skipString() throws {
            at = try Self.stringEnd(bytes, from: at + 1)
        }

        /// Just past the closing quote of the string whose content starts
        /// at `from`; a backslash steps over what it escapes. Eight bytes a
        /// step while none is a quote or a backslash (strings are most of
        /// the text).
        @inline(__always)
        static func stringEnd(_ bytes: UnsafeRawBufferPointer, from: Int) throws -> Int {
            let count = bytes.count
            guard let base = bytes.baseAddress else {
                throw HomelabError("the Proxmox API schema is not JSON: a string does not end")
            }
            var i = from
            while i < count {
                if i + 8 <= count {
                    // Little-endian: the byte at i is the word's lowest.
                    let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                    let found = zeroBytes(word ^ quotes) | zeroBytes(word ^ backslashes)
                    if found == 0 { i += 8; continue }
                    i += found.trailingZeroBitCount / 8  // the first such byte
                }
                let c = base.load(fromByteOffset: i, as: UInt8.self)
                if c == 0x22 { return i + 1 }
                i += c == 0x5C ? 2 : 1
            }
            throw HomelabError("the Proxmox API schema is not JSON at byte \(from): a string does not end")
        }

        static let quotes: UInt64 = 0x2222_2222_2222_2222
        static let backslashes: UInt64 = 0x5C5C_5C5C_5C5C_5C5C

        /// The high bit set in each zero byte of `word` (exact for the
        /// lowest one, which is all stringEnd uses).
        @inline(__always)
        static func zeroBytes(_ word: UInt64) -> UInt64 {
            (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
        }

        /// One value of any kind: a container by its nesting (strings
        /// stepped over, so a bracket inside one does not count), a scalar
        /// up to the next delimiter.
        mutating func skipValue() throws {
            guard at < bytes.count else { throw failure("a value expected") }
            switch bytes[at] {
            case UInt8(ascii: "\""): try skipString(); return
            case UInt8(ascii: "{"), UInt8(ascii: "["): break
            default:
                let start = at
                while at < bytes.count, !Self.endsScalar(bytes[at]) { at += 1 }
                if at == start { throw failure("a value expected") }
                return
            }
            let count = bytes.count
            guard let p = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { throw failure("a value expected") }
            var depth = 0
            var i = at
            while i < count {
                switch p[i] {
                case 0x22:  // "
                    i = try Self.stringEnd(bytes, from: i + 1)
                    continue
                case 0x7B, 0x5B:  // { [
                    depth += 1
                case 0x7D, 0x5D:  // } ]
                    depth -= 1
                    if depth == 0 {
                        at = i + 1
                        return
                    }
                default: break
                }
                i += 1
            }
            at = i
            throw failure("a container does not end")
        }

        static func endsScalar(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"): return true
            default: return isSpace(byte)
            }
        }

        static func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }
    }
}
