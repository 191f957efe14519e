import TestbedSystem
import TestbedModel
import TestbedHealth
/// The environment could not be started, or failed while it ran.
///
/// Carries what a user needs to act: the service, what failed, the last lines of its
/// log, the kept run directory and a hint.
public struct EnvironmentError: TestbedError {
    /// What failed, as a stable kebab-case word; compare with `==`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's word, e.g. `health-check-failed`.
        public var rawValue: String
        /// Makes a code from its word.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's word.
        public var description: String { rawValue }

        /// A service's process could not be spawned (missing executable, bad working directory).
        package static let spawnFailed = Code(rawValue: "spawn-failed")
        /// A service's process exited before it became healthy.
        package static let exitedDuringStart = Code(rawValue: "exited-during-start")
        /// A health check did not pass by its deadline, or cannot work as written.
        package static let healthCheckFailed = Code(rawValue: "health-check-failed")
        /// A service was not ready within its `start_timeout`; the message names what was still running.
        package static let startTimeout = Code(rawValue: "start-timeout")
        /// A one-shot job exited with a non-zero status.
        package static let jobFailed = Code(rawValue: "job-failed")
        /// A fixture step failed; the message names the file and line.
        package static let seedFailed = Code(rawValue: "seed-failed")
        /// A database service failed to start, reset or clone, or was asked for something it does not have.
        package static let databaseFailed = Code(rawValue: "database-failed")
        /// A service exited on its own after the environment was ready.
        package static let serviceDied = Code(rawValue: "service-died")
        /// The start was interrupted by ``Environment/stop()``, `start()` was called twice, or a database pool was used after shutdown.
        package static let interrupted = Code(rawValue: "interrupted")
        /// A link (a proxy in front of a service) could not start.
        package static let linkFailed = Code(rawValue: "link-failed")
        /// `start()` was called on an environment that was already started.
        package static let alreadyStarted = Code(rawValue: "already-started")
        /// A call that needs a stopped environment (``Environment/checkTapes()``) came while it ran.
        package static let stillRunning = Code(rawValue: "still-running")
        /// The run directory or the crash watchdog could not be set up.
        package static let runDirectory = Code(rawValue: "run-directory")
        /// No run root has the room the run needs: the message names both sizes, the hint the fix.
        package static let diskFull = Code(rawValue: "disk-full")
    }

    /// What failed.
    package var code: Code
    /// The service that failed; nil for failures of the whole environment.
    package var service: String?
    /// What happened, written for the user.
    public var message: String
    /// The last lines the service printed, oldest first.
    package var logTail: [String]
    /// The log file of the failing service, where its full output is.
    package var logFile: String?
    /// What the user should do next.
    public var hint: String?
    /// The run directory, when it was kept for inspection.
    package var runDirectory: String?
    /// Where the failing service is written in the manifest (filled in by the runtime).
    package var location: SourceLocation?

    /// Makes an error; `runDirectory` is filled in later by ``Environment/start()`` when it keeps the directory.
    public init(_ code: Code, service: String? = nil, _ message: String, logTail: [String] = [],
                logFile: String? = nil, hint: String? = nil) {
        self.code = code
        self.service = service
        self.message = message
        self.logTail = logTail
        self.logFile = logFile
        self.hint = hint
    }

    /// The message for a terminal: service and message, then the service's manifest line, log
    /// tail, hint and kept run directory on their own lines.
    public var description: String {
        // A message made from another error (a seed error, say) may already name the service.
        var text = service.map { "service '\($0)': " }.flatMap { message.hasPrefix($0) ? nil : $0 } ?? ""
        text += message
        if let location, service != nil { text += "\n    service defined at \(location)" }
        if !logTail.isEmpty {
            text += "\n    last \(logTail.count) lines of \(logFile ?? "its log"):"
            for line in logTail { text += "\n    | \(line)" }
        }
        text += Self.hintLine(hint)
        if let runDirectory { text += "\n    run directory kept at \(runDirectory)" }
        return text
    }
}

extension EnvironmentError {
    /// The runtime's form of a health gate's error: the service named, and a hint that
    /// points at the check's manifest line.
    init(_ error: HealthCheckError, service: String, checkLocation: SourceLocation) {
        switch error.code {
        case .invalidProbe:
            self.init(.healthCheckFailed, service: service, error.message, hint: "fix the healthcheck at \(checkLocation)")
        case .exited:
            self.init(.exitedDuringStart, service: service, error.message, logTail: error.logTail, logFile: error.logFile,
                      hint: error.exitStatus?.isSuccess == true ? Self.exitZeroHint : "the service's own output above says why")
        default:
            self.init(.healthCheckFailed, service: service, error.message, logTail: error.logTail, logFile: error.logFile,
                      hint: "see the service's log; raise healthcheck.deadline if it is only slow (\(checkLocation))")
        }
    }

    /// For a service that exited with status 0 before or while it was up: it was a job, or a
    /// server that went to the background (daemonized) and left its launcher to exit.
    static let exitZeroHint = "a service must keep running: if it is a job that ends (a migration, a setup script), "
        + "mark it 'oneshot: true'; if it is a server, run it in the foreground, without daemonizing "
        + "(e.g. nginx -g 'daemon off;', redis-server --daemonize no)"
}
