import Foundation
import Testing
@testable import Testbed

/// Each preset starts a real server that is healthy and answers a real client at its URL.
@Suite struct PresetTests {
    @Test(.enabled(if: isInstalled("redis-server") && isInstalled("redis-cli")))
    func redisAnswersAtItsURL() async throws {
        try await withStack("services:\n  cache:\n    redis: {maxmemory: 16mb}\n") { values in
            let url = try #require(values["cache"]?["url"])
            #expect(url.hasPrefix("redis://127.0.0.1:") && url.hasSuffix("/0"))
            #expect(try await clientOutput(["redis-cli", "-u", url, "PING"]) == "PONG")
            #expect(try await clientOutput(["redis-cli", "-u", url, "CONFIG", "GET", "maxmemory"]).contains("16777216"))
        }
    }

    @Test(.enabled(if: isInstalled("memcached")))
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

    @Test(.enabled(if: isInstalled("pgbouncer") && isInstalled("psql")))
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

    @Test(.enabled(if: isInstalled("nginx") && isInstalled("curl")))
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
        #expect(error?.problems.first?.location.line == 2)
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
        guard case .process(let process) = service.kind else { Issue.record("not a process"); return }
        #expect(process.preset == "redis" && process.requires?.package == "redis-server")
        #expect(process.files.map(\.key) == ["conf", "extra"])
        #expect(process.files.first?.lines.map(\.source) == ["port ${cache.ports.redis}"])
        #expect(process.files.first?.name == "conf")
        if case .log(let pattern) = service.healthcheck?.probe { #expect(pattern == "Ready to accept connections") } else {
            Issue.record("the manifest's healthcheck did not replace the preset's")
        }
        if case .argv(let argv) = process.command { #expect(argv.first?.source == "redis-server") } else {
            Issue.record("the preset's command is gone")
        }
    }

    private func withStack(_ yaml: String, _ body: ([String: [String: String]]) async throws -> Void) async throws {
        let stack = try TestStack(yaml)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
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

/// True when `program` is on PATH or in /usr/sbin.
func isInstalled(_ program: String) -> Bool {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
    return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(program)") }
}

/// Runs `argv` (looked up on PATH) and returns its trimmed stdout; throws when it exits non-zero.
/// Waits on a thread of its own, off the concurrency pool that every test shares.
@discardableResult
func clientOutput(_ argv: [String]) async throws -> String {
    try await onThread { try clientOutputBlocking(argv) }
}

private func clientOutputBlocking(_ argv: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    process.standardInput = nil
    try withUnblockedSignals { try process.run() }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ServiceProcessError(message: "\(argv.joined(separator: " ")) exited with \(process.terminationStatus)")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
