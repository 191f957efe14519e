import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedDrivers

/// Links in real environments: psql/libpq against PostgreSQL and redis-cli against
/// redis-server, through the manifest's links.
@Suite(.serialized)
struct LinkStackTests {
    static let manifest = """
        services:
          db: {postgres: {databases: [app]}}
          cache:
            command: [redis-server, --port, "${cache.ports.redis}", --save, "", --appendonly, "no"]
            ports: [redis]
            healthcheck: {tcp: redis}
        links:
          app-db: {to: db}
          cache-link: cache.ports.redis
        exports:
          APP_DB_URL: ${app-db.url}
        """

    private func withStack(_ body: (Environment) async throws -> Void) async throws {
        let stack = try TestStack(Self.manifest)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        do {
            try await body(environment)
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
        #expect(environment.links.all.isEmpty, "every link stopped with the environment")
    }

    @Test func linkValuesCarryTheLinksPortAndWorkWithPsql() async throws {
        try await withStack { environment in
            let url = try await environment.export("APP_DB_URL")
            let link = try environment.link("app-db")
            #expect(url.contains("127.0.0.1:\(link.listen.port)/app"), "\(url)")
            #expect(try await environment.service("app-db").port == link.listen.port)
            let output = try await runCommand(["psql", url, "-Atc", "select 40 + 2"])
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "42")
        }
    }

    @Test func latencyMakesTheClientTimeoutFire() async throws {
        try await withStack { environment in
            let url = try await environment.export("APP_DB_URL")
            let link = try environment.link("app-db")
            try await link.with(.latency(.milliseconds(3000), stream: .downstream)) {
                // libpq's connect_timeout (whole seconds, at least 2) fires: the server's first answer is 3 s late.
                let output = try await runCommand(["psql", url + "?connect_timeout=2", "-Atc", "select 1"])
                #expect(output.contains("timeout expired"), "\(output)")
            }
            let output = try await runCommand(["psql", url + "?connect_timeout=30", "-Atc", "select 1"])
            #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "the fault is gone: \(output)")
        }
    }

    @Test func latencyDelaysAnOpenIdleLibpqConnection() async throws {
        try await withStack { environment in
            let connection = try PGConnection(conninfo: try await environment.export("APP_DB_URL"))
            defer { connection.close() }
            #expect(try connection.query("select 1") == [["1"]])
            try await environment.link("app-db").with(.latency(.milliseconds(300))) { () async throws in
                let start = ContinuousClock.now
                #expect(try connection.query("select 2") == [["2"]])
                #expect(ContinuousClock.now - start >= .milliseconds(290), "the idle connection's next query waited")
            }
        }
    }

    @Test func downMidTransactionFailsTheClientAndUpLetsItReconnect() async throws {
        try await withStack { environment in
            let url = try await environment.export("APP_DB_URL")
            let link = try environment.link("app-db")
            let connection = try PGConnection(conninfo: url)
            try connection.execute("create table t (x int)")
            try connection.execute("begin")
            try connection.execute("insert into t values (1)")
            await link.down()
            let error = #expect(throws: PostgresError.self) { try connection.execute("commit") }
            #expect(error != nil)
            connection.close()
            #expect(throws: PostgresError.self, "new connections are refused while down") { try PGConnection(conninfo: url) }
            try await link.up()
            let again = try PGConnection(conninfo: url)
            defer { again.close() }
            #expect(try again.query("select count(*) from t") == [["0"]], "the cut transaction never committed")
        }
    }

    @Test func redisCliSeesAResetThroughResetPeer() async throws {
        try await withStack { environment in
            let port = try await environment.service("cache-link").port
            let ping = try await runCommand(["redis-cli", "-p", "\(port)", "ping"])
            #expect(ping.trimmingCharacters(in: .whitespacesAndNewlines) == "PONG")
            try environment.link("cache-link").add(.resetPeer())
            let reset = try await runCommand(["redis-cli", "-p", "\(port)", "ping"])
            #expect(reset.contains("Connection reset by peer"), "\(reset)")
        }
    }

    @Test func manifestFaultsAreActiveFromTheStart() async throws {
        let stack = try TestStack("""
            services:
              db: {postgres: {}}
            links:
              app-db:
                to: db
                seed: 3
                faults:
                  - {type: latency, latency: 20ms, jitter: 5, stream: both, name: slow}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let link = try environment.link("app-db")
        #expect(link.faults.map(\.name) == ["slow_upstream", "slow_downstream"])
        #expect(link.seed == 3)
        await environment.stop()
    }

    @Test func badLinksAreLocatedErrors() throws {
        let yaml = """
            services:
              db: {postgres: {}}
              notes: {sqlite: {}}
              job: {command: "true", oneshot: true}
              api: {command: sleep 60, ports: [http, admin]}
            links:
              db: {to: db}
              to-notes: {to: notes}
              to-job: {to: job}
              to-api: {to: api}
              to-nothing: {to: nope}
              bad-port: {to: api.ports.grpc}
              faulty:
                to: db
                faults:
                  - {type: latency, latency: -5}
                  - {type: wobble}
                  - {type: latency, toxicity: 1.5}
                  - {type: timeout, delay: 5}
            """
        let error = #expect(throws: ManifestError.self) { try ManifestLoader.parse(yaml: yaml, path: "m.yml", directory: "/tmp") }
        let text = error?.description ?? ""
        for expected in [
            "m.yml:7:3: error: link 'db' has the name of a service",
            "m.yml:8:18: error: link 'to-notes': 'notes' is an SQLite database, which has no TCP port to front",
            "m.yml:9:16: error: link 'to-job': 'job' is a one-shot job",
            "m.yml:10:16: error: link 'to-api': say which port of 'api' it fronts",
            "m.yml:11:20: error: link 'to-nothing' fronts unknown service 'nope'",
            "m.yml:12:18: error: link 'bad-port': service 'api' declares no port 'grpc'",
            "m.yml:16:9: error: link 'faulty': fault 'latency_downstream' (latency): latency -5 is out of range",
            "m.yml:17:9: error: link 'faulty': unknown fault type 'wobble'",
            "m.yml:18:9: error: link 'faulty': fault 'latency_downstream': toxicity 1.5 is out of range",
            "m.yml:19:9: error: link 'faulty': fault type 'timeout' has no attribute 'delay'",
        ] {
            #expect(text.contains(expected), "missing: \(expected)\n\(text)")
        }
    }
}
