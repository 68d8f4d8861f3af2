// Local variable names are the largest part of a chunk's debug information
// and the slowest to load (each is a string Lua interns). labsh drops them
// from the stdlib it embeds: a first query loads a third less. Kept: line
// numbers (tracebacks name labsh:PATH:LINE) and upvalue names (errors still
// say "global 'x'"); an error inside the stdlib no longer names a local.

/// A Lua 5.4 binary chunk (lua_dump's output) without local variable names.
/// Follows ldump.c's layout; exits on anything else.
func withoutLocalNames(_ chunk: [UInt8], file: String) -> [UInt8] {
    var reader = DumpReader(bytes: chunk, file: file)
    return reader.rewrite()
}

struct DumpReader {
    let bytes: [UInt8]
    let file: String
    var at = 0
    var out: [UInt8] = []

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func rewrite() -> [UInt8] {
        // Header: "\x1bLua", version 0x54, format 0, LUAC_DATA (6), three
        // sizes, LUAC_INT (8), LUAC_NUM (8); then the main function's
        // upvalue count (1).
        guard bytes.count > 32, bytes[4] == 0x54, bytes[5] == 0, bytes[12] == 4, bytes[13] == 8, bytes[14] == 8 else {
            fail("not a Lua 5.4 chunk with 8-byte integers and numbers")
        }
        at = 32
        out = Array(bytes[0..<32])
        function()
        guard at == bytes.count else { fail("\(bytes.count - at) bytes after the main function") }
        return out
    }

    private func fail(_ why: String) -> Never {
        fatalError("labsh-embed: \(file): cannot read its bytecode: \(why)")
    }

    /// ldump.c's dumpSize: 7-bit groups, most significant first, the last
    /// with bit 7 set.
    private mutating func size() -> Int {
        var value = 0
        while true {
            guard at < bytes.count, value >> 57 == 0 else { fail("a size runs past the end") }
            let byte = bytes[at]
            at += 1
            value = value << 7 | Int(byte & 0x7F)
            if byte & 0x80 != 0 { return value }
        }
    }

    private mutating func skip(_ count: Int) {
        guard count >= 0, at + count <= bytes.count else { fail("a field runs past the end") }
        at += count
    }

    private mutating func string() {
        let length = size()
        if length > 0 { skip(length - 1) }
    }

    /// Copies what was read since `start`.
    private mutating func keep(from start: Int) { out += bytes[start..<at] }

    private mutating func function() {
        var start = at
        string()                  // source
        _ = size(); _ = size()    // linedefined, lastlinedefined
        skip(3)                   // numparams, is_vararg, maxstacksize
        skip(4 * size())          // code
        for _ in 0..<size() {     // constants
            let tag = bytes[at]
            skip(1)
            switch tag {
            case 3, 19: skip(8)   // integer, float
            case 4, 20: string()  // short, long string
            case 0, 1, 17: break  // nil, false, true
            default: fail("a constant of tag \(tag)")
            }
        }
        skip(3 * size())          // upvalues: instack, idx, kind
        let protos = size()
        keep(from: start)
        for _ in 0..<protos { function() }
        start = at
        skip(size())              // lineinfo
        for _ in 0..<size() { _ = size(); _ = size() }  // abslineinfo: pc, line
        keep(from: start)
        for _ in 0..<size() { string(); _ = size(); _ = size() }  // locvars: dropped
        out.append(0x80)          // no local variables
        start = at
        for _ in 0..<size() { string() }  // upvalue names
        keep(from: start)
    }
}
