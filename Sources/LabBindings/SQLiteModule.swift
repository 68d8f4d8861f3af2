import CLua
import Connectors
import LuaHost

/// `labsh.sqlite`: SQLite databases for the job history, loaded on first use
/// (libsqlite3 is dlopen'ed, not linked). One connection per path per
/// process, kept open: `exec(path, sql [, params])` returns the rows as a
/// list of tables keyed by column name.
enum SQLiteModule {
    nonisolated(unsafe) static var open: [String: SQLiteDatabase] = [:]

    static func push(_ state: LuaState) throws {
        lua_createtable(state.L, 0, 2)
        state.setFunction("exec") { call in
            let path = try call.string(1)
            let sql = try call.string(2)
            var params: [SQLValue] = []
            if !call.isNoneOrNil(3) {
                for value in try call.table(3).array { params.append(try sqlValue(value)) }
            }
            let db: SQLiteDatabase
            do {
                if let existing = open[path] { db = existing } else {
                    db = try SQLiteDatabase(path: path)
                    open[path] = db
                }
                let rows = try db.execute(sql, params)
                return call.push(LuaValue.table(LuaTable(array: rows.map { row in
                    var fields: [LuaValue: LuaValue] = [:]
                    for (name, value) in row { fields[.str(name)] = luaValue(value) }
                    return .table(LuaTable(fields: fields))
                })))
            } catch let error as SQLiteError {
                throw LuaRaise.object(kind: "sqlite", message: error.message, fields: ["path": .str(path)])
            }
        }
        state.setFunction("close") { call in
            let path = try call.string(1)
            open[path]?.close()
            open[path] = nil
            return 0
        }
    }

    static func sqlValue(_ value: LuaValue) throws -> SQLValue {
        switch value {
        case .nil: return .null
        case .boolean(let b): return .integer(b ? 1 : 0)
        case .integer(let i): return .integer(i)
        case .number(let d): return .real(d)
        case .string(let s): return .text(s.description)
        default: throw LuaRaise.message("SQL parameters are nil, booleans, numbers or strings")
        }
    }

    static func luaValue(_ value: SQLValue) -> LuaValue {
        switch value {
        case .null: return .nil
        case .integer(let i): return .integer(i)
        case .real(let d): return .number(d)
        case .text(let s): return .str(s)
        }
    }
}
