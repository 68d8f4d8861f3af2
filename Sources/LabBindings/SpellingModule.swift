import CLua
import Homelab
import LuaHost

/// `labsh.spelling`: "did you mean" for Lua's errors (labsh.blame), by the
/// rule Swift's errors and LuaOptions use (Suggestion, in Spelling).
enum SpellingModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 1)
        // closest(word, {candidates}) -> the candidate a typo meant, or nil
        state.setFunction("closest") { call in
            let candidates = try call.table(2).array.compactMap(\.stringValue)
            return call.push(Suggestion.closest(to: try call.string(1), in: candidates))
        }
    }
}
