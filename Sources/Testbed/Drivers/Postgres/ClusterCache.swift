import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The folder of prepared clusters under `cacheRoot/postgres`: `base-HASH` (initdb +
/// databases) and `seeded-HASH` (base + fixtures + template databases), each a complete,
/// cleanly shut down data directory.
///
/// Entries are built at most once however many processes race for them: the builder
/// holds an exclusive `flock` on `NAME.lock`, builds into `.tmp-NAME-...`, and publishes
/// with an atomic `rename`; the others wait for the lock, then find the entry. A builder
/// that dies releases its lock with its file descriptors, and the next holder deletes
/// its half-built `.tmp-` folder.
struct ClusterCache: Sendable {
    let root: String

    init(cacheRoot: String) {
        self.root = cacheRoot + "/postgres"
    }

    func path(_ name: String) -> String { root + "/" + name }

    /// Returns the entry `name`, calling `build(temporaryPath)` to create it when missing.
    /// `build` must create a complete cluster at the path it is given. `built` says
    /// whether this call built it.
    func entry(_ name: String, build: @escaping (String) async throws -> Void) async throws -> (path: String, built: Bool) {
        try await entry(name, builder: Builder(build: build))
    }

    /// The closure travels in a struct on purpose: Swift 6.3.1's release build crashes
    /// (signal 11 in LLVM's coroutine splitting) when it specializes `entry` for the
    /// closure PostgresCluster.start passes; a struct argument is not closure-specialized.
    struct Builder {
        var build: (String) async throws -> Void
    }

    @inline(never)
    private func entry(_ name: String, builder: Builder) async throws -> (path: String, built: Bool) {
        let final = path(name)
        if access(final + "/PG_VERSION", F_OK) == 0 { return (final, false) }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let lock = open(root + "/" + name + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw PostgresError(code: .cache, message: "cannot open the cache lock in \(root): \(String(cString: strerror(errno)))")
        }
        defer { close(lock) }
        // Non-blocking attempts: a blocking flock would hold one of the few cooperative threads.
        while flock(lock, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw PostgresError(code: .cache, message: "cannot lock \(root)/\(name).lock: \(String(cString: strerror(errno)))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        defer { flock(lock, LOCK_UN) }
        if access(final + "/PG_VERSION", F_OK) == 0 { return (final, false) }
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        where stale.hasPrefix(".tmp-\(name)-") {
            ClusterFiles.remove(root + "/" + stale)
        }
        ClusterFiles.remove(final)
        let temporary = root + "/.tmp-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try await builder.build(temporary)
            guard rename(temporary, final) == 0 else {
                throw PostgresError(code: .cache, message: "cannot publish \(final): \(String(cString: strerror(errno)))")
            }
        } catch {
            ClusterFiles.remove(temporary)
            throw error
        }
        return (final, true)
    }

    /// The key of a base cluster: everything `initdb` and the database list depend on.
    static func baseKey(_ installation: PostgresInstallation, spec: PostgresSpec) -> String {
        var hash = ContentHash()
        hash.update("base-v1")
        hash.update(installation.versionString)
        hash.update(installation.binDirectory)
        hash.update(spec.user)
        hash.update(spec.password ?? "\u{0}")
        for option in spec.initdbOptions { hash.update(option) }
        hash.update("databases")
        for database in spec.databases { hash.update(database) }
        return "base-" + hash.hex
    }

    /// The key of a seeded cluster: the base key, the settings, and every step's kind,
    /// options, target database and file contents (folders: every file below them).
    static func seededKey(base: String, spec: PostgresSpec, steps: [ResolvedSeedStep]) throws -> String {
        var hash = ContentHash()
        hash.update("seeded-v1")
        hash.update(base)
        for (name, value) in spec.settings { hash.update(name.lowercased()); hash.update(value) }
        for resolved in steps {
            hash.update("step")
            hash.update(resolved.step.database ?? "\u{0}")
            switch resolved.step.source {
            case .sql: hash.update("sql")
            case .csv(_, let table, let options):
                hash.update("csv"); hash.update(table); hash.update(String(options.delimiter))
                hash.update(options.header ? "header" : "noheader"); hash.update(options.null)
                hash.update((options.columns ?? ["\u{0}"]).joined(separator: ","))
            case .json(_, let table): hash.update("json"); hash.update(table ?? "\u{0}")
            case .command: hash.update("command"); hash.update((resolved.commandArgv ?? []).joined(separator: "\u{0}"))
            }
            for file in resolved.absolutePaths { hash.update(try SeedFingerprint.hash(of: file)) }
        }
        return "seeded-" + hash.hex
    }
}
