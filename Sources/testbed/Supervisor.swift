import ArgumentParser
import Foundation
import Synchronization
import Testbed
import TestbedSystem

/// `up --supervise` (started by `up -d`): owns a detached environment until `down`, the
/// lease, a signal, or a service failure; answers on the run's control socket.
struct Supervisor {
    let command: UpCommand

    /// Why the supervisor stops.
    enum Ending: Sendable { case down, leaseEnded, signal(Int32), failure(EnvironmentError) }

    func run() async throws {
        let root = RunDirectory.root(environment: ProcessInfo.processInfo.environment)
        let session = try Session.open(path: command.manifest, output: command.output, showLogs: false,
                                       invalidCode: ExitCodes.environmentFailed, name: command.name,
                                       tapes: command.tapeOptions.tapes)
        let name = session.environment.name
        let acquired: NameLock?
        do {
            acquired = try NameLock.acquire(name, root: root)
        } catch {
            report(SupervisorReport(ready: false, error: "\(error)"))
            throw DetachedCommands.fail(code: ExitCodes.environmentFailed, "\(error)")
        }
        guard let lock = acquired else {
            report(SupervisorReport(ready: false, error: "the name '\(name)' is in use"))
            throw DetachedCommands.fail(code: ExitCodes.environmentFailed, "an environment named '\(name)' is already running; stop it with 'testbed down \(name)'")
        }
        // RUN_DIR is ROOT/NAME-PID-RANDOM; its control socket must fit in a Unix socket path.
        let longest = root.utf8.count + session.manifest.name.utf8.count + 32 + "/control.sock".utf8.count
        if longest > 107 {
            report(SupervisorReport(ready: false, error: "socket path too long"))
            throw DetachedCommands.fail(code: ExitCodes.environmentFailed,
                "the run root \(root) is too long for the control socket (Unix socket paths are limited to 107 bytes)\n"
                + "    hint: set TESTBED_RUN_ROOT to a shorter folder")
        }
        let environment = session.environment
        let (endings, ending) = AsyncStream.makeStream(of: Ending.self)
        let trap = SignalTrap { signal in
            if signal != SIGHUP { ending.yield(.signal(signal)) }
        }
        do {
            try await environment.start()
        } catch {
            session.console.failure(error)
            report(SupervisorReport(ready: false, error: "\(error)"))
            throw ExitCode(ExitCodes.environmentFailed)
        }
        guard let runDirectory = await environment.runDirectory?.path else { throw ExitCode(ExitCodes.environmentFailed) }
        let lease = command.ttl.flatMap { Duration(manifest: $0) }
        let now = Date().timeIntervalSince1970
        let detached = DetachedRun(name: name, pid: getpid(), startTime: ProcessIdentity.current.startTime, manifest: URL(fileURLWithPath: command.manifest).standardizedFileURL.path,
                                   runDirectory: runDirectory, startedAt: now,
                                   expiresAt: lease.map { now + Double($0.components.seconds) })
        try ControlSocket.serve(at: detached.controlSocket) { request in
            // Acknowledged at once; `testbed down` waits for this process to exit.
            if request.request == .down { ending.yield(.down) }
            return await environment.answer(request, for: detached)
        }
        try detached.write()
        report(SupervisorReport(ready: true, exports: await environment.exports, runDirectory: runDirectory))
        Self.redirectOutput(to: runDirectory + "/supervisor.log")
        if let lease {
            Task {
                try? await Task.sleep(for: lease)
                ending.yield(.leaseEnded)
            }
        }
        Task { ending.yield(.failure(await environment.waitForFailure())) }
        var reason = Ending.down
        for await first in endings {
            reason = first
            break
        }
        FileHandle.standardError.write(Data("supervisor: stopping (\(reason))\n".utf8))
        if case .failure = reason { await environment.keepLogs() }
        await environment.stop()
        session.finish()
        _ = session.reportTapeFailures()
        withExtendedLifetime((trap, lock)) {}
    }

    /// One JSON line to `up -d`, which waits for it.
    func report(_ report: SupervisorReport) {
        if let data = try? JSONEncoder().encode(report) {
            FileHandle.standardOutput.write(data + Data([10]))
        }
    }

    /// After the start, nobody reads the terminal any more: output goes to the run's log.
    static func redirectOutput(to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        dup2(fd, STDOUT_FILENO)
        dup2(fd, STDERR_FILENO)
        close(fd)
    }
}

