import CLua
import LuaHost

/// `labsh.library`: the trust records of shared script libraries
/// (LibraryTrust), for `labsh -m library`.
enum LibraryModule {
    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 5)
        // is_library(dir): has it a library.lua?
        state.setFunction("is_library") { call in call.push(LibraryTrust.isLibrary(try call.string(1))) }
        // status(dir) -> {path =, trusted =, changes = {added =, removed =, changed =} | nil (never trusted)}
        state.setFunction("status") { call in
            let (real, changes) = try failing { try trust().changes(try call.string(1)) }
            var t = LuaTable()
            t["path"] = .str(real)
            t["trusted"] = .boolean(changes?.none ?? false)
            if let changes {
                var c = LuaTable()
                c["added"] = .table(LuaTable(array: changes.added.map(LuaValue.str)))
                c["removed"] = .table(LuaTable(array: changes.removed.map(LuaValue.str)))
                c["changed"] = .table(LuaTable(array: changes.changed.map(LuaValue.str)))
                t["changes"] = .table(c)
            }
            return call.push(LuaValue.table(t))
        }
        // trust(dir): records its files as they are now
        state.setFunction("trust") { call in
            try failing { try trust().trust(try call.string(1)) }
            return 0
        }
        // refusal(dir): nil when the library's files are trusted (or the
        // person at the terminal trusts them now), else why it is refused
        state.setFunction("refusal") { call in call.push(trust().refusal(of: try call.string(1))) }
        // record(): the file the trust is kept in
        state.setFunction("record") { call in call.push(trust().recordPath) }
    }

    static func trust() -> LibraryTrust {
        LabPaths.current.scriptPath.trust ?? LibraryTrust(recordPath: "", ask: nil)
    }

    /// SafeFiles' failures as error objects of kind "library".
    static func failing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let failure as SafeFiles.Failure {
            throw LuaRaise.object(kind: "library", message: failure.description)
        }
    }
}
