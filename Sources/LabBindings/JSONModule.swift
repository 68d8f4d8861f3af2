import CLua
import LuaHost

/// `lab.json`: decode and encode JSON (Connectors does the bytes).
enum JSONModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 4)
    }
}
