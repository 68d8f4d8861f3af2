import Glibc

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

        /// From an opening quote to just past its closing one: the next
        /// quote (memchr: strings are most of the text) not escaped by an
        /// odd run of backslashes before it.
        mutating func skipString() throws {
            guard let base = bytes.baseAddress else { throw failure("a string does not end") }
            var from = at + 1
            while from < bytes.count, let hit = memchr(base + from, 0x22, bytes.count - from) {
                let quote = base.distance(to: UnsafeRawPointer(hit))
                var backslashes = 0
                while quote - 1 - backslashes > at, bytes[quote - 1 - backslashes] == UInt8(ascii: "\\") { backslashes += 1 }
                if backslashes % 2 == 0 {
                    at = quote + 1
                    return
                }
                from = quote + 1
            }
            throw failure("a string does not end")
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
            var depth = 0
            repeat {
                guard at < bytes.count else { throw failure("a container does not end") }
                switch bytes[at] {
                case UInt8(ascii: "\""): try skipString(); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
                at += 1
            } while depth > 0
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
