/// Bytes that are not valid JSON: the line of the problem and what is wrong there.
///
/// Thrown by ``JSONCursor`` and ``JSONValue/init(parsing:)``. It names no file: the reader
/// that owns the bytes (the tape reader, the JSON fixture loader) wraps it in its own error
/// with the file's name, as `FILE:LINE: malformed JSON: MESSAGE`.
package struct JSONSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line of the problem.
    package var line: Int
    /// What is wrong, e.g. `unexpected '}', expected a value`.
    package var message: String

    /// Makes the error.
    package init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// `line N: MESSAGE`.
    package var description: String { "line \(line): \(message)" }
}
