import Foundation
import TestbedModel
import TestbedSeed

/// Loads one fixture file into an open SQLite database, inside the caller's transaction.
///
/// Throws ``SQLiteError`` and ``FixtureError`` whose `line` is the line of the fixture file
/// (the failing SQL statement, CSV record or JSON object); the seeder adds the service.
struct SQLiteFixtureLoader {
    let database: SQLiteDatabase
    let file: String

    /// Runs a file of SQL statements.
    func loadSQL() throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw FixtureError(file: file, message: "cannot read: \(error.localizedDescription)")
        }
        guard let script = String(data: data, encoding: .utf8) else {
            throw FixtureError(file: file, message: "the file is not UTF-8 text")
        }
        try database.execute(script)
    }

    /// Inserts every record of a CSV file with one prepared statement; returns the row count.
    ///
    /// Values are bound as text (or NULL); column affinity converts them, and STRICT tables
    /// reject what does not convert, reported at the record's line.
    func loadCSV(table: String, options: CSVOptions) throws -> Int {
        let reader = try CSVReader(path: file, options: options)
        var statement: SQLiteStatement?
        var count = 0
        while let record = try reader.next() {
            if statement == nil {
                let sql = Self.insert(into: table, columns: reader.columns, count: record.fields.count)
                do {
                    statement = try database.prepare(sql)
                } catch var error as SQLiteError {
                    error.line = reader.headerLine ?? record.line
                    throw error
                }
            }
            guard let statement else { break }
            do {
                for (index, field) in record.fields.enumerated() {
                    try statement.bind(field.map(SQLiteValue.text) ?? .null, at: index + 1)
                }
                try statement.step()
            } catch var error as SQLiteError {
                error.line = record.line
                throw error
            }
            statement.reset()
            count += 1
        }
        return count
    }

    /// Inserts the rows of a JSON fixture; returns the row count.
    ///
    /// Reads the file with the shared ``JSONFixture`` reader, as PostgreSQL does: tables and
    /// rows in file order, cut into runs of rows with the same keys. Each run's INSERT names
    /// only those keys, so a key a row lacks keeps the column's default; runs with the same
    /// keys share one prepared statement. Booleans become 1/0, nested values JSON text.
    func loadJSON(table: String?) throws -> Int {
        let fixture = try JSONFixture(path: file, table: table)
        for table in fixture.tables {
            var statements: [[Bool]: SQLiteStatement] = [:]
            for run in table.runs {
                for row in run.rows {
                    do {
                        let statement = try statements[run.present] ?? {
                            let sql = run.columns.isEmpty
                                ? "INSERT INTO \(Self.quoteTable(table.name)) DEFAULT VALUES"
                                : Self.insert(into: table.name, columns: run.columns, count: run.columns.count)
                            let statement = try database.prepare(sql)
                            statements[run.present] = statement
                            return statement
                        }()
                        var position = 1
                        for value in row.values {
                            guard let value else { continue }
                            try statement.bind(Self.sqliteValue(value), at: position)
                            position += 1
                        }
                        try statement.step()
                        statement.reset()
                    } catch var error as SQLiteError {
                        error.line = row.line
                        throw error
                    }
                }
            }
        }
        return fixture.rowCount
    }

    static func sqliteValue(_ value: FixtureValue) -> SQLiteValue {
        switch value {
        case .null: .null
        case .bool(let flag): .integer(flag ? 1 : 0)
        case .integer(let number): .integer(number)
        case .decimal(let text): Double(text).map(SQLiteValue.real) ?? .text(text)
        case .text(let text), .json(let text): .text(text)
        }
    }

    /// `INSERT INTO "table" ("a", "b") VALUES (?, ?)`; without columns, positional.
    static func insert(into table: String, columns: [String]?, count: Int) -> String {
        let placeholders = Array(repeating: "?", count: columns?.count ?? count).joined(separator: ", ")
        let list = columns.map { " (" + $0.map(quoteIdentifier).joined(separator: ", ") + ")" } ?? ""
        return "INSERT INTO \(quoteTable(table))\(list) VALUES (\(placeholders))"
    }

    /// `"name"`, with embedded quotes doubled.
    static func quoteIdentifier(_ name: some StringProtocol) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A table name as the manifest writes it: `schema.table` is quoted part by part.
    static func quoteTable(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).map(quoteIdentifier).joined(separator: ".")
    }
}
