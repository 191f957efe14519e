/// How a process service is spawned: its command resolved to argv, and where it runs.
public struct ProcessLaunch: Sendable {
    /// A file written into ``serviceDirectory`` before the spawn, its text resolved.
    public struct File: Sendable, Hashable {
        /// Absolute path: `serviceDirectory/NAME`.
        public var path: String
        /// The text, every placeholder filled.
        public var contents: String
        /// Permission bits.
        public var mode: UInt16

        /// Collects a file.
        public init(path: String, contents: String, mode: UInt16) {
            self.path = path
            self.contents = contents
            self.mode = mode
        }
    }

    /// The program (looked up on PATH when it has no slash) and its arguments;
    /// a string command is `/bin/sh -c STRING`. With ``user`` set, prefixed by `setpriv`.
    public var argv: [String]
    /// Its whole environment: the caller's plus the service's own.
    public var environment: [String: String]
    /// Absolute; the manifest's folder unless `working_dir` says otherwise.
    public var workingDirectory: String
    /// `RUN_DIR/logs/NAME.log`: stdout and stderr interleaved.
    public var logFile: String
    /// The service's stop signal and grace period, then SIGKILL.
    public var teardown: [TeardownStep]
    /// `RUN_DIR/services/NAME` (`${NAME.dir}`): created before the spawn, owned by ``user``.
    public var serviceDirectory: String?
    /// Files written into ``serviceDirectory`` before the spawn.
    public var files: [File]
    /// The account the service runs as (Testbed is root); nil: the caller's.
    public var user: UnixUser?

    /// Collects a launch; the planner makes these, tests may too.
    public init(argv: [String], environment: [String: String], workingDirectory: String, logFile: String,
                teardown: [TeardownStep], serviceDirectory: String? = nil, files: [File] = [], user: UnixUser? = nil) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logFile = logFile
        self.teardown = teardown
        self.serviceDirectory = serviceDirectory
        self.files = files
        self.user = user
    }
}
