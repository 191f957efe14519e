/// One problem found in a manifest: where, what, and what to do about it.
public struct ManifestProblem: Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// The service the problem belongs to, when there is one.
    public var service: String?
    public var message: String
    /// What the user should do next.
    public var hint: String?

    public init(_ location: SourceLocation, service: String? = nil, _ message: String, hint: String? = nil) {
        self.location = location
        self.service = service
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var text = "\(location): error: "
        if let service { text += "service '\(service)': " }
        text += message
        if let hint { text += "\n    hint: \(hint)" }
        return text
    }
}

/// Every problem found while loading a manifest, reported together.
///
/// Loading never stops at the first problem: the user fixes them all in one go.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public var problems: [ManifestProblem]

    public init(problems: [ManifestProblem]) {
        self.problems = problems
    }

    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return problems.map(\.description).joined(separator: "\n") + "\n\(count) found"
    }
}
