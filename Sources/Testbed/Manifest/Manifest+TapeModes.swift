import Foundation
import TestbedModel

extension Manifest {
    /// The mode every HTTP link takes in one run, and what stops the run before anything
    /// starts: the one place that reads `TESTBED_TAPES` and checks that a replay has its tape.
    ///
    /// `chosen` (`testbed run --tapes`, ``Environment/Options/tapeMode``) wins; else
    /// `TESTBED_TAPES` in `environment`; nil leaves each link its own mode. The problems, each
    /// at its manifest line: `TESTBED_TAPES` naming no mode (at the first HTTP link; without
    /// one it is ignored), and a link that would replay a tape that does not exist (at its
    /// `http:` block). `testbed validate` (``preflight(environment:)``) and planning
    /// (``EnvironmentPlan``) both call it, on the manifest with its links' variables resolved.
    func tapeModes(chosen: TapeMode?, environment: [String: String]) -> (override: TapeMode?, problems: [ManifestProblem]) {
        var problems: [ManifestProblem] = []
        var override = chosen
        if override == nil, let text = environment[TapeMode.variable], !text.isEmpty {
            override = TapeMode(rawValue: text)
            if override == nil, let first = links.first(where: { $0.http != nil }) {
                problems.append(ManifestProblem(first.location, "\(TapeMode.variable)=\(text) is not a tape mode",
                                                hint: "use one of \(TapeMode.names.joined(separator: ", "))"))
            }
        }
        for tape in tapes(override: override) where tape.mode == .replay && !tape.exists {
            problems.append(ManifestProblem(tape.http.location, "link '\(tape.link)': mode replay needs the tape \(tape.path), "
                                            + "which does not exist",
                                            hint: "record it first (TESTBED_TAPES=record or testbed run --tapes record), "
                                                + "or use mode record_missing"))
        }
        return (override, problems)
    }

    /// Each HTTP link that has a tape: the mode it runs in under `override` (`once`
    /// resolved), and whether its tape exists.
    func tapes(override: TapeMode?) -> [(link: String, http: HTTPLinkSpec, path: String, mode: TapeMode, exists: Bool)] {
        links.compactMap { link in
            guard let http = link.http, let path = http.tape else { return nil }
            let exists = FileManager.default.fileExists(atPath: path)
            return (link.name, http, path, (override ?? http.mode).resolved(tapeExists: exists), exists)
        }
    }
}
