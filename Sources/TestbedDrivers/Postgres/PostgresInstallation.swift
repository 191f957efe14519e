import Foundation
import Synchronization
import TestbedSystem

/// A PostgreSQL server installation: the folder with `initdb` and `postgres`, and its version.
package struct PostgresInstallation: Sendable, Hashable {
    /// The folder holding `initdb` and `postgres`.
    package var binDirectory: String
    /// The output of `postgres --version`, e.g. `postgres (PostgreSQL) 15.12 (Debian 15.12-0+deb12u2)`.
    package var versionString: String
    /// The major version, e.g. 15.
    package var majorVersion: Int

    /// Full path of this installation's `initdb`.
    package var initdb: String { binDirectory + "/initdb" }
    /// Full path of this installation's `postgres` server binary.
    package var postgres: String { binDirectory + "/postgres" }

    /// Finds the server binaries `server` asks for.
    ///
    /// `.newest` looks at `pg_config --bindir`, `postgres` on `PATH` and
    /// `/usr/lib/postgresql/*/bin`, and takes the highest major version. Results are
    /// remembered for the life of the process. `scratchDirectory` receives the logs of
    /// the short commands run here. Throws ``PostgresError`` (`.installation`) naming the
    /// Debian package to install, or the manifest setting to fix.
    ///
    /// Blocks on first use (it runs `pg_config` and `postgres --version` and waits for them,
    /// unless `cacheRoot`'s ``CommandMemo`` has their answers for these very binaries):
    /// call it from ``BlockingWork``.
    package static func locate(_ server: PostgresSpec.Server, path: String?, scratchDirectory: String,
                              cacheRoot: String? = nil) throws(PostgresError) -> PostgresInstallation {
        let memo = CommandMemo(cacheRoot: cacheRoot)
        let key = "\(server)|\(path ?? "")"
        if let known = found.withLock({ $0[key] }) { return known }
        let installation: PostgresInstallation
        switch server {
        case .binDirectory(let dir):
            guard hasServer(dir) else {
                throw PostgresError(
                    code: .installation, message: "no PostgreSQL server in \(dir) (initdb and postgres are missing)",
                    hint: "set postgres: {bin_dir: ...} to the folder holding initdb and postgres, "
                        + "or install the server: apt-get install postgresql")
            }
            installation = try inspect(dir, scratchDirectory: scratchDirectory, memo: memo)
        case .version(let major):
            let dir = "/usr/lib/postgresql/\(major)/bin"
            guard hasServer(dir) else {
                throw PostgresError(
                    code: .installation, message: "PostgreSQL \(major) is not installed (no \(dir))",
                    hint: "install it: apt-get install postgresql-\(major), "
                        + "or set postgres: {bin_dir: ...} to the folder holding initdb and postgres")
            }
            installation = try inspect(dir, scratchDirectory: scratchDirectory, memo: memo)
        case .newest:
            let candidates = newestCandidates(path: path, scratchDirectory: scratchDirectory, memo: memo)
            guard let best = candidates.max(by: { $0.major < $1.major }) else {
                throw PostgresError(
                    code: .installation, message: "no PostgreSQL server found (looked at pg_config --bindir, "
                        + "PATH and /usr/lib/postgresql/*/bin)",
                    hint: "install it: apt-get install postgresql, "
                        + "or set postgres: {bin_dir: ...} to the folder holding initdb and postgres")
            }
            installation = try inspect(best.dir, scratchDirectory: scratchDirectory, memo: memo)
        }
        found.withLock { $0[key] = installation }
        return installation
    }

    private static let found = Mutex<[String: PostgresInstallation]>([:])

    private static func hasServer(_ dir: String) -> Bool {
        access(dir + "/initdb", X_OK) == 0 && access(dir + "/postgres", X_OK) == 0
    }

    /// Candidate folders with a major version guessed from the path (0 when unknown: checked later).
    private static func newestCandidates(path: String?, scratchDirectory: String,
                                         memo: CommandMemo) -> [(dir: String, major: Int)] {
        var dirs: [String] = []
        let root = "/usr/lib/postgresql"
        // Debian's pg_config answers from the folders of `root`: its times are part of the memo's key.
        if let pgConfig = try? ServiceProcess.resolve("pg_config", path: path),
           let output = try? memo.output(of: pgConfig, ["--bindir"], dependingOn: access(root, F_OK) == 0 ? [root] : [], run: {
               try run(pgConfig, ["--bindir"], scratchDirectory: scratchDirectory)
           }) {
            dirs.append(output.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if let onPath = try? ServiceProcess.resolve("postgres", path: path) {
            dirs.append((realPath(onPath) as NSString).deletingLastPathComponent)
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where Int(entry) != nil {
            dirs.append("\(root)/\(entry)/bin")
        }
        var seen = Set<String>()
        return dirs.compactMap { dir in
            let real = realPath(dir)
            guard hasServer(real), seen.insert(real).inserted else { return nil }
            let parts = real.split(separator: "/")
            if let index = parts.firstIndex(of: "postgresql"), index + 1 < parts.count, let major = Int(parts[index + 1]) {
                return (real, major)
            }
            let version = try? inspect(real, scratchDirectory: scratchDirectory, memo: memo)
            return (real, version?.majorVersion ?? 0)
        }
    }

    private static func inspect(_ dir: String, scratchDirectory: String,
                                memo: CommandMemo) throws(PostgresError) -> PostgresInstallation {
        let output: String
        do {
            output = try memo.output(of: dir + "/postgres", ["--version"]) {
                try run(dir + "/postgres", ["--version"], scratchDirectory: scratchDirectory)
            }
        } catch {
            throw PostgresError(code: .installation, message: "cannot run \(dir)/postgres --version: \(error)",
                                hint: "reinstall the server: apt-get install postgresql")
        }
        let text = output.trimmingCharacters(in: .whitespacesAndNewlines)
        // "postgres (PostgreSQL) 15.12 (Debian ...)" -> 15; "9.6.24" -> 9
        let number = text.split(separator: " ").first { $0.first?.isNumber == true } ?? ""
        guard let major = Int(number.prefix { $0.isNumber }) else {
            throw PostgresError(code: .installation, message: "cannot read the version of \(dir)/postgres: '\(text)'")
        }
        return PostgresInstallation(binDirectory: dir, versionString: text, majorVersion: major)
    }

    /// Runs a short command through ``ServiceProcess`` and returns what it printed. Blocks
    /// until the command exits.
    static func run(_ executable: String, _ arguments: [String], scratchDirectory: String) throws -> String {
        let log = scratchDirectory + "/.\((executable as NSString).lastPathComponent)-\(UUID().uuidString).log"
        defer { unlink(log) }
        let process = try ServiceProcess(.init(
            executable: executable, arguments: arguments,
            environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], logFile: log))
        let status = process.blockUntilExit()
        process.log.finish()
        let output = process.log.lastLines(50).joined(separator: "\n")
        guard status.isSuccess else { throw ServiceProcessError(message: "\(executable) failed (\(status)): \(output)") }
        return output
    }

    private static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
