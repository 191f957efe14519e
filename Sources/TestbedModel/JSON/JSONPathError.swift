/// A JSON path that cannot be read (verify's `--ignore` and `ignore:`, a tape's
/// `match.ignore_json` and `redact.json`): the path, where it goes wrong and why.
public struct JSONPathError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path as written.
    package var path: String
    /// 1-based position (in characters) of the offending character in ``path``.
    package var position: Int
    /// What is wrong with it.
    package var message: String

    /// Makes an error about `path` at `position`.
    public init(path: String, position: Int, message: String) {
        self.path = path
        self.position = position
        self.message = message
    }

    /// `invalid JSON path 'P' at character N: MESSAGE (e.g. …)`.
    public var description: String {
        "invalid JSON path '\(path)' at character \(position): \(message) (e.g. $.id, $.items[*].created_at)"
    }
}
