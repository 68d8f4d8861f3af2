import CLua
import Homelab
import LuaHost

/// `labsh.host`: the Swift host itself, for Lua: what the binary carries
/// (for help(), completion, tests and `-m inventory init`), its error
/// objects and their did-you-mean. (Files are labsh.filesystem's,
/// processes labsh.os'.)
enum HostModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 4)
        state.setFunction("embedded_paths") { call in call.push(EmbeddedFiles.paths) }
        state.setFunction("embedded") { call in
            guard let text = EmbeddedFiles.text(try call.string(1)) else { return call.push(LuaValue.nil) }
            return call.push(text.description)
        }
        // fail(kind, message [, fields]): raise an error object, as Swift
        // bindings do, from Lua code (it prints as its message, no traceback)
        state.setFunction("fail") { call in
            var fields: [String: LuaValue] = [:]
            if !call.isNoneOrNil(3) {
                for (k, v) in try call.table(3).fields { if let key = k.stringValue { fields[key] = v } }
            }
            throw LuaRaise.object(kind: try call.string(1), message: try call.string(2), fields: fields)
        }
        // closest(word, {candidates}) -> the candidate a typo meant, or nil:
        // Suggestion's rule, so Lua's errors (labsh.blame) suggest as Swift's do
        state.setFunction("closest") { call in
            let candidates = try call.table(2).array.compactMap(\.stringValue)
            return call.push(Suggestion.closest(to: try call.string(1), in: candidates))
        }
    }
}
