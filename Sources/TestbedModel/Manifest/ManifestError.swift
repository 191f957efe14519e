import TestbedSystem
/// One problem found in a manifest: where, what, and what to do about it.
public struct ManifestProblem: TestbedError, Hashable {
    /// Where in the manifest the problem is.
    public var location: SourceLocation
    /// The service the problem belongs to, when there is one.
    public var service: String?
    /// What is wrong, written for the user.
    public var message: String
    /// What the user should do next.
    public var hint: String?

    /// Makes a problem report; `hint` says what to do about it. A line or column that is not
    /// known (0) becomes 1, so every problem starts with `FILE:LINE:COLUMN`.
    public init(_ location: SourceLocation, service: String? = nil, _ message: String, hint: String? = nil) {
        self.location = SourceLocation(file: location.file, line: max(1, location.line), column: max(1, location.column))
        self.service = service
        self.message = message
        self.hint = hint
    }

    /// `FILE:LINE:COLUMN: error: service 'NAME': MESSAGE`, then the hint on its own line.
    public var description: String {
        var text = "\(location.file):\(max(1, location.line)):\(max(1, location.column)): error: "
        if let service {
            let prefix = "service '\(service)': "
            // A message made from another error may already name the service.
            text += message.hasPrefix(prefix) ? "" : prefix
        }
        text += message
        text += Self.hintLine(hint)
        return text
    }
}

/// Every problem found while loading a manifest, reported together.
///
/// Loading never stops at the first problem: the user fixes them all in one go.
public struct ManifestError: TestbedError {
    /// Every problem found, in the order they were found.
    public var problems: [ManifestProblem]

    /// Wraps the problems found; callers pass at least one.
    public init(problems: [ManifestProblem]) {
        self.problems = problems
    }

    /// Every problem on its own lines, each with its location and hint.
    public var message: String { problems.map(\.description).joined(separator: "\n") }

    /// Every problem on its own lines, then how many were found.
    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return message + "\n\(count) found"
    }
}
