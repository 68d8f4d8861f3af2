import CLua
import CLuaShim
import LuaHost

/// `labsh.sandbox`: evaluating a file that is data (an inventory) in a Lua
/// state of its own; the work, and every error it can raise, is in C
/// (Sources/CLuaShim/sandbox.c), so this only binds it.
enum SandboxModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 1)
        lh_pushcfunction(L, lh_sandbox_evaluate)
        lua_rawsetfield(L, -2, "evaluate")
    }
}
