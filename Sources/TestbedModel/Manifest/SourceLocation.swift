/// A position in a manifest file, for error messages.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The manifest's path as the user gave it.
    package var file: String
    /// Line number, starting at 1 (0 when unknown).
    package var line: Int
    /// Column number, starting at 1 (0 when unknown).
    package var column: Int

    /// Makes a location; use 0 for a line or column that is not known.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COLUMN`, or just the file when the line is unknown.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}
