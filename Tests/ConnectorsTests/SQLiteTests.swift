import Glibc
import Testing
@testable import Connectors

/// SQLiteDatabase through the dlopen'ed libsqlite3: WAL, parameters, types,
/// errors that name the statement, two connections seeing each other's rows.
@Suite struct SQLiteTests {
    func tempPath() -> String {
        var template = Array("/tmp/labsh-sqlite-test.XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        close(fd)
        let path = String(cString: template)
        unlink(path)
        return path
    }

    @Test func roundTripsEveryStorageClass() throws {
        let path = tempPath()
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let db = try SQLiteDatabase(path: path)
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, n TEXT)")
        try db.execute("INSERT INTO t VALUES (?, ?, ?, ?)", [.integer(42), .real(1.5), .text("grüße\u{0}x"), .null])
        let rows = try db.execute("SELECT i, r, s, n FROM t")
        #expect(rows.count == 1)
        #expect(rows[0].map(\.0) == ["i", "r", "s", "n"])
        #expect(rows[0].map(\.1) == [.integer(42), .real(1.5), .text("grüße\u{0}x"), .null])
        let mode = try db.execute("PRAGMA journal_mode")
        #expect(mode[0][0].1 == .text("wal"))
    }

    @Test func aSecondConnectionSeesCommittedRows() throws {
        let path = tempPath()
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let a = try SQLiteDatabase(path: path)
        let b = try SQLiteDatabase(path: path)
        try a.execute("CREATE TABLE runs (job TEXT)")
        try a.execute("INSERT INTO runs VALUES (?)", [.text("backup")])
        #expect(try b.execute("SELECT count(*) AS n FROM runs")[0][0].1 == .integer(1))
    }

    @Test func errorsNameTheStatement() throws {
        let path = tempPath()
        defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
        let db = try SQLiteDatabase(path: path)
        #expect(throws: SQLiteError.self) { try db.execute("SELEKT 1") }
        do {
            try db.execute("SELECT * FROM missing")
        } catch let error as SQLiteError {
            #expect(error.message.contains("no such table: missing"))
            #expect(error.message.contains("SELECT * FROM missing"))
        }
        #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: "/nonexistent-dir/x.db") }
    }
}
