import CLua
import CLuaShim
import LuaHost

/// `labsh.sandbox`: a file of data (an inventory, a library's library.lua)
/// evaluated in a Lua state of its own (Sources/CLuaShim/sandbox.c). The
/// model reader reads an inventory's value in that state, so labsh never
/// holds the file's own tables; other fields are copied over as plain data.
enum SandboxModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        // inventory(text, file, seconds, bytes) -> model, warnings, handle, jobs
        // Raises an "inventory" error (with `reason`) for a file that fails,
        // returns nothing when labsh is being stopped (its hook raises that).
        state.setFunction("inventory") { call in
            try evaluated(call, kind: "inventory") { sandbox, file in
                guard lh_sandbox_push_field(sandbox, "jobs", 1, call.L) != 0 else {
                    throw LuaRaise.message("\(file): no memory to read it")
                }
                var path: [ModelModule.PathStep] = []
                let S = lh_sandbox_state(sandbox)!
                let value = try ModelModule.inventoryValue(S, lh_sandbox_result(sandbox), path: &path, file: file)
                let pushed = try ModelModule.validate(value, file: file, into: call.L)
                lua_rotate(call.L, -(pushed + 1), pushed)  // model, warnings, handle first
                return pushed + 1
            }
        }
        // fields(text, file, seconds, bytes, {key...}) -> {key = value...}:
        // the fields `key...` of the table the file returns. Raises as
        // `inventory` does, with the kind "data".
        state.setFunction("fields") { call in
            let keys = try call.table(5).array.compactMap(\.stringValue)
            return try evaluated(call, kind: "data") { sandbox, file in
                guard lua_type(lh_sandbox_state(sandbox), lh_sandbox_result(sandbox)) == LUA_TTABLE else {
                    throw LuaRaise.object(kind: "data", message: "\(file): must return a table",
                                          fields: ["file": .str(file), "reason": .str("data")])
                }
                lua_createtable(call.L, 0, Int32(keys.count))
                for key in keys {
                    guard lh_sandbox_push_field(sandbox, key, 0, call.L) != 0 else {
                        throw LuaRaise.message("\(file): no memory to read it")
                    }
                    lua_setfield(call.L, -2, key)
                }
                return 1
            }
        }
    }

    /// Evaluates the call's (text, file, seconds, bytes) in a sandbox and
    /// gives it to `read`; a file that fails raises an error object of
    /// `kind` with `file` and `reason`; nothing is returned when labsh is
    /// being stopped (its hook raises that).
    static func evaluated(_ call: LuaCall, kind: String,
                          _ read: (OpaquePointer, String) throws -> Int32) throws -> Int32 {
        guard call.type(1) == LUA_TSTRING else { throw call.typeError(1, "string") }
        let file = try call.string(2)
        let seconds = try call.number(3)
        let bytes = try call.integer(4)
        guard seconds > 0, bytes > 0 else { throw LuaRaise.message("the budget must be positive") }
        var length = 0
        let text = lua_tolstring(call.L, 1, &length)
        guard let sandbox = lh_sandbox_open(text, length, file, seconds, Int(bytes)) else {
            throw LuaRaise.message("\(file): no memory to evaluate it")
        }
        defer { lh_sandbox_close(sandbox) }
        var reason: UnsafePointer<CChar>?
        if let message = lh_sandbox_failure(sandbox, &reason) {
            let why = reason.map { String(cString: $0) } ?? "error"
            if why == "stopped" { return 0 }
            throw LuaRaise.object(kind: kind, message: String(cString: message),
                                  fields: ["file": .str(file), "reason": .str(why)])
        }
        return try read(sandbox, file)
    }
}
