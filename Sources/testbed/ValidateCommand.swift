import ArgumentParser
import Foundation
import Testbed
import TestbedModel

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a manifest without starting anything; exit 0 when it is valid, 1 with every problem otherwise.",
        discussion: "Besides the manifest itself, checks what a run would reject before starting anything, in the "
            + "current environment: unset ${VAR} placeholders without a default (and ${VAR:?message}), fixture paths "
            + "that use variables, working_dir folders that do not exist, and programs that are not installed."
    )

    @Argument(help: "The environment manifest.")
    var manifest: String

    func run() throws {
        do {
            let loaded = try ManifestLoader.validate(path: manifest, environment: ProcessInfo.processInfo.environment)
            print("\(manifest): valid — environment '\(loaded.name)', " + Self.summary(of: loaded))
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(ExitCodes.invalid)
        }
    }

    /// `2 services: db (postgres), cache (redis preset); 1 link: api-db → db`, each list
    /// shortened after 20 entries; a kind with no entries is `0 services`, and links are
    /// left out when there are none.
    static func summary(of manifest: Manifest) -> String {
        let services = manifest.services.map { service in
            if let process = service.process, let preset = process.preset {
                return "\(service.name) (\(preset) preset)"
            }
            return "\(service.name) (\(service.kindName))"
        }
        let links = manifest.links.map { link in
            "\(link.name) → \(link.target.isEmpty ? "an external URL" : link.target)" + (link.http != nil ? " (http)" : "")
        }
        var text = list(services, "service")
        if !links.isEmpty { text += "; " + list(links, "link") }
        return text
    }

    /// `N NOUNs: a, b, …`, or `0 NOUNs`.
    private static func list(_ items: [String], _ noun: String) -> String {
        let count = "\(items.count) \(noun)\(items.count == 1 ? "" : "s")"
        guard !items.isEmpty else { return count }
        let shown = items.prefix(20).joined(separator: ", ")
        return count + ": " + (items.count > 20 ? shown + ", … (\(items.count - 20) more)" : shown)
    }
}
