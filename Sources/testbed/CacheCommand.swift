import ArgumentParser
import Foundation
import Testbed
import TestbedDrivers

/// `testbed cache`: what Testbed keeps in `TESTBED_CACHE_DIR`.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache",
        abstract: "Inspect Testbed's cache of seeded databases.",
        subcommands: [CacheKeyCommand.self]
    )
}

/// `testbed cache key MANIFEST`: the content key of every seeded snapshot a manifest needs,
/// so a CI cache of `TESTBED_CACHE_DIR` is keyed exactly.
struct CacheKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print the cache key of each database service's seeded snapshot; starts nothing.",
        discussion: """
            One line per database service: its name, its kind and the key, the file name a run
            finds or writes under TESTBED_CACHE_DIR ('-' when its seed cannot be cached). The
            key changes when a fixture byte, a seed option, the database settings or the
            PostgreSQL/SQLite version changes. Key a CI cache on this output (docs/scale-out.md).
            """
    )

    @Argument(help: "The environment manifest.")
    var manifest: String

    @Flag(help: "Print a JSON array of {service, kind, key, file, reason} objects.")
    var json = false

    func run() throws {
        let keys: [CacheKey]
        do {
            keys = try Environment(path: manifest).cacheKeys()
        } catch {
            FileHandle.standardError.write(Data(("\(error)\n").utf8))
            throw ExitCode(ExitCodes.invalid)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(keys), as: UTF8.self))
            return
        }
        let width = keys.map(\.service.count).max() ?? 0
        for key in keys {
            var line = key.service.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + key.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + (key.key ?? "-")
            if let reason = key.reason { line += "  # " + reason }
            print(line)
        }
    }
}
