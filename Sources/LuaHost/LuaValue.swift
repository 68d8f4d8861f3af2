import CLua
import CLuaShim

/// A Lua string: bytes, decoded as UTF-8 only when asked.
public struct LuaBytes: Hashable, Sendable, CustomStringConvertible {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ string: String) { self.bytes = Array(string.utf8) }
    /// The bytes as a Swift string if they are valid UTF-8.
    public var utf8: String? { bytes.withUnsafeBytes { String(strictUTF8: $0) } }
    /// The bytes as text, invalid sequences replaced.
    public var description: String { String(decoding: bytes, as: UTF8.self) }
}

extension String {
    /// The bytes as a string if they are valid UTF-8, else nil. ASCII, the
    /// common case, skips the generic validator, which is slow to start.
    public init?(strictUTF8 bytes: UnsafeRawBufferPointer) {
        if bytes.allSatisfy({ $0 < 0x80 }) {
            self.init(decoding: bytes, as: UTF8.self)
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
            self = text
        }
    }
}

/// A plain Lua table copied into Swift: the sequence 1...n and the rest.
public struct LuaTable: Hashable {
    public var array: [LuaValue]
    public var fields: [LuaValue: LuaValue]
    public init(array: [LuaValue] = [], fields: [LuaValue: LuaValue] = [:]) {
        self.array = array
        self.fields = fields
    }
    /// A named field.
    public subscript(key: String) -> LuaValue? {
        get { fields[.string(LuaBytes(key))] }
        set { fields[.string(LuaBytes(key))] = newValue }
    }
}

/// Any Lua value. Tables are copied; functions, userdata and threads are
/// held by registry reference.
public enum LuaValue: Hashable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(LuaBytes)
    case table(LuaTable)
    case reference(LuaRef)

    public static func str(_ s: String) -> LuaValue { .string(LuaBytes(s)) }

    public var stringValue: String? {
        if case .string(let b) = self { return b.utf8 }
        return nil
    }
    public var intValue: Int64? {
        switch self {
        case .integer(let i): return i
        case .number(let d): return Int64(exactly: d)
        default: return nil
        }
    }
    public var numberValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }
}

/// Something Swift can push onto the Lua stack.
public protocol LuaPushable {
    func push(_ L: OpaquePointer)
}

