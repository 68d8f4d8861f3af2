import CLua
import LuaHost

/// `lab.http`: HTTP requests over libcurl (Connectors does the transfers).
enum HTTPModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 4)
    }
}
