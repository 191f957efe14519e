import ArgumentParser
import Foundation
import Testbed
import TestbedSystem
import TestbedModel

/// Starts an environment for a command, with console output and signal handling.
struct Session {
    let environment: Environment
    let console: Console
    let manifest: Manifest
    let output: OutputOptions

    /// Loads the manifest; an invalid one prints every problem and exits with `code`.
    static func open(path: String, output: OutputOptions, showLogs: Bool, invalidCode: Int32, name: String? = nil,
                     tapes: TapeMode? = nil, pull: String? = nil) throws -> Session {
        let manifest: Manifest
        do {
            manifest = try ManifestLoader.load(path: path)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(invalidCode)
        }
        let console = Console(options: output, showOutput: showLogs, services: manifest.services.map(\.name))
        var options = Environment.Options(
            keepRunDirectory: output.keep,
            onEvent: { console.event($0) },
            onOutput: { console.output(service: $0, line: $1) })
        options.name = name
        options.tapeMode = tapes
        // `--pull`: read by the container kind where it plans `run --pull`.
        if let pull { options.environment["TESTBED_PULL"] = pull }
        return Session(environment: Environment(manifest: manifest, options: options), console: console,
                       manifest: manifest, output: output)
    }

    /// Starts the environment; on failure prints the diagnosis and exits 125, or
    /// 128+N when the start was interrupted by signal N.
    func start(interruptedBy signal: @Sendable () -> Int32?) async throws {
        do {
            try await environment.start()
        } catch {
            finish()
            if let signal = signal() {
                console.error("interrupted by \(signalName(signal)) during the start; everything started was torn down")
                throw ExitCode(128 + signal)
            }
            console.failure(error)
            if (error as? EnvironmentError)?.runDirectory != nil { console.note("read the logs with: testbed logs --last [SERVICE]") }
            throw ExitCode(ExitCodes.environmentFailed)
        }
    }

    /// After teardown: prints where the logs are when they outlived it (`--keep`, a failed
    /// command or a service that died), and how to read them.
    func reportKeptLogs() async {
        guard let folder = await environment.logsAfterStop else { return }
        let what = output.keep ? "run directory kept at" : "logs kept at"
        console.note("\(what) \(folder) (read them with: testbed logs --last [SERVICE])")
    }

    /// After teardown: prints why each HTTP link's tape fails the run (a strict tape with
    /// misses or unused exchanges, a tape that could not be written); true when one does.
    func reportTapeFailures() -> Bool {
        let failures = environment.links.tapeReports.compactMap(\.failure)
        for failure in failures { console.error(failure) }
        return !failures.isEmpty
    }

    /// Writes the report file, if asked for.
    func finish() {
        if let report = output.report { console.writeReport(to: report, environment: manifest.name) }
    }

    func exportLines() async -> [String] {
        await environment.exports.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}
