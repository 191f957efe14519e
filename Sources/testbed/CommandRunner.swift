import Foundation
import Synchronization
import Testbed
import TestbedSystem

/// Runs the test command of `testbed run` in the foreground of the terminal, and stops
/// it when testbed is signalled or a service dies.
///
/// The command is a ``ServiceProcess`` that shares testbed's stdin, stdout and stderr: it
/// is spawned behind the watchdog's gate (it never runs unregistered), and its exit is
/// the group leader's own (`waitid`), not the moment every copy of its output closes — a
/// background child that outlives it does not hold the run. Whatever it leaves in its
/// process group is stopped like a service: SIGTERM, the grace period, SIGKILL.
final class CommandRunner: Sendable {
    struct LaunchError: Error {
        var message: String
        var code: Int32
    }

    private enum Phase { case waiting, launching, running, finished }

    private struct State {
        var phase = Phase.waiting
        var command: ServiceProcess?
        var signal: Int32?
        var failure: EnvironmentError?
    }
    private let state = Mutex(State())
    /// How long the command has after a forwarded signal before its group gets SIGKILL,
    /// and how long what it leaves behind has after SIGTERM.
    let grace: Duration

    init(grace: Duration) {
        self.grace = grace
    }

    var receivedSignal: Int32? { state.withLock { $0.signal } }
    var serviceFailure: EnvironmentError? { state.withLock { $0.failure } }

    /// Takes a signal testbed received. Returns true when the command is running (or being
    /// launched): it gets the signal first, then its grace period, then SIGKILL, and the
    /// caller tears the environment down only after ``run(_:environment:failure:)`` returns.
    /// Returns false before the launch: the caller interrupts the start itself.
    func interrupt(_ signal: Int32) -> Bool {
        let (phase, command) = state.withLock { state -> (Phase, ServiceProcess?) in
            if state.signal == nil { state.signal = signal }
            return (state.phase, state.command)
        }
        if let command { stop(command, with: signal) }
        return phase != .waiting
    }

    /// Runs `argv` and returns its shell status (128+N when killed by signal N), once the
    /// command has exited and its process group is empty.
    func run(_ argv: [String], environment: [String: String],
             failure: @escaping @Sendable () async -> EnvironmentError) async throws -> Int32 {
        let executable: String
        if argv[0].contains("/") {
            guard FileManager.default.fileExists(atPath: argv[0]) else {
                throw LaunchError(message: "command not found: \(argv[0])", code: ExitCodes.notFound)
            }
            executable = argv[0]
        } else if let found = ServiceProcess.findExecutable(argv[0], path: environment["PATH"]) {
            executable = found
        } else {
            throw LaunchError(message: "command not found: \(argv[0])", code: ExitCodes.notFound)
        }
        if let signal = state.withLock({ state -> Int32? in
            if state.signal == nil { state.phase = .launching }
            return state.signal
        }) {
            return 128 + signal
        }
        var configuration = ServiceProcess.Options(
            executable: executable, arguments: Array(argv.dropFirst()), environment: environment, logFile: "")
        configuration.inheritsStandardStreams = true
        let command: ServiceProcess
        do {
            command = try ServiceProcess(configuration)
        } catch {
            state.withLock { $0.phase = .finished }
            throw LaunchError(message: "cannot execute \(executable): \(error)", code: ExitCodes.cannotExecute)
        }
        let pending = state.withLock { state -> Int32? in
            state.command = command
            state.phase = .running
            return state.signal
        }
        if let pending { stop(command, with: pending) }
        let foreground = Self.takeTerminal(command.pid)
        let watcher = Task {
            let error = await failure()
            state.withLock { $0.failure = error }
            stop(command, with: SIGTERM)
        }
        let status = await command.waitForExit()
        watcher.cancel()
        if foreground { Self.restoreTerminal() }
        // What the command left in its group (background jobs) goes the way a service does.
        await command.stop(TeardownStep.standard(signal: SIGTERM, grace: grace))
        state.withLock { $0.phase = .finished }
        return status.shellCode
    }

    /// Sends `signal` to the command's group, and SIGKILL once the grace period has passed
    /// if the command has not exited by then.
    private func stop(_ command: ServiceProcess, with signal: Int32) {
        command.signalGroup(signal)
        let grace = self.grace
        Task.detached {
            let deadline = ContinuousClock.now + grace
            while command.isRunning && ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            if command.isRunning { command.signalGroup(SIGKILL) }
        }
    }

    /// Gives the terminal to the command's process group (as a shell does), so it can
    /// read the terminal and receives Ctrl-C itself.
    private static func takeTerminal(_ pgid: Int32) -> Bool {
        guard isatty(STDIN_FILENO) == 1, tcgetpgrp(STDIN_FILENO) == getpgrp() else { return false }
        signal(SIGTTOU, SIG_IGN)
        return tcsetpgrp(STDIN_FILENO, pgid) == 0
    }

    private static func restoreTerminal() {
        tcsetpgrp(STDIN_FILENO, getpgrp())
    }
}
