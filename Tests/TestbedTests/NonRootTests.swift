import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// Testbed started by an unprivileged user: PostgreSQL runs as that user (no setpriv),
/// with the user's own cache and run root. (As root, every other test covers the other way.)
@Suite(.enabled(if: UnixUser.isRoot && UnixUser.named("postgres") != nil, "needs root to switch to the postgres user"))
struct NonRootTests {
    @Test func anUnprivilegedUserRunsAPostgresStackAsItself() async throws {
        let user = try #require(UnixUser.named("postgres"))
        let stack = try TestStack("""
            services:
              db:
                postgres: {database: shop}
                seed: [seed.sql]
              web:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
            exports:
              DATABASE_URL: ${db.url}
            """, files: ["seed.sql": "CREATE TABLE t(n int); INSERT INTO t VALUES (1), (2);"])
        defer { stack.cleanUp() }
        let cache = "/dev/shm/tbt-nonroot-cache-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        try user.own(cache)
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let runRoot = "/dev/shm/tbt-nonroot-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: runRoot) }
        // Every process of the run, postgres included, must belong to the unprivileged user.
        let check = #"""
            [ "$(psql "$DATABASE_URL" -tAc 'SELECT count(*) FROM t')" = 2 ] &&
            [ "$(psql "$DATABASE_URL" -tAc 'SELECT current_user')" = postgres ] &&
            echo "uid=$(id -u)"
            """#
        let result = try await CLI.Running(
            ["run", stack.path, "--", "sh", "-c", check], mark: stack.mark,
            extra: ["TESTBED_RUN_ROOT": runRoot, "TESTBED_CACHE_DIR": cache, "HOME": "/var/lib/postgresql"],
            workingDirectory: "/tmp", user: user).wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("uid=\(user.uid)"))
        #expect(result.stderr.contains("ready in"))
        // The server ran as the caller: no setpriv was involved, and the cache belongs to the user.
        var info = stat()
        #expect(stat(cache + "/postgres", &info) == 0 && info.st_uid == user.uid)
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }
}
