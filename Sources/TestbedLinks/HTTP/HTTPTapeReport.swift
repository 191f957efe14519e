import TestbedModel
/// What an HTTP link did with its tape in one run: the misses, the recorded exchanges never
/// used, what was written, and whether a strict tape fails the run.
///
/// ``LinkSet/tapeReports`` holds one per HTTP link once the links stopped; `testbed run`
/// exits non-zero when one `failsRun`.
public struct HTTPTapeReport: Sendable, Hashable {
    /// The link's name.
    package var link: String
    /// The tape file, if the link has one.
    package var tape: String?
    /// The mode the run used (`once` resolved).
    package var mode: TapeMode
    /// Whether the link's tape is strict.
    package var strict: Bool
    /// Each request that had no recorded answer: the request, the closest recorded one and
    /// how they differ.
    public var misses: [String] = []
    /// Each recorded exchange never answered (replay, record_missing), described.
    public var unused: [String] = []
    /// How many exchanges were written to the tape (record, record_missing); nil when none was written.
    public var written: Int?
    /// Why the tape could not be written, if it could not.
    package var writeError: String?
    /// How many exchanges were recorded from the upstream in this run (record, record_missing).
    public var recorded: Int?
    /// How many exchanges the tape held when the link started (replay, record_missing).
    public var loaded: Int?
    /// How many of those answered at least one request (replay, record_missing).
    public var replayed: Int?
    /// How many requests the tape answered (replay, record_missing).
    package var answered: Int?
    /// Header names that look like credentials (`*key*`, `*token*`, `*secret*`, `*auth*`,
    /// `*cookie*`) and reached the written tape in clear: add them to `redact.headers`.
    public var credentialsInClear: [String] = []

    /// Makes an empty report.
    public init(link: String, tape: String?, mode: TapeMode, strict: Bool) {
        self.link = link
        self.tape = tape
        self.mode = mode
        self.strict = strict
    }

    /// Why this link fails the run, in one paragraph; nil when it does not. A strict tape
    /// fails on any miss or unused exchange; any tape fails when it could not be written.
    public var failure: String? {
        if let writeError { return "link '\(link)': the tape \(tape ?? "") could not be written: \(writeError)" }
        guard strict, !misses.isEmpty || !unused.isEmpty else { return nil }
        var parts: [String] = []
        if !misses.isEmpty { parts.append("\(misses.count) request\(misses.count == 1 ? "" : "s") had no recorded answer") }
        if !unused.isEmpty { parts.append("\(unused.count) recorded exchange\(unused.count == 1 ? " was" : "s were") never used") }
        var text = "link '\(link)' (strict tape \(tape ?? "")): " + parts.joined(separator: " and ")
        for miss in misses { text += "\n  miss: " + miss.replacingOccurrences(of: "\n", with: "\n        ") }
        for item in unused { text += "\n  unused: " + item }
        return text
    }

    /// True when the run must fail because of this link's tape.
    package var failsRun: Bool { failure != nil }
}
