import ArgumentParser
import Foundation
import Synchronization
import Testbed

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start an environment and keep it up: in the foreground until Ctrl-C, or detached with -d.",
        discussion: "Prints the exports (NAME=value lines) once every service is healthy. In the foreground the "
            + "services' output follows, prefixed 'service |'. With -d, testbed returns once the stack is healthy "
            + "and a supervisor process keeps it up until 'testbed down' (or the --ttl lease ends)."
    )

    @Argument(help: "The environment manifest.")
    var manifest: String

    @Flag(name: .shortAndLong, help: "Detach: return once healthy and leave the stack to a supervisor process.")
    var detach = false

    @Option(help: "The environment's name for later commands (default: the manifest's name).")
    var name: String?

    @Option(help: ArgumentHelp("With -d, tear the stack down after this long (e.g. 30m), even without 'down'.", valueName: "duration"))
    var ttl: String?

    @Flag(help: .hidden)
    var supervise = false

    @OptionGroup var output: OutputOptions

    @OptionGroup var tapeOptions: TapeOptions

    func validate() throws {
        if let ttl, Duration(manifest: ttl) == nil { throw ValidationError("--ttl must be a duration such as 90s, 30m or 2h") }
        if ttl != nil && !detach && !supervise { throw ValidationError("--ttl applies to a detached environment (add -d)") }
        if let name {
            do { try DetachedRun.validateName(name) } catch { throw ValidationError(error.description) }
        }
    }

    func run() async throws {
        if supervise { return try await Supervisor(command: self).run() }
        if detach { return try await Detacher(command: self).run() }
        let session = try Session.open(path: manifest, output: output, showLogs: true, invalidCode: ExitCodes.environmentFailed, name: name,
                                       tapes: tapeOptions.tapes)
        let environment = session.environment
        // nil: interrupted by a signal; an error: a service died.
        let (outcomes, outcome) = AsyncStream.makeStream(of: EnvironmentError?.self)
        let received = Mutex<Int32?>(nil)
        let trap = SignalTrap { signal in
            received.withLock { $0 = $0 ?? signal }
            outcome.yield(nil)
            Task { await environment.stop() }
        }
        try await session.start(interruptedBy: { received.withLock { $0 } })
        let exports = await session.exportLines().joined(separator: "\n") + "\n"
        FileHandle.standardOutput.write(Data(exports.utf8))
        Task { outcome.yield(await environment.waitForFailure()) }
        var failure: EnvironmentError?
        for await first in outcomes {
            failure = first
            break
        }
        withExtendedLifetime(trap) {}
        if failure != nil { await environment.keepLogs() }
        await environment.stop()
        session.finish()
        let tapesFailed = session.reportTapeFailures()
        if let failure {
            session.console.error(failure.description)
            await session.reportKeptLogs()
            throw ExitCode(ExitCodes.environmentFailed)
        }
        await session.reportKeptLogs()
        if tapesFailed { throw ExitCode(1) }
    }
}

extension UpCommand: TrapsStopSignals {
    /// The foreground stack and the supervisor trap; `up -d` only waits for its supervisor.
    var trapsStopSignals: Bool { supervise || !detach }
}
