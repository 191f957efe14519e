import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// Each preset starts a real server that is healthy and answers a real client at its URL.
@Suite struct PresetTests {
    @Test(needs("redis-server", "redis-cli"))
    func redisAnswersAtItsURL() async throws {
        try await withStack("services:\n  cache:\n    redis: {maxmemory: 16mb}\n") { values in
            let url = try #require(values["cache"]?["url"])
            #expect(url.hasPrefix("redis://default:") && url.contains("@127.0.0.1:") && url.hasSuffix("/0"))
            #expect(try await clientOutput(["redis-cli", "-u", url, "PING"]) == "PONG")
            #expect(try await clientOutput(["redis-cli", "-u", url, "CONFIG", "GET", "maxmemory"]).contains("16777216"))
            #expect(values["cache"]?["files.conf"]?.hasSuffix("/services/cache/redis.conf") == true)
        }
    }

    @Test(needs("memcached", "python3"))
    func memcachedAnswersStatsAtItsURL() async throws {
        try await withStack("services:\n  mc:\n    memcached: {memory: '32'}\n") { values in
            let url = try #require(values["mc"]?["url"])
            let port = try #require(Int(url.split(separator: ":").last ?? ""))
            let script = """
                import socket
                s = socket.create_connection(("127.0.0.1", \(port)))
                s.sendall(b"stats\\r\\n")
                data = b""
                while not data.endswith(b"END\\r\\n"):
                    data += s.recv(4096)
                print(data.decode())
                """
            let stats = try await clientOutput(["python3", "-c", script])
            #expect(url.hasPrefix("memcached://127.0.0.1:"))
            #expect(stats.contains("STAT limit_maxbytes 33554432"))
        }
    }

    @Test(needs("pgbouncer", "psql"))
    func pgbouncerPoolsAClusterWhosePasswordHasURLDelimiters() async throws {
        let yaml = """
            services:
              db:
                postgres: {database: shop, user: app, password: "p@ss:w/rd#1"}
              pool:
                pgbouncer: {target: db, pool_mode: session}
            """
        try await withStack(yaml) { values in
            let url = try #require(values["pool"]?["url"])
            #expect(url.contains("p%40ss%3Aw%2Frd%231@127.0.0.1:"))
            #expect(try await clientOutput(["psql", url, "-tAc", "SELECT current_user || ' ' || current_database()"]) == "app shop")
            // pgbouncer checks the password: a wrong one is refused.
            let wrong = url.replacingOccurrences(of: "p%40ss", with: "nope")
            await #expect(throws: (any Error).self) { try await clientOutput(["psql", wrong, "-tAc", "SELECT 1"]) }
        }
    }

    @Test(needs("nginx", "curl", "python3"))
    func nginxProxiesToItsUpstream() async throws {
        let yaml = """
            services:
              app:
                command: [python3, -m, http.server, --bind, 127.0.0.1, "${app.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
              web:
                nginx: {upstream: app}
            """
        try await withStack(yaml) { values in
            let url = try #require(values["web"]?["url"])
            #expect(try await clientOutput(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url + "/"]) == "200")
        }
    }

