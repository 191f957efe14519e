import ArgumentParser
import Foundation
import Synchronization
import Testbed

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start an environment in the foreground and keep it up until Ctrl-C.",
        discussion: "Prints the exports once every service is healthy, then the services' output prefixed 'service |'."
    )

    @Argument(help: "The environment manifest.")
    var manifest: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let session = try Session.open(path: manifest, output: output, showLogs: true, invalidCode: ExitCodes.environmentFailed)
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
        await environment.stop()
        session.finish()
        if let failure {
            session.console.error(failure.description)
            throw ExitCode(ExitCodes.environmentFailed)
        }
    }
}
