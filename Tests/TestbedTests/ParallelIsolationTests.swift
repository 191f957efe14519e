import Foundation
import Testing
@testable import Testbed

/// 16 `testbed run` of one manifest at the same instant: all pass, none shares a port or a cluster.
@Suite struct ParallelIsolationTests {
    @Test func sixteenConcurrentRunsGetDistinctPortsAndClusters() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {tcp: true}
                seed: [seed.sql]
              api:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${api.ports.http}"]
                ports: [http]
                healthcheck: {http: /, port: http}
            exports:
              DATABASE_URL: ${db.url}
              API_PORT: ${api.ports.http}
            """, files: ["seed.sql": "CREATE TABLE runs(id text); INSERT INTO runs VALUES ('seeded');"])
        defer { stack.cleanUp() }
        // Each run writes its own row, then checks it sees exactly the seeded row and its own.
        let check = #"""
            psql "$DATABASE_URL" -qc "INSERT INTO runs VALUES ('$TESTBED_RUN_DIR')" &&
            [ "$(psql "$DATABASE_URL" -tAc 'SELECT count(*) FROM runs')" = 2 ] &&
            python3 -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ['API_PORT'])" &&
            echo "$DATABASE_URL $API_PORT $TESTBED_RUN_DIR"
            """#
        let env = ["TESTBED_RUN_ROOT": stack.runRoot]
        let runs = try (0..<16).map { _ in
            try CLI.Running(["run", "-q", stack.path, "--", "sh", "-c", check], mark: stack.mark, extra: env)
        }
        var results: [CLI.Result] = []
        for run in runs { results.append(await run.wait(limit: .seconds(120))) }
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        let lines = results.map { $0.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ") }
        let databasePorts = Set(lines.compactMap { $0.first.flatMap { URLComponents(string: String($0))?.port } })
        let apiPorts = Set(lines.compactMap { $0.count > 1 ? String($0[1]) : nil })
        let runDirectories = Set(lines.compactMap { $0.count > 2 ? String($0[2]) : nil })
        #expect(databasePorts.count == 16)
        #expect(apiPorts.count == 16)
        #expect(runDirectories.count == 16)
        #expect(databasePorts.isDisjoint(with: Set(apiPorts.compactMap(Int.init))))
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func eightProcessesRacingForAnEmptyCacheSeedItOnce() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
                seed: [seed.sql]
            exports:
              DATABASE_URL: ${db.url}
            """, files: ["seed.sql": "CREATE TABLE t(n int); INSERT INTO t SELECT generate_series(1, 1000);"])
        defer { stack.cleanUp() }
        let cache = "/dev/shm/tbt-race-cache-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let env = ["TESTBED_RUN_ROOT": stack.runRoot, "TESTBED_CACHE_DIR": cache]
        let check = #"[ "$(psql "$DATABASE_URL" -tAc 'SELECT count(*) FROM t')" = 1000 ]"#
        let runs = try (0..<8).map { _ in
            try CLI.Running(["run", "--json", stack.path, "--", "sh", "-c", check], mark: stack.mark, extra: env)
        }
        var results: [CLI.Result] = []
        for run in runs { results.append(await run.wait(limit: .seconds(120))) }
        for result in results { #expect(result.status == 0, "\(result.stderr)") }
        // Exactly one process seeded; the seven others waited for it and copied its cluster.
        let seededEvents = results.flatMap { $0.stderr.split(separator: "\n") }.filter { $0.contains(#""phase":"seeded""#) }
        #expect(seededEvents.count == 8)
        #expect(seededEvents.filter { $0.contains("seeded in") }.count == 1, "\(seededEvents)")
        let packs = try FileManager.default.contentsOfDirectory(atPath: cache + "/postgres").filter { $0.hasSuffix(".pack") }
        #expect(packs.filter { $0.hasPrefix("seeded-") }.count == 1)
        #expect(packs.filter { $0.hasPrefix("base-") }.count == 1)
    }
}