    @Test func aMissingProgramNamesItsDebianPackage() throws {
        let manifest = try ManifestLoader.parse(yaml: "services:\n  cache:\n    redis: {}\n", path: "m.yml", directory: "/tmp")
        let error = #expect(throws: ManifestError.self) {
            try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: "/tmp/r"),
                                environment: ["PATH": "/nonexistent"], cacheRoot: "/tmp/c")
        }
        #expect(error?.problems.first?.hint?.contains("apt-get install -y redis-server") == true)
        // At the preset's line, where the program comes from.
        #expect(error?.problems.first?.location.line == 3)
    }

    @Test func presetOptionsAreChecked() {
        let error = #expect(throws: ManifestError.self) {
            try ManifestLoader.parse(yaml: """
                services:
                  pool:
                    pgbouncer: {pool_mod: session}
                  cache:
                    redis: {maxmemory: "1gb; rm -rf"}
                  web:
                    nginx: {upstream: nosuch}
                """, path: "m.yml", directory: "/tmp")
        }
        let problems = error?.problems ?? []
        #expect(problems.contains { $0.message.contains("unknown key 'pool_mod'") && $0.hint?.contains("pool_mode") == true })
        #expect(problems.contains { $0.message.contains("maxmemory") && $0.location.line == 5 })
        #expect(problems.contains { $0.message.contains("'${nosuch.ports.http}'") && $0.location.line == 7 })
    }

    @Test func keysBesideAPresetReplaceItsOwnAndFilesMergeByKey() throws {
        let manifest = try ManifestLoader.parse(yaml: """
            services:
              cache:
                redis: {}
                healthcheck: {log: Ready to accept connections}
                files:
                  conf: {content: "port ${cache.ports.redis}"}
                  extra: {content: "more"}
            """, path: "m.yml", directory: "/tmp")
        let service = try #require(manifest.services.first)
        guard let process = service.kind as? ProcessSpec else { Issue.record("not a process"); return }
        #expect(process.preset == "redis" && process.requires?.package == "redis-server")
        #expect(process.files.map(\.key) == ["conf", "auth", "extra"])
        #expect(process.files.first?.lines.map(\.source) == ["port ${cache.ports.redis}"])
        if case .log(let pattern) = service.healthcheck?.probe { #expect(pattern == "Ready to accept connections") } else {
            Issue.record("the manifest's healthcheck did not replace the preset's")
        }
        if case .argv(let argv) = process.command { #expect(argv.first?.source == "redis-server") } else {
            Issue.record("the preset's command is gone")
        }
    }

    @Test func aFileOfTheManifestInPlaceOfAPresetsKeepsItsNameAndModeUnlessItGivesThem() throws {
        let manifest = try ManifestLoader.parse(yaml: """
            services:
              db:
                postgres: {}
              cache:
                redis: {}
                files:
                  conf: {content: "port ${cache.ports.redis}"}
              pool:
                pgbouncer: {target: db}
                files:
                  users: {content: "x", name: users.txt}
                  ini: {content: "y", mode: "0640"}
            """, path: "m.yml", directory: "/tmp")
        func files(_ name: String) -> [ServiceFileSpec] {
            guard let process = manifest.service(named: name)?.kind as? ProcessSpec else { return [] }
            return process.files
        }
        let conf = try #require(files("cache").first { $0.key == "conf" })
        #expect(conf.name == "redis.conf" && conf.lines.map(\.source) == ["port ${cache.ports.redis}"])
        let users = try #require(files("pool").first { $0.key == "users" })
        #expect(users.name == "users.txt" && users.mode == 0o600)
        let ini = try #require(files("pool").first { $0.key == "ini" })
        #expect(ini.name == "pgbouncer.ini" && ini.mode == 0o640)
    }

    /// Starts `yaml`, hands `body` the values, stops; `variables` replace the caller's.
    func withStack(_ yaml: String, variables: [String: String] = [:],
                   _ body: ([String: [String: String]]) async throws -> Void) async throws {
        let stack = try TestStack(yaml)
        defer { stack.cleanUp() }
        let environment = try stack.environment(overriding: variables)
        try await environment.start()
        do {
            try await body(await environment.values)
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }
}

/// A preset test that cannot run says which program is missing and how to install it.
@Suite struct PresetTestSkipTests {
    @Test func aSkippedPresetTestNamesTheMissingProgramAndItsPackage() {
        #expect(needs("testbed-surely-missing-server").comments.map(\.rawValue)
                == ["testbed-surely-missing-server is not installed: apt-get install testbed-surely-missing-server"])
        #expect(debianPackages["redis-cli"] == "redis-tools" && debianPackages["psql"] == "postgresql-client")
        #expect(needs("sh").comments.isEmpty)
    }
}
