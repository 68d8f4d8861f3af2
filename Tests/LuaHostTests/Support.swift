import CLua
import CLuaShim
import LuaHost
import Testing

/// A fresh state with the standard libraries; after the body the stack must
/// be empty and no Swift frame may be marked as running.
func withLua(_ body: (LuaState) throws -> Void) throws {
    let state = try LuaState()
    try state.openLibraries()
    try body(state)
    #expect(state.top == 0, "stack not balanced")
    #expect(lh_host_depth(state.L) == 0)
    state.close()
}

/// Registers a Swift function as a global.
func define(_ state: LuaState, _ name: String, _ fn: @escaping LuaFunction) {
    state.setGlobal(name, state.function(fn))
}

/// Runs `code` and returns its first result as a string.
func eval(_ state: LuaState, _ code: String) throws -> String? {
    try state.run(code).first?.stringValue
}
