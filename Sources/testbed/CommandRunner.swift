import Foundation
import Synchronization
import Testbed

/// Runs the test command of `testbed run` in the foreground of the terminal, and stops
/// it when testbed is signalled or a service dies.
final class CommandRunner: Sendable {
    struct LaunchError: Error {
        var message: String
        var code: Int32
    }

    private struct State {
        var pid: Int32 = 0
        var signal: Int32?
        var failure: EnvironmentError?
    }
    private let state = Mutex(State())

    var receivedSignal: Int32? { state.withLock { $0.signal } }
    var serviceFailure: EnvironmentError? { state.withLock { $0.failure } }

    /// Forwards a signal to the command's process group (or remembers it for later).
    func interrupt(_ signal: Int32) {
        let pid = state.withLock { state -> Int32 in
            if state.signal == nil { state.signal = signal }
            return state.pid
        }
        if pid > 0 { kill(-pid, signal) }
    }

    /// Runs `argv` and returns its shell status (128+N when killed by signal N).
    func run(_ argv: [String], environment: [String: String],
             failure: @escaping @Sendable () async -> EnvironmentError) async throws -> Int32 {
        let executable: String
        if argv[0].contains("/") {
            guard FileManager.default.fileExists(atPath: argv[0]) else {
                throw LaunchError(message: "command not found: \(argv[0])", code: 127)
            }
            executable = argv[0]
        } else if let found = ServiceProcess.findExecutable(argv[0], path: environment["PATH"]) {
            executable = found
        } else {
            throw LaunchError(message: "command not found: \(argv[0])", code: 127)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.environment = environment
        process.standardInput = FileHandle.standardInput
        let (exits, exited) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { finished in
            let code = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
            exited.yield(code)
        }
        do {
            try withUnblockedSignals { try process.run() }
        } catch {
            throw LaunchError(message: "cannot execute \(executable): \(error.localizedDescription)", code: 126)
        }
        let pid = process.processIdentifier
        // The command's group is stopped too if testbed dies: its environment is gone.
        ProcessRegistry.add(pid)
        defer { ProcessRegistry.remove(pid) }
        let pending = state.withLock { state -> Int32? in
            state.pid = pid
            return state.signal
        }
        if let pending { kill(-pid, pending) }
        let foreground = Self.takeTerminal(pid)
        let watcher = Task {
            let error = await failure()
            state.withLock { $0.failure = error }
            kill(-pid, SIGTERM)
        }
        var status: Int32 = 0
        for await code in exits {
            status = code
            break
        }
        watcher.cancel()
        if foreground { Self.restoreTerminal() }
        return status
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
