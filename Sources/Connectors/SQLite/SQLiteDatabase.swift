import CSQLiteShim

/// A value in or out of SQLite: the four storage classes labsh uses.
public enum SQLValue: Equatable, Sendable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
}

public struct SQLiteError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// One SQLite database file, through libsqlite3 loaded on first use
/// (CSQLiteShim): labsh does not link it. Opened in WAL mode with a busy
/// timeout, so parallel jobs writing their history wait for each other
/// instead of failing.
public final class SQLiteDatabase {
    private var db: OpaquePointer?
    public let path: String

    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        guard csqlite_load() == 0 else { throw SQLiteError(message: String(cString: csqlite_load_error())) }
        self.path = path
        var handle: OpaquePointer?
        let rc = csqlite_open(path, &handle)
        guard rc == Int32(CSQLITE_OK), let handle else {
            let why = handle.map { String(cString: csqlite_errmsg($0)) } ?? "out of memory"
            if let handle { csqlite_close(handle) }
            throw SQLiteError(message: "cannot open database '\(path)': \(why)")
        }
        db = handle
        csqlite_busy_timeout(handle, busyTimeoutMilliseconds)
        _ = try execute("PRAGMA journal_mode=WAL")
    }

    deinit { close() }

    public func close() {
        if let db { csqlite_close(db) }
        db = nil
    }

    /// Runs one statement with `?` parameters; returns its rows as column
    /// name / value pairs in column order.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue] = []) throws -> [[(String, SQLValue)]] {
        guard let db else { throw SQLiteError(message: "database '\(path)' is closed") }
        var stmt: OpaquePointer?
        guard csqlite_prepare(db, sql, -1, &stmt, nil) == Int32(CSQLITE_OK), let stmt else {
            throw SQLiteError(message: "\(String(cString: csqlite_errmsg(db))) in: \(sql)")
        }
        defer { csqlite_finalize(stmt) }
        for (i, value) in parameters.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .null: csqlite_bind_null(stmt, index)
            case .integer(let v): csqlite_bind_int64(stmt, index, v)
            case .real(let v): csqlite_bind_double(stmt, index, v)
            case .text(let s):
                let bytes = Array(s.utf8CString)  // NUL-terminated; the length leaves it out
                _ = bytes.withUnsafeBufferPointer {
                    csqlite_bind_text(stmt, index, $0.baseAddress, Int32($0.count - 1))
                }
            }
        }
        var rows: [[(String, SQLValue)]] = []
        while true {
            let rc = csqlite_step(stmt)
            if rc == Int32(CSQLITE_DONE) { break }
            guard rc == Int32(CSQLITE_ROW) else {
                throw SQLiteError(message: "\(String(cString: csqlite_errmsg(db))) in: \(sql)")
            }
            var row: [(String, SQLValue)] = []
            for c in 0..<csqlite_column_count(stmt) {
                let name = String(cString: csqlite_column_name(stmt, c))
                switch csqlite_column_type(stmt, c) {
                case Int32(CSQLITE_INTEGER): row.append((name, .integer(csqlite_column_int64(stmt, c))))
                case Int32(CSQLITE_FLOAT): row.append((name, .real(csqlite_column_double(stmt, c))))
                case Int32(CSQLITE_NULL): row.append((name, .null))
                default:
                    let n = Int(csqlite_column_bytes(stmt, c))
                    let text = csqlite_column_text(stmt, c).map {
                        String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
                    } ?? ""
                    row.append((name, .text(text)))
                }
            }
            rows.append(row)
        }
        return rows
    }
}
