import ArgumentParser
import Foundation
import Testbed

/// Starts an environment for a command, with console output and signal handling.
struct Session {
    let environment: Environment
    let console: Console
    let manifest: Manifest
    let output: OutputOptions

    /// Loads the manifest; an invalid one prints every problem and exits with `code`.
    static func open(path: String, output: OutputOptions, showLogs: Bool, invalidCode: Int32) throws -> Session {
        let manifest: Manifest
        do {
            manifest = try ManifestLoader.load(path: path)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(invalidCode)
        }
        let console = Console(options: output, showOutput: showLogs, services: manifest.services.map(\.name))
        let options = Environment.Options(
            keepRunDirectory: output.keep,
            onEvent: { console.event($0) },
            onOutput: { console.output(service: $0, line: $1) })
        return Session(environment: Environment(manifest: manifest, options: options), console: console,
                       manifest: manifest, output: output)
    }

    /// Starts the environment; on failure prints the diagnosis and exits 125.
    func start() async throws {
        do {
            try await environment.start()
        } catch let error as ManifestError {
            console.error(error.description)
            finish()
            throw ExitCode(ExitCodes.environmentFailed)
        } catch {
            console.error("\(error)")
            finish()
            throw ExitCode(ExitCodes.environmentFailed)
        }
    }

    /// Writes the report file, if asked for.
    func finish() {
        if let report = output.report { console.writeReport(to: report, environment: manifest.name) }
    }

    func exportLines() async -> [String] {
        await environment.exports.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}