extension Int: LuaPushable { public func push(_ L: OpaquePointer) { lua_pushinteger(L, lua_Integer(self)) } }
extension Int64: LuaPushable { public func push(_ L: OpaquePointer) { lua_pushinteger(L, self) } }
extension Int32: LuaPushable { public func push(_ L: OpaquePointer) { lua_pushinteger(L, lua_Integer(self)) } }
extension Double: LuaPushable { public func push(_ L: OpaquePointer) { lua_pushnumber(L, self) } }
extension Bool: LuaPushable { public func push(_ L: OpaquePointer) { lua_pushboolean(L, self ? 1 : 0) } }
extension String: LuaPushable {
    public func push(_ L: OpaquePointer) {
        var copy = self
        copy.withUTF8 { buf in
            _ = lua_pushlstring(L, buf.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buf.count)
        }
    }
}
extension LuaBytes: LuaPushable {
    public func push(_ L: OpaquePointer) {
        bytes.withUnsafeBytes { raw in
            _ = lua_pushlstring(L, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
    }
}
extension Optional: LuaPushable where Wrapped: LuaPushable {
    public func push(_ L: OpaquePointer) {
        if let v = self { v.push(L) } else { lua_pushnil(L) }
    }
}
extension Array: LuaPushable where Element: LuaPushable {
    public func push(_ L: OpaquePointer) {
        lua_createtable(L, Int32(clamping: count), 0)
        for (i, v) in enumerated() {
            v.push(L)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
    }
}
extension Dictionary: LuaPushable where Key: LuaPushable, Value: LuaPushable {
    public func push(_ L: OpaquePointer) {
        lua_createtable(L, 0, Int32(clamping: count))
        for (k, v) in self {
            k.push(L)
            v.push(L)
            lua_rawset(L, -3)
        }
    }
}
extension LuaTable: LuaPushable {
    public func push(_ L: OpaquePointer) {
        lua_createtable(L, Int32(clamping: array.count), Int32(clamping: fields.count))
        for (i, v) in array.enumerated() {
            v.push(L)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        for (k, v) in fields where k != .nil {
            k.push(L)
            v.push(L)
            lua_rawset(L, -3)
        }
    }
}
extension LuaValue: LuaPushable {
    public func push(_ L: OpaquePointer) {
        switch self {
        case .nil: lua_pushnil(L)
        case .boolean(let b): b.push(L)
        case .integer(let i): i.push(L)
        case .number(let d): d.push(L)
        case .string(let s): s.push(L)
        case .table(let t): t.push(L)
        case .reference(let r): r.push(L)
        }
    }
}

// ---- Reading values -----------------------------------------------------------

extension LuaState {
    /// The string (or number) at `idx`, lent to `read`: a number is converted
    /// on a copy, so the stack slot stays a number.
    @inline(__always)
    static func withText<T>(_ L: OpaquePointer, _ idx: Int32, _ read: (UnsafeRawBufferPointer) -> T) -> T? {
        let t = lua_type(L, idx)
        guard t == LUA_TSTRING || t == LUA_TNUMBER else { return nil }
        if t == LUA_TNUMBER { lua_pushvalue(L, idx) }
        defer { if t == LUA_TNUMBER { lh_pop(L, 1) } }
        var len = 0
        guard let p = lua_tolstring(L, t == LUA_TNUMBER ? -1 : idx, &len) else { return nil }
        return read(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// The bytes of the string (or number) at `idx`.
    public static func bytes(_ L: OpaquePointer, _ idx: Int32) -> [UInt8]? { withText(L, idx) { Array($0) } }

    /// The string at `idx` decoded as UTF-8 (invalid bytes replaced).
    public static func string(_ L: OpaquePointer, _ idx: Int32) -> String? {
        withText(L, idx) { String(decoding: $0, as: UTF8.self) }
    }

    /// Copies the value at `idx` into Swift. Tables are copied deeply (a cycle
    /// is an error); functions, userdata and threads become references.
    public static func value(_ L: OpaquePointer, _ idx: Int32, state: LuaState) throws -> LuaValue {
        var path: Set<UnsafeRawPointer> = []
        return try value(L, lua_absindex(L, idx), state: state, path: &path)
    }

    private static func value(_ L: OpaquePointer, _ idx: Int32, state: LuaState,
                              path: inout Set<UnsafeRawPointer>) throws -> LuaValue {
        switch lua_type(L, idx) {
        case LUA_TNIL, LUA_TNONE: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, idx) != 0 { return .integer(lh_tointeger(L, idx, nil)) }
            return .number(lh_tonumber(L, idx, nil))
        case LUA_TSTRING: return .string(LuaBytes(bytes(L, idx) ?? []))
        case LUA_TTABLE:
            guard let id = lua_topointer(L, idx) else { return .nil }
            if path.contains(id) { throw LuaRaise.message("cannot convert a table that contains itself") }
            path.insert(id)
            defer { path.remove(id) }
            guard lua_checkstack(L, 3) != 0 else { throw LuaRaise.message("stack overflow") }
            var table = LuaTable()
            let n = lua_rawlen(L, idx)
            if n > 0 {
                table.array.reserveCapacity(Int(n))
                for i in 1...n {
                    lua_rawgeti(L, idx, lua_Integer(i))
                    defer { lh_pop(L, 1) }
                    let v = try value(L, lua_gettop(L), state: state, path: &path)
                    if case .nil = v { break }
                    table.array.append(v)
                }
            }
            let arrayCount = table.array.count
            lua_pushnil(L)
            while lua_next(L, idx) != 0 {
                defer { lh_pop(L, 1) }
                if lua_isinteger(L, -2) != 0 {
                    let k = lh_tointeger(L, -2, nil)
                    if k >= 1 && k <= arrayCount { continue }
                }
                let key = try value(L, lua_gettop(L) - 1, state: state, path: &path)
                table.fields[key] = try value(L, lua_gettop(L), state: state, path: &path)
            }
            return .table(table)
        default:
            lua_pushvalue(L, idx)
            return .reference(LuaRef(state: state, L: L))
        }
    }
}
