import ArgumentParser
import Testbed

@main
struct TestbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testbed",
        abstract: "Start real service stacks for tests, and tear them down whatever happens.",
        discussion: """
            A manifest (YAML, usually in environments/) lists the services: processes,
            PostgreSQL clusters and SQLite databases. See docs/manifest.md.
            """,
        version: testbedVersion,
        subcommands: [RunCommand.self, UpCommand.self, DownCommand.self, StatusCommand.self, LogsCommand.self, EnvCommand.self,
                      ResetCommand.self, LsCommand.self, GcCommand.self, ValidateCommand.self, CacheCommand.self,
                      LinkCommand.self, VerifyCommand.self]
    )

    /// ArgumentParser's `main`, with the stop signals caught from its first line (see
    /// ``StopSignals``): a command that traps them gets those that came while it parsed and
    /// loaded; any other gets their default disposition back once parsed.
    static func main() async {
        StopSignals.catchAll()
        do {
            var command = try parseAsRoot(nil)
            if (command as? TrapsStopSignals)?.trapsStopSignals != true { StopSignals.restoreDefaults() }
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Exit codes of testbed's own (the command's status passes through `run` otherwise).
enum ExitCodes {
    /// The manifest is invalid (validate).
    static let invalid: Int32 = 1
    /// verify: the provider broke the contract of a tape.
    static let contractBroken: Int32 = 1
    /// verify: the check could not run (a tape, manifest, URL or header that cannot be used).
    static let cannotVerify: Int32 = 2
    /// The environment failed: invalid manifest, a service failed to start, or died.
    static let environmentFailed: Int32 = 125
    /// The command after `--` could not be executed.
    static let cannotExecute: Int32 = 126
    /// The command after `--` was not found.
    static let notFound: Int32 = 127
}
