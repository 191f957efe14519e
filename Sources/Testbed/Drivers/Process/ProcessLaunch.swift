/// How a process service is spawned: its command resolved to argv, and where it runs.
public struct ProcessLaunch: Sendable {
    /// The program (looked up on PATH when it has no slash) and its arguments;
    /// a string command is `/bin/sh -c STRING`.
    public var argv: [String]
    /// Its whole environment: the caller's plus the service's own.
    public var environment: [String: String]
    /// Absolute; the manifest's folder unless `working_dir` says otherwise.
    public var workingDirectory: String
    /// `RUN_DIR/logs/NAME.log`: stdout and stderr interleaved.
    public var logFile: String
    /// The service's stop signal and grace period, then SIGKILL.
    public var teardown: [TeardownStep]

    /// Collects a launch; the planner makes these, tests may too.
    public init(argv: [String], environment: [String: String], workingDirectory: String, logFile: String,
                teardown: [TeardownStep]) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logFile = logFile
        self.teardown = teardown
    }
}
