import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// A cache that an older Testbed left open (folders 0755, packs 0644) becomes private on
/// the next run that opens it, even one that only reads it.
@Suite(.enabled(if: !UnixUser.isRoot || UnixUser.named("postgres") != nil, "as root, needs the postgres account to build the cache"))
struct CachePrivacyTests {
    @Test func aWarmStartMakesAWorldReadableCachePrivate() async throws {
        let run = try PostgresTestRun()
        let seed = [PostgresTestRun.sql("schema.sql")]
        try await run.withCluster(run.options("cold", seed: seed)) { _, _ in }
        // As an older Testbed left it: every folder 0755, every file 0644, no marker.
        var packs = 0
        for path in Self.tree(run.cacheRoot) {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if path.hasSuffix("/" + PrivateDirectory.privateMarker) { unlink(path); continue }
            if path.hasSuffix(".pack") { packs += 1 }
            _ = chmod(path, info.st_mode & S_IFMT == S_IFDIR ? 0o755 : 0o644)
        }
        #expect(packs >= 2, "a base and a seeded pack")
        run.clearEvents()
        try await run.withCluster(run.options("warm", seed: seed)) { _, _ in }
        #expect(run.details(.seeded).last == "seed cached", "the second start only reads the cache")
        for path in Self.tree(run.cacheRoot) {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let mode = info.st_mode & 0o7777
            if info.st_mode & S_IFMT == S_IFDIR {
                #expect(mode == 0o700, "\(path): \(String(mode, radix: 8))")
            } else {
                #expect(mode & 0o077 == 0, "\(path): \(String(mode, radix: 8))")
                if path.hasSuffix(".pack") { #expect(mode == 0o600, "\(path): \(String(mode, radix: 8))") }
            }
        }
    }

    /// `root` and every path below it.
    static func tree(_ root: String) -> [String] {
        var paths = [root]
        guard let walk = FileManager.default.enumerator(atPath: root) else { return paths }
        for case let relative as String in walk { paths.append(root + "/" + relative) }
        return paths
    }
}
