import Foundation
import Synchronization
import TestbedSystem

/// Healthy once the service has printed a line matching a regular expression.
///
/// The pattern uses ICU syntax (`NSRegularExpression`, about five times faster than Swift
/// `Regex` on Linux for this job) and matches anywhere in a line unless anchored. The
/// probe watches the ``LogTail`` from construction on, including the lines it still keeps
/// (up to ``LogTail/keptLines``), so a line printed before the first attempt counts.
/// Once a line matched the probe stays healthy and stops looking at further lines.
/// `attempt` only reads a flag: it never waits, whatever the timeout.
package final class LogProbe: HealthProbe {
    /// The regular expression as given (ICU syntax).
    package let pattern: String
    private let regex: NSRegularExpression
    private let log: LogTail
    private let match: LogMatch
    private let token: Int

    /// Compiles `pattern` and starts watching `log`.
    ///
    /// Throws ``ProbeFailure`` with code `invalidProbe` when the pattern does not compile.
    package init(pattern: String, log: LogTail) throws {
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw ProbeFailure(.invalidProbe, "log pattern /\(pattern)/ is not a valid regular expression")
        }
        let match = LogMatch()
        self.pattern = pattern
        self.regex = regex
        self.log = log
        self.match = match
        self.token = log.addObserver(replay: true) { [weak log] line in
            guard !match.isMatched else { return }
            let range = NSRange(line.startIndex..., in: line)
            guard regex.firstMatch(in: line, range: range) != nil else { return }
            if let token = match.record(line) { log?.removeObserver(token) }
        }
        if match.setToken(token) { log.removeObserver(token) }
    }

    deinit { log.removeObserver(token) }

    /// `log line matching /PATTERN/`.
    package var summary: String { "log line matching /\(pattern)/" }

    /// The first line that matched, once one has.
    package var matchedLine: String? { match.line }

    /// Passes once a line has matched; otherwise throws ``ProbeFailure`` (`notYet`) without waiting.
    package func attempt(timeout: Duration) async throws {
        guard match.isMatched else {
            throw ProbeFailure(.notYet, "no line matching /\(pattern)/ yet")
        }
    }
}

/// The first matching line and the observer token, shared by the probe and its observer.
private final class LogMatch: Sendable {
    private struct State {
        var line: String?
        var token: Int?
    }
    private let state = Mutex(State())

    var isMatched: Bool { state.withLock { $0.line != nil } }
    var line: String? { state.withLock { $0.line } }

    /// Records the first match; returns the observer token if it is known, to remove it.
    func record(_ line: String) -> Int? {
        state.withLock { state in
            if state.line == nil { state.line = line }
            return state.token
        }
    }

    /// Stores the token; true when a line matched already (during replay).
    func setToken(_ token: Int) -> Bool {
        state.withLock { state in
            state.token = token
            return state.line != nil
        }
    }
}
