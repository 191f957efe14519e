import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem
import TestbedSeed

/// The remembered output of the short commands that locate a PostgreSQL installation
/// (`postgres --version`, `pg_config --bindir`): about 18 ms of a warm start otherwise,
/// run again by every process.
///
/// An answer is kept in `cacheRoot/postgres/commands/HASH`, under the identity of what it
/// depends on: the program (its real path, device, inode, size, modification and change
/// times), its arguments, and any other paths named (Debian's `pg_config` lists
/// `/usr/lib/postgresql`, whose times change when a version is installed or removed).
/// Upgrading or replacing the program changes its inode or times, so the next run asks
/// again. The folder is the caller's private cache (0700); files are read without
/// following links and written by an atomic rename. Any failure here only means the
/// command runs, as before.
struct CommandMemo: Sendable {
    /// The folder of answers; nil remembers nothing.
    let folder: String?

    /// The memo of the cache at `cacheRoot` (nil: none).
    init(cacheRoot: String?) {
        folder = cacheRoot.map { $0 + "/postgres/commands" }
    }

    /// The remembered output of `executable arguments`, else what `run` returns (then remembered).
    func output(of executable: String, _ arguments: [String], dependingOn paths: [String] = [],
                run: () throws -> String) rethrows -> String {
        guard let folder, let key = Self.identity(executable, arguments, paths) else { return try run() }
        var hash = ContentHash()
        hash.update(key)
        let file = folder + "/" + hash.hex
        if let text = ClusterFiles.readSmallFile(file), text.hasPrefix(key + "\n") {
            return String(text.dropFirst(key.count + 1))
        }
        let output = try run()
        ClusterFiles.replaceSmallFile(file, in: folder, contents: key + "\n" + output,
                                      what: "the folder of remembered installation checks")
        return output
    }

    /// What the answer depends on, one line; nil when a path cannot be read (nothing is remembered).
    static func identity(_ executable: String, _ arguments: [String], _ paths: [String]) -> String? {
        var parts: [String] = []
        for path in [executable] + paths {
            guard let resolved = realpath(path, nil) else { return nil }
            defer { free(resolved) }
            var info = stat()
            guard stat(resolved, &info) == 0 else { return nil }
            parts.append(String(cString: resolved) + ":" + ClusterFiles.identity(info))
        }
        let line = (parts + ["args"] + arguments).joined(separator: "\u{1}")
        return line.contains("\n") ? nil : line
    }
}
