import ArgumentParser
import Foundation
import Testbed

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a manifest without starting anything; exit 0 when it is valid, 1 with every problem otherwise.",
        discussion: "Besides the manifest itself, checks what a run would reject before starting anything, in the "
            + "current environment: unset ${VAR} placeholders without a default (and ${VAR:?message}), fixture paths "
            + "that use variables, and working_dir folders that do not exist."
    )

    @Argument(help: "The environment manifest.")
    var manifest: String

    func run() throws {
        do {
            let loaded = try ManifestLoader.validate(path: manifest, environment: ProcessInfo.processInfo.environment)
            print("\(manifest): valid — environment '\(loaded.name)', \(loaded.services.count) service\(loaded.services.count == 1 ? "" : "s"): "
                  + Self.summary(of: loaded))
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(ExitCodes.invalid)
        }
    }

    /// `db (postgres), api (process)`, shortened after 20 services.
    static func summary(of manifest: Manifest) -> String {
        let shown = manifest.services.prefix(20).map { "\($0.name) (\($0.kindName))" }.joined(separator: ", ")
        return manifest.services.count > 20 ? shown + ", … (\(manifest.services.count - 20) more)" : shown
    }
}
