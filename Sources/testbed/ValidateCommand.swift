import ArgumentParser
import Foundation
import Testbed

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a manifest without starting anything; exit 0 when it is valid, 1 with every problem otherwise."
    )

    @Argument(help: "The environment manifest.")
    var manifest: String

    func run() throws {
        do {
            let loaded = try ManifestLoader.load(path: manifest)
            print("\(manifest): valid — environment '\(loaded.name)', \(loaded.services.count) service\(loaded.services.count == 1 ? "" : "s"): "
                  + loaded.services.map { "\($0.name) (\($0.kindName))" }.joined(separator: ", "))
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(ExitCodes.invalid)
        }
    }
}
