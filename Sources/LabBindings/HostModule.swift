import CLua
import LuaHost

/// `labsh.host`: what the binary carries, for help(), completion and tests.
enum HostModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 2)
        state.pushFunction { call in call.push(EmbeddedFiles.paths) }
        lua_rawsetfield(L, -2, "embedded_paths")
        state.pushFunction { call in
            guard let text = EmbeddedFiles.text(try call.string(1)) else { return call.push(LuaValue.nil) }
            return call.push(text.description)
        }
        lua_rawsetfield(L, -2, "embedded")
    }
}
