/// What an HTTP link does with its tape (docs/tapes.md, "Modes").
///
/// Set per link in the manifest (`http: {mode: replay}`) and overridden for one run by
/// `TESTBED_TAPES=MODE` or `testbed run --tapes MODE`, as VCR users are used to.
public enum TapeMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Forward every request and write every exchange to the tape, replacing what it held.
    case record
    /// Answer from the tape only; never contact the upstream (which may be absent). A request
    /// with no recorded answer gets ``HTTPLinkSession/missStatus``.
    case replay
    /// Answer from the tape what it has; forward the rest and append it to the tape.
    case recordMissing = "record_missing"
    /// Forward everything, record nothing (faults still apply).
    case passthrough
    /// VCR's default: `record` when the tape file does not exist yet, `replay` when it does.
    /// The default when neither the manifest nor the run names a mode.
    case once

    /// The environment variable that overrides every link's mode for one run.
    package static let variable = "TESTBED_TAPES"

    /// The modes as the manifest and the CLI spell them.
    package static let names = allCases.map(\.rawValue)

    /// The mode a link runs in: `once` becomes `record` or `replay` depending on whether the
    /// tape exists; the others stay.
    package func resolved(tapeExists: Bool) -> TapeMode {
        self == .once ? (tapeExists ? .replay : .record) : self
    }

    /// True when the mode reads the tape (replay, record_missing).
    package var readsTape: Bool { self == .replay || self == .recordMissing }
    /// True when the mode writes the tape at teardown (record, record_missing).
    package var writesTape: Bool { self == .record || self == .recordMissing }
    /// True when the mode contacts the upstream.
    package var forwards: Bool { self != .replay }
}
