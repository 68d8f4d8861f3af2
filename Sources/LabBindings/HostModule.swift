import CLua
import Glibc
import LuaHost

/// `labsh.host`: what the binary carries (for help(), completion, tests and
/// `-m inventory init`), and making directories.
enum HostModule {
    static func push(_ state: LuaState) throws {
        let L = state.L
        lua_createtable(L, 0, 2)
        state.setFunction("embedded_paths") { call in call.push(EmbeddedFiles.paths) }
        state.setFunction("embedded") { call in
            guard let text = EmbeddedFiles.text(try call.string(1)) else { return call.push(LuaValue.nil) }
            return call.push(text.description)
        }
        state.setFunction("make_directories") { call in
            let path = try call.string(1)
            guard makeDirectories(path) else {
                throw LuaRaise.message("cannot create directory '\(path)': \(String(cString: strerror(errno)))")
            }
            return 0
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
    }
}

/// mkdir -p, private to the user (history, state, config).
public func makeDirectories(_ path: String) -> Bool {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o700) != 0 && errno != EEXIST { return false }
    }
    return true
}
