import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A process spawned through Foundation.Process in a process group of its own, with its
/// output written to a log file and handed, line by line, to observers.
///
/// Linux caveats this type handles:
/// - Foundation.Process signals only the direct child: every stop here signals the
///   whole group (`kill(-pgid, …)`).
/// - Foundation notices an exit only when every copy of its internal socket is closed,
///   so a service whose forked child lingers would look alive. ``exitStatus`` therefore
///   peeks with `waitid(WNOWAIT)`, which sees the exit at once without reaping.
/// - stdin is /dev/null; the environment is exactly the one given.
package final class ServiceProcess: Sendable {
    /// What to spawn, and how.
    package struct Options: Sendable {
        /// The program: a path (relative ones against ``workingDirectory``) or a name looked up on the environment's `PATH`.
        package var executable: String
        /// The arguments, without the program name.
        package var arguments: [String]
        /// The process's complete environment; nothing is inherited from this process.
        package var environment: [String: String]
        /// Where the process runs; nil: this process's current directory.
        package var workingDirectory: String?
        /// Output (stdout and stderr, interleaved) is appended here.
        package var logFile: String
        /// When set (and Testbed is root), the process runs as this user.
        package var user: UnixUser?
        /// What the watchdog sends the group first if this process's owner dies
        /// (SIGKILL follows a second later). PostgreSQL wants SIGQUIT.
        package var emergencySignal: Int32 = SIGTERM
        /// The process shares this process's stdin, stdout and stderr (the test command of
        /// `testbed run`) instead of writing to ``logFile``, which is then unused.
        package var inheritsStandardStreams = false

        /// Describes a process; ``emergencySignal`` starts as SIGTERM.
        package init(executable: String, arguments: [String], environment: [String: String],
                    workingDirectory: String? = nil, logFile: String, user: UnixUser? = nil) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.logFile = logFile
            self.user = user
        }
    }

    /// The process id, which is also its process group id.
    package let pid: Int32
    /// What was spawned.
    package let options: Options
    private let process: Process
    private let exitRecord = ExitRecord()
    /// The process's output: its log file, last lines and line observers.
    package let log: LogTail

    /// Spawns the process. Throws ``ServiceProcessError`` when it cannot be started.
    package init(_ options: Options, onLine: (@Sendable (String) -> Void)? = nil) throws {
        self.options = options
        var executable = options.executable
        var arguments = options.arguments
        if let user = options.user, UnixUser.isRoot, user.uid != 0 {
            arguments = user.commandPrefix.dropFirst() + [executable] + arguments
            executable = user.commandPrefix[0]
        }
        if executable.contains("/"), !executable.hasPrefix("/"), let dir = options.workingDirectory {
            executable = dir + "/" + executable
        }
        let resolved = try Self.resolve(executable, path: options.environment["PATH"])
        let inherits = options.inheritsStandardStreams
        let logHandle = inherits ? nil : try LogTail.openLog(options.logFile)
        let pipe = Pipe()
        let process = Process()
        // Behind the gate when a watchdog runs: the program starts only once registered.
        let (program, argv) = ProcessRegistry.listFile.map {
            SpawnGate.wrap(resolved, arguments, list: $0, owner: getpid())
        } ?? (resolved, arguments)
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = argv
        process.environment = options.environment
        if let dir = options.workingDirectory {
            process.currentDirectoryURL = URL(fileURLWithPath: dir, isDirectory: true)
        }
        if inherits {
            process.standardInput = FileHandle.standardInput
            process.standardOutput = FileHandle.standardOutput
            process.standardError = FileHandle.standardError
        } else {
            process.standardInput = nil
            process.standardOutput = pipe
            process.standardError = pipe
        }
        let record = exitRecord
        self.log = LogTail(handle: logHandle, onLine: onLine)
        process.terminationHandler = { finished in
            let status: ExitStatus = finished.terminationReason == .uncaughtSignal
                ? .signaled(finished.terminationStatus) : .exited(finished.terminationStatus)
            record.record(status)
        }
        do {
            try withUnblockedSignals { try process.run() }
        } catch {
            try? logHandle?.close()
            throw ServiceProcessError(message: "cannot start \(resolved): \(error.localizedDescription)")
        }
        self.process = process
        self.pid = process.processIdentifier
        // Opens the gate: from here on the watchdog stops the group if this process dies.
        ProcessRegistry.add(pid, signal: options.emergencySignal)
        if !inherits { log.startReading(pipe.fileHandleForReading.fileDescriptor, retaining: pipe) }
    }

    /// The exit status once the group leader has exited; nil while it runs. Never blocks.
    package var exitStatus: ExitStatus? {
        if let known = exitRecord.status { return known }
        var info = siginfo_t()
        let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if result == 0, info._sifields._sigchld.si_pid == pid {
            let code = info._sifields._sigchld.si_status
            let status: ExitStatus = info.si_code == CLD_EXITED ? .exited(code) : .signaled(code)
            exitRecord.record(status)
            return status
        }
        return nil
    }

    /// True until the group leader exits (what it forked may still run; see ``groupIsAlive``).
    package var isRunning: Bool { exitStatus == nil }

    /// The last lines of output once the process has exited, after giving the reader a
    /// moment to drain what was still in the pipe.
    package func finalLines(_ count: Int = 20) async -> [String] {
        await log.drained(within: .milliseconds(300))
        return log.lastLines(count)
    }

    /// Waits until the group leader exits.
    package func waitForExit() async -> ExitStatus {
        if let status = exitStatus { return status }
        return await withCheckedContinuation { continuation in
            let (ready, startPoller) = exitRecord.addWaiter(continuation)
            if let ready { continuation.resume(returning: ready) }
            else if startPoller { self.pollExit() }
        }
    }

    /// Waits until the group leader exits; if the task is cancelled first, stops the group
    /// with `steps` (in the background), so the wait ends once the leader is gone.
    package func waitForExit(stoppingOnCancel steps: [TeardownStep]) async -> ExitStatus {
        await withTaskCancellationHandler {
            await waitForExit()
        } onCancel: {
            Task.detached { await self.stop(steps) }
        }
    }

    /// Foundation may not report the exit while a forked child keeps its socket open: a
    /// thread of its own waits (``blockUntilExit()``).
    private func pollExit() {
        Thread.detachNewThread { [self] in _ = blockUntilExit() }
    }

    /// Blocks the calling thread until the group leader exits, for synchronous code on a
    /// ``BlockingWork`` thread (async code awaits ``waitForExit()``).
    ///
    /// It blocks in `waitid(WNOWAIT)`, which returns when the leader exits without reaping
    /// it, so nothing polls while the process runs. Should Foundation reap it first (the wait
    /// then fails with ECHILD), its termination handler records the status; the thread checks
    /// every 10 ms until it has.
    package func blockUntilExit() -> ExitStatus {
        var info = siginfo_t()
        while true {
            if let status = exitStatus { return status }
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno != EINTR { usleep(10_000) }
        }
    }

    /// True while any process that is not a zombie is left in the group (the leader or
    /// what it forked). Zombies count as gone: where PID 1 does not reap orphans (some
    /// container and VM init processes), an orphaned zombie can stay in the group forever.
    package var groupIsAlive: Bool {
        if Glibc.kill(-pid, 0) != 0 && errno == ESRCH { return false }
        // A running leader keeps the group alive; only after it exits is /proc read.
        if exitStatus == nil { return true }
        return ProcessTable.groupHasLiveMembers(pid)
    }

    /// Sends `signal` to the whole process group.
    package func signalGroup(_ signal: Int32) {
        _ = Glibc.kill(-pid, signal)
    }

    /// Runs the teardown steps until the group is empty. Returns the steps it used.
    @discardableResult
    package func stop(_ steps: [TeardownStep]) async -> [TeardownStep] {
        var used: [TeardownStep] = []
        for step in steps {
            if !groupIsAlive { break }
            used.append(step)
            switch step {
            case .signal(let signal, let grace):
                signalGroup(signal)
                if await waitForGroupExit(within: grace) { break }
            case .kill:
                signalGroup(SIGKILL)
                _ = await waitForGroupExit(within: .seconds(5))
            }
            if !groupIsAlive { break }
        }
        _ = await waitForExit()
        await log.drained(within: .milliseconds(200))
        ProcessRegistry.remove(pid)
        return used
    }

    private func waitForGroupExit(within limit: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var pause: Duration = .microseconds(500)
        while clock.now < deadline {
            if !groupIsAlive { return true }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(5))
        }
        return !groupIsAlive
    }

    /// Finds `name` on PATH, then in the ``systemFolders``, unless it contains a slash.
    package static func resolve(_ name: String, path: String?) throws -> String {
        if name.contains("/") {
            guard access(name, X_OK) == 0 else {
                throw ServiceProcessError(message: "\(name) is not an executable file")
            }
            return name
        }
        let searchPath = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        guard let found = locate(name, path: searchPath) else {
            throw ServiceProcessError(message: "'\(name)' was not found on PATH (\(searchPath)) or in \(systemFolders.joined(separator: ", "))")
        }
        return found
    }

    /// Where a program is looked for after PATH: the folders of system programs that a
    /// normal account's PATH lacks on Debian, where servers such as pgbouncer and nginx live.
    package static let systemFolders = ["/usr/local/sbin", "/usr/sbin", "/sbin"]

    /// The first executable regular file called `name` on `path` (nil: this process's
    /// `PATH`), then in the ``systemFolders``: where a service's program is found.
    package static func locate(_ name: String, path: String?) -> String? {
        findExecutable(name, path: path) ?? findExecutable(name, path: systemFolders.joined(separator: ":"))
    }

    /// The first executable regular file called `name` in the folders of `path`
    /// (a `PATH`-style list; nil: this process's `PATH`).
    package static func findExecutable(_ name: String, path: String?) -> String? {
        let searchPath = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in searchPath.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            var info = stat()
            if access(candidate, X_OK) == 0, stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                return candidate
            }
        }
        return nil
    }
}

/// A process could not be spawned.
package struct ServiceProcessError: TestbedError {
    /// What went wrong, written for the user.
    package var message: String

    /// Makes the error.
    package init(message: String) {
        self.message = message
    }
}

/// The exit status of a ``ServiceProcess`` and who waits for it.
private final class ExitRecord: Sendable {
    private struct State {
        var exit: ExitStatus?
        var polling = false
        var waiters: [CheckedContinuation<ExitStatus, Never>] = []
    }
    private let state = Mutex(State())

    var status: ExitStatus? { state.withLock { $0.exit } }

    /// Records the first status reported and wakes every waiter.
    func record(_ status: ExitStatus) {
        let (final, waiters) = state.withLock { state in
            if state.exit == nil { state.exit = status }
            defer { state.waiters = [] }
            return (state.exit!, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: final) }
    }

    /// Returns the status if known; otherwise queues the waiter and says whether a poller must start.
    func addWaiter(_ continuation: CheckedContinuation<ExitStatus, Never>) -> (ExitStatus?, Bool) {
        state.withLock { state in
            if let exit = state.exit { return (exit, false) }
            state.waiters.append(continuation)
            defer { state.polling = true }
            return (nil, !state.polling)
        }
    }
}

