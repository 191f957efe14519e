import Foundation
import Testing
@testable import Testbed
@testable import TestbedDrivers

@Suite struct SQLiteDatabaseTests {
    @Test func executeRunsEveryStatementAndQueryReadsRows() throws {
        let folder = try TemporaryFolder()
        let database = try SQLiteDatabase(path: folder.path + "/a.sqlite")
        try database.execute("""
            CREATE TABLE t (id INTEGER, name TEXT);
            CREATE TRIGGER t_upper AFTER INSERT ON t BEGIN UPDATE t SET name = upper(name) WHERE id = new.id; END;
            INSERT INTO t VALUES (1, 'a'), (2, '');
            """)
        let rows = try database.query("SELECT id, name FROM t WHERE id >= ? ORDER BY id", [.integer(1)])
        #expect(rows == [[.integer(1), .text("A")], [.integer(2), .text("")]])
    }

    @Test func failingStatementIsLocatedAfterLeadingComments() throws {
        let folder = try TemporaryFolder()
        let database = try SQLiteDatabase(path: folder.path + "/a.sqlite")
        let script = """
            CREATE TABLE t (id INTEGER PRIMARY KEY);
            INSERT INTO t VALUES (1);
            -- a comment
            /* and a
               block */
            INSERT INTO t
              VALUES (1);
            """
        let error = #expect(throws: SQLiteError.self) { try database.execute(script) }
        #expect(error?.line == 6)
        #expect(error?.statement == "INSERT INTO t")
        #expect(error?.code.primary == .constraint)
        #expect(error?.message.contains("UNIQUE") == true)
        let syntax = #expect(throws: SQLiteError.self) { try database.execute("SELECT 1;\n\nSELEC 2;") }
        #expect(syntax?.line == 3)
    }

    @Test func bindsEveryValueKind() throws {
        let folder = try TemporaryFolder()
        let database = try SQLiteDatabase(path: folder.path + "/a.sqlite")
        try database.execute("CREATE TABLE v (x)")
        let insert = try database.prepare("INSERT INTO v VALUES (?)")
        let values: [SQLiteValue] = [.null, .integer(-7), .real(1.5), .text(""), .text("é"), .blob([0, 1, 2]), .blob([])]
        for value in values {
            try insert.bind([value])
            try insert.step()
            insert.reset()
        }
        #expect(try database.query("SELECT x FROM v ORDER BY rowid").map { $0[0] } == values)
    }

    @Test func backupWritesAnIndependentCopy() throws {
        let folder = try TemporaryFolder()
        let database = try SQLiteDatabase(path: folder.path + "/a.sqlite")
        try database.execute("CREATE TABLE t (x); INSERT INTO t VALUES (42);")
        try database.backup(to: folder.path + "/b.sqlite")
        try database.execute("DELETE FROM t")
        let copy = try SQLiteDatabase(path: folder.path + "/b.sqlite", flags: .readOnly)
        #expect(try copy.query("SELECT x FROM t") == [[.integer(42)]])
    }

    @Test func openingAMissingFileWithoutCreateFails() throws {
        let error = #expect(throws: SQLiteError.self) {
            try SQLiteDatabase(path: "/nonexistent/dir/a.sqlite", flags: .readWrite)
        }
        #expect(error?.code == .cantOpen)
    }
}
