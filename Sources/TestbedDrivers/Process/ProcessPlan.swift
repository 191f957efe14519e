import TestbedSystem
/// How a process service is spawned: its command resolved to argv, and where it runs.
package struct ProcessPlan: Sendable {
    /// A file written into ``serviceDirectory`` before the spawn, its text resolved.
    package struct File: Sendable, Hashable {
        /// Absolute path: `serviceDirectory/NAME`.
        package var path: String
        /// The text, every placeholder filled.
        package var contents: String
        /// Permission bits.
        package var mode: UInt16

        /// Collects a file.
        package init(path: String, contents: String, mode: UInt16) {
            self.path = path
            self.contents = contents
            self.mode = mode
        }
    }

    /// The program (looked up on PATH when it has no slash) and its arguments;
    /// a string command is `/bin/sh -c STRING`. With ``user`` set, prefixed by `setpriv`.
    package var argv: [String]
    /// Its whole environment: the caller's plus the service's own.
    package var environment: [String: String]
    /// Absolute; the manifest's folder unless `working_dir` says otherwise.
    package var workingDirectory: String
    /// `RUN_DIR/logs/NAME.log`: stdout and stderr interleaved.
    package var logFile: String
    /// The service's stop signal and grace period, then SIGKILL.
    package var teardown: [TeardownStep]
    /// `RUN_DIR/services/NAME` (`${NAME.dir}`): created before the spawn, owned by ``user``.
    package var serviceDirectory: String?
    /// Files written into ``serviceDirectory`` before the spawn.
    package var files: [File]
    /// The account the service runs as (Testbed is root); nil: the caller's.
    package var user: UnixUser?

    /// Collects a launch; the planner makes these, tests may too.
    package init(argv: [String], environment: [String: String], workingDirectory: String, logFile: String,
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
