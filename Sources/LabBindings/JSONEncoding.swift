import CLua
import CLuaShim
import Connectors
import LuaHost

/// lab.json.encode: a Lua value walked with raw calls into a JSONWriter.
extension JSONModule {
    static func encode(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        guard call.count >= 1 else { throw LuaRaise.argument(1, "value expected") }
        let opts = try LuaOptions(call, 2, encodeOptions)
        lua_settop(L, 2)
        let bytes = try encoded(call, at: 1, pretty: opts.boolean("pretty")!, sortKeys: opts.boolean("sort_keys")!)
        bytes.withUnsafeBytes { pushBytes(L, $0) }
        return 1
    }

    static let encodeOptions = LuaOptions.Declaration([.boolean("pretty", default: false), .boolean("sort_keys", default: false)])

    /// The value at `index` as JSON text, as lab.json.encode writes it: for
    /// Swift callers (lab.http's `json` option), with no trip through Lua.
    static func encoded(_ call: LuaCall, at index: Int32, pretty: Bool = false, sortKeys: Bool = false) throws -> [UInt8] {
        let L = call.L
        let index = lua_absindex(L, index)
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        pushValues(L)  // top+1 null, top+2 array metatable, top+3 object metatable
        var encoder = Encoder(L: L, writer: JSONWriter(pretty: pretty, capacity: 4096), sortKeys: sortKeys,
                              memoryLimit: call.state.memoryLimit, slots: top + 1)
        do {
            try encoder.value(index, depth: 0)
        } catch let f as EncodeFailure {
            let path = f.pathText
            throw LuaRaise.object(kind: "json", message: "json: \(f.message) at \(path)", fields: ["path": .str(path)])
        }
        return encoder.writer.bytes
    }

    /// Why a value cannot be encoded, and where: the path is collected on the
    /// way out, innermost step first.
    struct EncodeFailure: Error {
        enum Step { case index(Int), key([UInt8]) }
        var message: String
        var steps: [Step] = []

        /// `$.data.result[3].metric["a b"]`
        var pathText: String {
            var text = "$"
            for step in steps.reversed() {
                switch step {
                case .index(let i): text += "[\(i)]"
                case .key(let k):
                    let name = String(decoding: k, as: UTF8.self)
                    let plain = !k.isEmpty && k.allSatisfy { c in
                        (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || c == 0x5F
                    } && !(k[0] >= 0x30 && k[0] <= 0x39)
                    text += plain ? "." + name : "[\"" + name + "\"]"
                }
            }
            return text
        }
    }

    struct Encoder {
        let L: OpaquePointer
        var writer: JSONWriter
        let sortKeys: Bool
        let memoryLimit: Int  // 0: none; the text counts against it too
        var open: [UnsafeRawPointer?] = []  // tables being written, to find cycles
        let nullSlot: Int32, arrayMetaSlot: Int32, objectMetaSlot: Int32  // what pushValues pushed

        init(L: OpaquePointer, writer: JSONWriter, sortKeys: Bool, memoryLimit: Int, slots: Int32) {
            self.L = L
            (nullSlot, arrayMetaSlot, objectMetaSlot) = (slots, slots + 1, slots + 2)
            self.memoryLimit = memoryLimit
            self.writer = writer
            self.sortKeys = sortKeys
            open.reserveCapacity(16)
        }

        mutating func value(_ idx: Int32, depth: Int) throws {
            switch lua_type(L, idx) {
            case LUA_TNIL:
                writer.null()
            case LUA_TBOOLEAN:
                writer.bool(lua_toboolean(L, idx) != 0)
            case LUA_TNUMBER:
                if lua_isinteger(L, idx) != 0 {
                    writer.integer(lua_tointegerx(L, idx, nil))
                } else {
                    do { try writer.double(lua_tonumberx(L, idx, nil)) }
                    catch let e as JSONError { throw EncodeFailure(message: e.message) }
                }
            case LUA_TSTRING:
                var length = 0
                let p = lua_tolstring(L, idx, &length)
                do { try writer.string(UnsafeRawBufferPointer(start: p, count: length)) }
                catch let e as JSONError { throw EncodeFailure(message: e.message) }
            case LUA_TTABLE:
                try table(lua_absindex(L, idx), depth: depth)
            case LUA_TUSERDATA where lua_rawequal(L, idx, nullSlot) != 0:
                writer.null()
            case LUA_TLIGHTUSERDATA where lua_touserdata(L, idx) == nil:  // cjson.null
                writer.null()
            default:
                throw EncodeFailure(message: "cannot encode a \(String(cString: lh_typename(L, idx))) value")
            }
        }

