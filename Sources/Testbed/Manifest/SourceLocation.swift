/// A position in a manifest file, for error messages.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The manifest's path as the user gave it.
    public var file: String
    /// Line number, starting at 1 (0 when unknown).
    public var line: Int
    /// Column number, starting at 1 (0 when unknown).
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}
