import Foundation

/// Notes in an SQLite file, through the `sqlite3` client.
public struct NoteStore: Sendable {
    /// The database file.
    public let path: String

    /// A store on the SQLite file at `path`.
    public init(path: String) {
        self.path = path
    }

    /// The titles of every note, by id.
    public func titles() throws -> [String] {
        try run("SELECT title FROM notes ORDER BY id;").split(separator: "\n").map(String.init)
    }

    /// Adds a note.
    public func add(title: String) throws {
        _ = try run("INSERT INTO notes (title) VALUES (\(Self.quote(title)));")
    }

    /// Deletes every note.
    public func removeAll() throws {
        _ = try run("DELETE FROM notes;")
    }

    private func run(_ sql: String) throws -> String {
        try CommandLineClient(arguments: ["sqlite3", "-batch", "-bail", path]).run(script: sql)
    }

    /// An SQL string literal.
    static func quote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
