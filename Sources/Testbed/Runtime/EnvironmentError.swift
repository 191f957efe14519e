/// The environment could not be started, or failed while it ran.
///
/// Carries what a user needs to act: the service, what failed, the last lines of its
/// log, the kept run directory and a hint.
public struct EnvironmentError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidManifest = Code(rawValue: "invalid-manifest")
        public static let spawnFailed = Code(rawValue: "spawn-failed")
        public static let exitedDuringStart = Code(rawValue: "exited-during-start")
        public static let healthCheckFailed = Code(rawValue: "health-check-failed")
        public static let jobFailed = Code(rawValue: "job-failed")
        public static let seedFailed = Code(rawValue: "seed-failed")
        public static let databaseFailed = Code(rawValue: "database-failed")
        public static let portUnavailable = Code(rawValue: "port-unavailable")
        public static let serviceDied = Code(rawValue: "service-died")
        public static let interrupted = Code(rawValue: "interrupted")
        public static let runDirectory = Code(rawValue: "run-directory")
    }

    public var code: Code
    public var service: String?
    public var message: String
    /// The last lines the service printed, oldest first.
    public var logTail: [String]
    public var logFile: String?
    public var hint: String?
    /// The run directory, when it was kept for inspection.
    public var runDirectory: String?

    public init(_ code: Code, service: String? = nil, _ message: String, logTail: [String] = [],
                logFile: String? = nil, hint: String? = nil) {
        self.code = code
        self.service = service
        self.message = message
        self.logTail = logTail
        self.logFile = logFile
        self.hint = hint
    }

    public var description: String {
        var text = service.map { "service '\($0)': " } ?? ""
        text += message
        if !logTail.isEmpty {
            text += "\n    last \(logTail.count) lines of \(logFile ?? "its log"):"
            for line in logTail { text += "\n    | \(line)" }
        }
        if let hint { text += "\n    hint: \(hint)" }
        if let runDirectory { text += "\n    run directory kept at \(runDirectory)" }
        return text
    }
}
