import TestbedSystem
#if canImport(Glibc)
import Glibc
#endif

/// Healthy when a command exits with status 0 within the timeout.
///
/// Each attempt spawns `argv` as a ``ServiceProcess`` (its own process group, stdin
/// /dev/null, exactly `environment`), with output appended to `logFile`. On timeout the
/// whole group is killed and the attempt fails; after every attempt anything the command
/// left running in its group is killed too, so probes never leak processes.
package struct CommandProbe: HealthProbe {
    /// The command and its arguments; the first word is looked up on the environment's `PATH`.
    package var argv: [String]
    /// The command's complete environment (nothing is inherited from this process).
    package var environment: [String: String]
    /// Where the command runs; nil: this process's current directory.
    package var workingDirectory: String?
    /// The file each attempt's output is appended to.
    package var logFile: String
    /// When set (and Testbed is root), the command runs as this user, like its service.
    package var user: UnixUser?

    /// Describes the command; nothing runs until ``attempt(timeout:)``.
    package init(argv: [String], environment: [String: String], workingDirectory: String? = nil,
                logFile: String, user: UnixUser? = nil) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logFile = logFile
        self.user = user
    }

    /// `command` followed by the argv, e.g. `command pg_isready -q`.
    package var summary: String { "command \(argv.joined(separator: " "))" }

    /// Throws ``ProbeFailure``: `invalidProbe` when the command cannot be started,
    /// `timedOut` when it runs too long, `unexpectedAnswer` when it exits non-zero, with the
    /// status and the last line of its output: `exit status 1: connection refused`.
    package func attempt(timeout: Duration) async throws {
        guard let executable = argv.first else {
            throw ProbeFailure(.invalidProbe, "health check command is empty")
        }
        let process: ServiceProcess
        do {
            process = try ServiceProcess(.init(executable: executable, arguments: Array(argv.dropFirst()),
                                               environment: environment, workingDirectory: workingDirectory,
                                               logFile: logFile, user: user))
        } catch let error as ServiceProcessError {
            throw ProbeFailure(.invalidProbe, "health check command: \(error.message)")
        }
        let status = await Self.exitStatus(of: process, within: timeout)
        // Kill what the command may have left in its group; also waits for its output.
        await process.stop([.kill])
        guard let status else {
            if Task.isCancelled { throw CancellationError() }
            throw ProbeFailure(.timedOut, "command timed out after \(timeout.probeDescription): \(argv.joined(separator: " "))")
        }
        guard status.isSuccess else {
            let detail = process.log.lastLines(1).first.map { ": \($0)" } ?? " (no output)"
            let what = if case .exited = status { "\(status)" } else { "command was \(status)" }
            throw ProbeFailure(.unexpectedAnswer, what + detail)
        }
    }

    /// The exit status, or nil when `timeout` passes (or the task is cancelled) first.
    private static func exitStatus(of process: ServiceProcess, within timeout: Duration) async -> ExitStatus? {
        await withTaskGroup(of: ExitStatus?.self) { group in
            group.addTask { await process.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            if first != nil {
                group.cancelAll()
            } else {
                // waitForExit cannot be cancelled: end the process so that child returns.
                process.signalGroup(SIGKILL)
            }
            return first
        }
    }
}
