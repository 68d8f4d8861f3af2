import CLua
import CLuaShim
import Connectors
import LuaHost

/// lab.json.decode: the parser's events become Lua values on the stack.
extension JSONModule {
    /// opts.null: the value that stands for JSON null (lab.json.null by default)
    static let decodeOptions = LuaOptions.Declaration([.raw("null")])

    static func decode(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        guard lua_type(L, 1) == LUA_TSTRING else { throw call.typeError(1, "string") }
        let opts = try LuaOptions(call, 2, decodeOptions)
        lua_settop(L, 2)
        var length = 0
        let text = lua_tolstring(L, 1, &length)  // a string: no conversion in place
        pushValues(L)  // 3 null, 4 array metatable, 5 object metatable
        if opts["null"] != nil, lua_rawgetfield(L, 2, "null") != LUA_TNIL {
            lua_copy(L, -1, nullSlot)  // opts.null stands for JSON null
        }
        lua_settop(L, 5)
        var sink = LuaSink(L: L, null: nullSlot, arrayMeta: arrayMetaSlot, objectMeta: objectMetaSlot,
                           memoryLimit: call.state.memoryLimit)
        defer { sink.levels.deallocate() }
        do {
            try JSONParser.parse(UnsafeRawBufferPointer(start: text, count: length), into: &sink)
        } catch let e as JSONError {
            lua_settop(L, 5)
            throw failure(e)
        }
        return 1
    }

    /// Builds Lua values on the stack. A container's values wait on the stack
    /// until it ends (or 256 slots are waiting), so its table is created at
    /// its final size: no rehashing while it fills.
    struct LuaSink: JSONSink {
        struct Level {
            var base: Int32      // first stack slot of this container
            var stored: Int32    // items already moved into its table at base; -1: no table yet
            var flushAt: Int32   // stack top at which waiting values move into the table
            var isObject: Bool
        }
        static let batch: Int32 = 256

        let L: OpaquePointer
        let nullSlot: Int32, arrayMeta: Int32, objectMeta: Int32
        let memoryLimit: Int  // 0: none
        var levels = UnsafeMutablePointer<Level>.allocate(capacity: JSONParser.defaultMaxDepth + 1)
        var depth = 0
        var top: Int32   // lua_gettop, kept here
        var room: Int32  // slots up to here are known to exist

        init(L: OpaquePointer, null: Int32, arrayMeta: Int32, objectMeta: Int32, memoryLimit: Int) {
            self.L = L
            self.memoryLimit = memoryLimit
            self.nullSlot = null
            self.arrayMeta = arrayMeta
            self.objectMeta = objectMeta
            top = lua_gettop(L)
            room = top
        }

        @inline(__always)
        mutating func ensure(_ n: Int32) throws {
            if top + n > room {
                guard lua_checkstack(L, 64) != 0 else { throw JSONError("document too large for the Lua stack") }
                room = top + 64
            }
        }

        mutating func begin(_ isObject: Bool) {
            levels[depth] = Level(base: top + 1, stored: -1, flushAt: top + 1 + Self.batch, isObject: isObject)
            depth += 1
        }

        /// A value is on top: its container may need to take the waiting ones.
        @inline(__always)
        mutating func added() throws {
            if depth > 0 && top >= levels[depth - 1].flushAt { try flush() }
        }

        /// Moves the waiting values of the innermost container into its table.
        mutating func flush() throws {
            // Past --memory-limit the allocator lets Lua allocate while Swift
            // runs and raises on return: stop building now, not at the end.
            if memoryLimit > 0 && lh_memory_used(L) > memoryLimit {
                throw JSONError("not enough memory")
            }
            try ensure(3)
            var level = levels[depth - 1]
            let base = level.base
            if level.stored < 0 {
                let n = top - base + 1
                if level.isObject { lua_createtable(L, 0, n / 2) } else { lua_createtable(L, n, 0) }
                lua_rotate(L, base, 1)
                top += 1
                level.stored = 0
            }
            var i = base + 1
            if level.isObject {
                while i < top {
                    lua_pushvalue(L, i)
                    lua_pushvalue(L, i + 1)
                    lua_rawset(L, base)
                    i += 2
                }
            } else {
                var index = lua_Integer(level.stored)
                while i <= top {
                    index += 1
                    lua_pushvalue(L, i)
                    lua_rawseti(L, base, index)
                    i += 1
                }
                level.stored = Int32(index)
            }
            lua_settop(L, base)
            top = base
            level.flushAt = base + Self.batch
            levels[depth - 1] = level
        }

        mutating func end() throws {
            try flush()
            let base = levels[depth - 1].base
            lua_pushvalue(L, levels[depth - 1].isObject ? objectMeta : arrayMeta)
            lua_setmetatable(L, base)
            depth -= 1
            try added()
        }

        mutating func beginObject() throws { begin(true) }
        mutating func endObject() throws { try end() }
        mutating func beginArray() throws { begin(false) }
        mutating func endArray() throws { try end() }

        mutating func key(_ bytes: UnsafeRawBufferPointer) throws {
            try ensure(1)
            pushBytes(bytes)
            top += 1
        }

        @inline(__always)
        func pushBytes(_ bytes: UnsafeRawBufferPointer) { JSONModule.pushBytes(L, bytes) }

        /// One scalar value: `push` puts it on the stack (it captures what it
        /// needs, as the sink itself is being changed).
        @inline(__always)
        mutating func scalar(_ push: () -> Void) throws {
            try ensure(1)
            push()
            top += 1
            try added()
        }

        mutating func string(_ bytes: UnsafeRawBufferPointer) throws { try scalar { [L] in JSONModule.pushBytes(L, bytes) } }
        mutating func integer(_ value: Int64) throws { try scalar { [L] in lua_pushinteger(L, value) } }
        mutating func double(_ value: Double) throws { try scalar { [L] in lua_pushnumber(L, value) } }
        mutating func bool(_ value: Bool) throws { try scalar { [L] in lua_pushboolean(L, value ? 1 : 0) } }
        mutating func null() throws { try scalar { [L, nullSlot] in lua_pushvalue(L, nullSlot) } }
    }
}
