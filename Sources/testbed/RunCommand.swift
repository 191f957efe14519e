import ArgumentParser
import Foundation
import Testbed

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start an environment, run a command against it, tear it down, and exit with the command's status.",
        discussion: "The command gets the manifest's exports (and TESTBED_RUN_DIR, TESTBED_ENV_NAME) in its environment. "
            + "Exit status: the command's own; 125 when the environment failed (invalid manifest, a service that did not "
            + "start or died, a contract of the manifest's verify: list broken); 126 when the command cannot be executed; 127 when it was not found; 128+N when testbed "
            + "was stopped by signal N. A strict HTTP tape that saw a request it had no answer for, or kept an answer "
            + "nobody asked for, turns a 0 into 1 (docs/tapes.md)."
    )

    @Argument(help: "The environment manifest.")
    var manifest: String

    @Argument(parsing: .postTerminator, help: "The command to run once the environment is ready (after --).")
    var command: [String] = []

    @Flag(help: "Also print the services' output, prefixed 'service |'.")
    var logs = false

    @Option(name: .customLong("stop-grace-period"),
            help: "After a forwarded signal, how long the command has before SIGKILL (also what it leaves running after it exits).")
    var stopGracePeriod = "5s"

    @OptionGroup var output: OutputOptions

    @OptionGroup var tapeOptions: TapeOptions

    @Option(help: ArgumentHelp("'missing': pull the images of 'image:' services that this account's engine storage lacks "
                               + "(default 'never': a run is offline and reproducible; also TESTBED_PULL=missing).", valueName: "policy"))
    var pull: String?

    func validate() throws {
        if let pull, !["missing", "never"].contains(pull) {
            throw ValidationError("--pull '\(pull)' is not a policy: use 'missing' or 'never'")
        }
        if command.isEmpty {
            throw ValidationError("give the command to run after '--', e.g. testbed run \(manifest) -- pytest -q")
        }
        if Duration(manifest: stopGracePeriod) == nil {
            throw ValidationError("--stop-grace-period '\(stopGracePeriod)' is not a duration (e.g. 10s, 500ms)")
        }
    }

    func run() async throws {
        let session = try Session.open(path: manifest, output: output, showLogs: logs, invalidCode: ExitCodes.environmentFailed,
                                       tapes: tapeOptions.tapes, pull: pull)
        let environment = session.environment
        let runner = CommandRunner(grace: Duration(manifest: stopGracePeriod) ?? .seconds(5))
        let trap = SignalTrap { signal in
            // Once the command runs, it gets the signal and its grace period first: the
            // services stay up for its own cleanup and are torn down after it has exited.
            if !runner.interrupt(signal) { Task { await environment.stop() } }
        }
        try await session.start(interruptedBy: { runner.receivedSignal })
        if let signal = runner.receivedSignal {
            await environment.stop()
            session.finish()
            throw ExitCode(128 + signal)
        }
        if !session.manifest.verify.isEmpty {
            let kept = await VerifyCommand.checkContractsBeforeCommand(session)
            if !kept || runner.receivedSignal != nil {
                await environment.stop()
                session.finish()
                throw ExitCode(runner.receivedSignal.map { 128 + $0 } ?? ExitCodes.environmentFailed)
            }
        }
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in await environment.exports { variables[name] = value }
        let status: Int32
        do {
            status = try await runner.run(command, environment: variables, failure: { await environment.waitForFailure() })
        } catch let error as CommandRunner.LaunchError {
            session.console.error(error.message)
            await environment.stop()
            session.finish()
            await session.reportKeptLogs()
            throw ExitCode(error.code)
        }
        withExtendedLifetime(trap) {}
        if status != 0 || runner.serviceFailure != nil { await environment.keepLogs() }
        await environment.stop()
        session.finish()
        let tapesFailed = session.reportTapeFailures()
        if let failure = runner.serviceFailure {
            session.console.error(failure.description)
            await session.reportKeptLogs()
            throw ExitCode(ExitCodes.environmentFailed)
        }
        await session.reportKeptLogs()
        if let signal = runner.receivedSignal, status == 0 { throw ExitCode(128 + signal) }
        throw ExitCode(status == 0 && tapesFailed ? 1 : status)
    }
}

extension RunCommand: TrapsStopSignals {
    var trapsStopSignals: Bool { true }
}
