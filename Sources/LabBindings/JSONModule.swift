import CLua
import CLuaShim
import Connectors
import LuaHost

/// `lab.json`: decode and encode JSON (Connectors does the bytes).
///
/// Decoding pushes straight onto the Lua stack as the parser reports values;
/// encoding walks the Lua value with raw API calls into a JSONWriter. Both
/// throw JSONError-based error objects of kind "json".
///
/// Three values live in the registry and in the module: `null` (a userdata
/// whose tostring is "null") and the metatables `array` and `object` that
/// decoded containers carry, so `{}` and `[]` stay apart through a round trip.
enum JSONModule {
    static let nullName = "lab.json.null", arrayName = "lab.json.array", objectName = "lab.json.object"

    static func push(_ state: LuaState) throws {
        let L = state.L
        registerValues(state)
        lua_createtable(L, 0, 5)
        state.setFunction("decode", decode)
        state.setFunction("encode", encode)
        for (field, name) in [("null", nullName), ("array", arrayName), ("object", objectName)] {
            _ = lh_getmetatable_named(L, name)  // a raw registry read
            lua_rawsetfield(L, -2, field)
        }
    }

    /// Creates the registry values once per state (a second require reuses them).
    static func registerValues(_ state: LuaState) {
        let L = state.L
        if lh_getmetatable_named(L, nullName) != LUA_TNIL {
            lh_pop(L, 1)
            return
        }
        lh_pop(L, 1)
        nullName.push(L)
        _ = lua_newuserdatauv(L, 0, 0)
        lua_createtable(L, 0, 2)
        nullName.push(L)
        lua_rawsetfield(L, -2, "__name")
        state.pushFunction { call in call.push("null") }
        lua_rawsetfield(L, -2, "__tostring")
        lua_setmetatable(L, -2)
        lua_rawset(L, LH_REGISTRYINDEX)
        for name in [arrayName, objectName] {
            name.push(L)
            lua_createtable(L, 0, 0)
            lua_rawset(L, LH_REGISTRYINDEX)
        }
    }

    /// Where decode and encode keep them on the stack, after their two arguments.
    static let nullSlot: Int32 = 3, arrayMetaSlot: Int32 = 4, objectMetaSlot: Int32 = 5

    /// Pushes null, the array and the object metatable: slots 3, 4, 5 after
    /// the arguments (the caller sets the top to 2 first).
    static func pushValues(_ L: OpaquePointer) {
        _ = lh_getmetatable_named(L, nullName)
        _ = lh_getmetatable_named(L, arrayName)
        _ = lh_getmetatable_named(L, objectName)
    }

    @inline(__always)
    static func pushBytes(_ L: OpaquePointer, _ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress {
            _ = lua_pushlstring(L, base.assumingMemoryBound(to: CChar.self), bytes.count)
        } else {
            _ = lua_pushstring(L, "")
        }
    }

    static func failure(_ e: JSONError) -> LuaRaise {
        .object(kind: "json", message: e.description,
                fields: ["offset": .integer(Int64(e.offset + 1)), "line": .integer(Int64(e.line)),
                         "column": .integer(Int64(e.column))])
    }
}