        mutating func table(_ idx: Int32, depth: Int) throws {
            guard depth < JSONParser.defaultMaxDepth else {
                throw EncodeFailure(message: "nesting deeper than \(JSONParser.defaultMaxDepth) levels")
            }
            let pointer = lua_topointer(L, idx)
            if open.contains(pointer) { throw EncodeFailure(message: "table contains itself (a cycle)") }
            guard lua_checkstack(L, 8) != 0 else { throw EncodeFailure(message: "Lua stack exhausted") }
            if memoryLimit > 0 && writer.bytes.count + lh_memory_used(L) > memoryLimit {
                throw EncodeFailure(message: "not enough memory (the text passes --memory-limit)")
            }
            open.append(pointer)
            defer { open.removeLast() }
            var isArray: Bool?
            if lua_getmetatable(L, idx) != 0 {
                if lua_rawequal(L, -1, arrayMetaSlot) != 0 { isArray = true }
                else if lua_rawequal(L, -1, objectMetaSlot) != 0 { isArray = false }
                lh_pop(L, 1)
            }
            let n = Int(lua_rawlen(L, idx))
            if isArray ?? (n > 0) {
                try array(idx, n, depth: depth)
            } else {
                try object(idx, depth: depth)
            }
        }

        /// A sequence 1...n and nothing else.
        mutating func array(_ idx: Int32, _ n: Int, depth: Int) throws {
            var count = 0
            lua_pushnil(L)
            while lua_next(L, idx) != 0 {
                lh_pop(L, 1)
                count += 1
                if lua_isinteger(L, -1) != 0 {
                    let k = lua_tointegerx(L, -1, nil)
                    if k >= 1 && k <= n { continue }
                    throw EncodeFailure(message: "cannot encode a table with keys 1..\(n) and key \(k) (an array must be a sequence without holes)")
                }
                throw EncodeFailure(message: "cannot encode a table with both items and \(keyText(-1)) (use a list or string keys, not both)")
            }
            if count != n {
                throw EncodeFailure(message: "cannot encode a table with holes (length \(n), \(count) items)")
            }
            writer.beginArray()
            var i = 1
            while i <= n {
                lua_rawgeti(L, idx, lua_Integer(i))
                do { try value(-1, depth: depth + 1) }
                catch var f as EncodeFailure {
                    f.steps.append(.index(i))
                    throw f
                }
                lh_pop(L, 1)
                i += 1
            }
            writer.endArray()
        }

        /// String keys only; in lua_next order, or sorted bytewise.
        mutating func object(_ idx: Int32, depth: Int) throws {
            writer.beginObject()
            if sortKeys {
                var keys: [[UInt8]] = []
                lua_pushnil(L)
                while lua_next(L, idx) != 0 {
                    lh_pop(L, 1)
                    keys.append(try keyBytes(-1))
                }
                keys.sort { $0.lexicographicallyPrecedes($1) }
                for k in keys {
                    k.withUnsafeBytes { pushBytes(L, $0) }
                    lua_rawget(L, idx)
                    try k.withUnsafeBytes { try member($0, key: k, depth: depth) }
                    lh_pop(L, 1)
                }
            } else {
                lua_pushnil(L)
                while lua_next(L, idx) != 0 {
                    guard lua_type(L, -2) == LUA_TSTRING else {
                        throw EncodeFailure(message: "cannot encode a table with \(keyText(-2)) (object keys must be strings)")
                    }
                    var length = 0
                    let p = lua_tolstring(L, -2, &length)
                    try member(UnsafeRawBufferPointer(start: p, count: length), key: nil, depth: depth)
                    lh_pop(L, 1)
                }
            }
            writer.endObject()
        }

        /// Key and the value on top of the stack.
        mutating func member(_ k: UnsafeRawBufferPointer, key: [UInt8]?, depth: Int) throws {
            do {
                try writer.key(k)
                try value(-1, depth: depth + 1)
            } catch let e as JSONError {
                var f = EncodeFailure(message: "key " + e.message)
                f.steps.append(.key(key ?? Array(k)))
                throw f
            } catch var f as EncodeFailure {
                f.steps.append(.key(key ?? Array(k)))
                throw f
            }
        }

        func keyBytes(_ idx: Int32) throws -> [UInt8] {
            guard lua_type(L, idx) == LUA_TSTRING else {
                throw EncodeFailure(message: "cannot encode a table with \(keyText(idx)) (object keys must be strings)")
            }
            var length = 0
            let p = lua_tolstring(L, idx, &length)
            return Array(UnsafeRawBufferPointer(start: p, count: length))
        }

        /// "key 2", "string key \"name\"", "boolean key": for messages.
        func keyText(_ idx: Int32) -> String {
            switch lua_type(L, idx) {
            case LUA_TSTRING:
                var length = 0
                let p = lua_tolstring(L, idx, &length)
                return "string key \"\(String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self))\""
            case LUA_TNUMBER:
                if lua_isinteger(L, idx) != 0 { return "key \(lua_tointegerx(L, idx, nil))" }
                return "number key \(lua_tonumberx(L, idx, nil))"
            default:
                return "\(String(cString: lh_typename(L, idx))) key"
            }
        }
    }
}
