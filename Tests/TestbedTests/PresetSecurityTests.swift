import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// Presets of servers that can ask for a password always do: no other local user gets in
/// through a preset's loopback port without the run's secret, which only `${NAME.url}`
/// and `${NAME.password}` carry.
@Suite struct PresetSecurityTests {
    @Test(needs("redis-server", "redis-cli"))
    func redisRefusesAClientWithoutItsPassword() async throws {
        try await PresetTests().withStack("services:\n  cache:\n    redis: {}\n") { values in
            let url = try #require(values["cache"]?["url"])
            let password = try #require(values["cache"]?["password"])
            let port = try #require(values["cache"]?["ports.redis"])
            #expect(password.count == 32 && url == "redis://default:\(password)@127.0.0.1:\(port)/0")
            // What any local user could send: refused, and the server stays up.
            let ping = try await clientResult(["redis-cli", "-p", port, "PING"])
            #expect(ping.output.contains("NOAUTH"), "\(ping)")
            let shutdown = try await clientResult(["redis-cli", "-p", port, "SHUTDOWN", "NOSAVE"])
            #expect(shutdown.output.contains("NOAUTH"), "\(shutdown)")
            #expect(try await clientOutput(["redis-cli", "--no-auth-warning", "-u", url, "PING"]) == "PONG")
            // The secret is in a file only the server's account can read, never on its command line.
            let auth = try #require(values["cache"]?["files.auth"])
            var info = stat()
            #expect(stat(auth, &info) == 0 && info.st_mode & 0o777 == 0o600)
        }
    }

    @Test(needs("pgbouncer", "psql"))
    func pgbouncerInFrontOfAClusterWithoutAPasswordAsksForOne() async throws {
        let yaml = """
            services:
              db:
                postgres: {database: shop}
              pool:
                pgbouncer: {target: db}
            """
        try await PresetTests().withStack(yaml) { values in
            let url = try #require(values["pool"]?["url"])
            let password = try #require(values["db"]?["password"])
            let port = try #require(values["pool"]?["ports.pg"])
            #expect(password.count == 32 && url == "postgresql://postgres:\(password)@127.0.0.1:\(port)/shop")
            #expect(values["db"]?["url"]?.contains(":\(password)@") == true)
            // The app, with the URL, gets in and can use the database.
            #expect(try await clientOutput(["psql", url, "-tAc", "SELECT current_user || ' ' || current_database()"]) == "postgres shop")
            // Anyone else, without the password (no PGPASSWORD, no .pgpass), is refused.
            let refused = try await clientResult(["-u", "PGPASSWORD", "PGPASSFILE=/nonexistent", "psql", "-w",
                                                  "host=127.0.0.1 port=\(port) dbname=shop user=postgres", "-tAc", "SELECT 1"])
            #expect(refused.status != 0 && refused.output.contains("password"), "\(refused)")
        }
    }

    @Test func noPresetListensWithTrust() throws {
        let error = #expect(throws: ManifestError.self) {
            try ManifestLoader.parse(yaml: """
                services:
                  db:
                    postgres: {}
                  pool:
                    pgbouncer: {target: db, auth_type: trust}
                """, path: "m.yml", directory: "/tmp")
        }
        let problem = try #require(error?.problems.first)
        #expect(problem.location.line == 5 && problem.service == "pool", "\(problem)")
        #expect(problem.message.contains("auth_type 'trust' is not one of scram-sha-256, md5, plain"), "\(problem)")
    }
}
