import TestbedSystem
import TestbedModel
/// A fixture step failed: which file, where in it, and what the database said.
package struct SeedError: TestbedError {
    /// The database service whose seed failed.
    package var service: String
    /// The fixture file (or the command, for a command step).
    package var file: String
    /// 1-based line (SQL, CSV, JSON) of the failing statement or row; nil when unknown.
    package var line: Int?
    /// For SQL: the first line of the failing statement.
    package var statement: String?
    /// The database's (or parser's) own message.
    package var message: String
    /// The manifest line of the seed step.
    package var step: SourceLocation?

    /// Makes an error; the optional parts are shown only when known.
    package init(service: String, file: String, line: Int? = nil, statement: String? = nil,
                message: String, step: SourceLocation? = nil) {
        self.service = service
        self.file = file
        self.line = line
        self.statement = statement
        self.message = message
        self.step = step
    }

    /// What to do: the same for every seed failure.
    package var hint: String? { "fix the fixture and run again" }

    /// The message for a terminal: service, file and line, message, statement, seed step and a hint.
    package var description: String {
        var text = "service '\(service)': seeding failed at \(file)"
        if let line { text += ":\(line)" }
        text += ": \(message)"
        if let statement { text += "\n    statement: \(statement)" }
        if let step { text += "\n    seed step: \(step)" }
        text += Self.hintLine(hint)
        return text
    }
}
