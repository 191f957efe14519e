import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// Every service's program is found before the first service starts — on PATH, then in
/// /usr/local/sbin, /usr/sbin and /sbin, where Debian puts servers that a normal account's
/// PATH does not reach — and a missing one is named with its manifest line and what to do.
@Suite struct ProgramCheckTests {
    @Test func aMissingProgramFailsTheStartBeforeAnyServiceStarts() async throws {
        let stack = try TestStack("""
            services:
              first:
                command: [touch, started]
                oneshot: true
              app:
                command: [testbed-surely-no-such-program, --serve]
                depends_on: [first]
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let error = await #expect(throws: ManifestError.self) { try await environment.start() }
        await environment.stop()
        let problem = try #require(error?.problems.first, "\(String(describing: error))")
        #expect(problem.location.file == stack.path && problem.location.line == 6 && problem.service == "app", "\(problem)")
        #expect(problem.message.contains("'testbed-surely-no-such-program' was not found on PATH"), "\(problem)")
        #expect(problem.message.contains("/usr/sbin"), "\(problem)")
        #expect(problem.hint?.contains("full path") == true, "\(problem)")
        #expect(!FileManager.default.fileExists(atPath: stack.folder + "/started"), "a service started before the check")
        #expect(!stack.events.all.contains { $0.phase == .spawned }, "\(stack.timeline)")
    }

    @Test func validateNamesAMissingProgramOfAPresetWithItsPackage() throws {
        let stack = try TestStack("""
            services:
              cache:
                redis: {}
              app:
                command: [testbed-surely-no-such-program]
              job:
                command: "exit 0"
            """)
        defer { stack.cleanUp() }
        let error = #expect(throws: ManifestError.self) {
            try ManifestLoader.validate(path: stack.path, environment: ["PATH": "/nonexistent"])
        }
        let problems = error?.problems ?? []
        #expect(problems.count == 2, "\(String(describing: error))")
        #expect(problems.contains { $0.location.line == 3 && $0.service == "cache" && $0.hint == "install it: apt-get install -y redis-server" })
        #expect(problems.contains { $0.location.line == 5 && $0.service == "app" && $0.message.contains("testbed-surely-no-such-program") })
    }

    @Test(needs("pgbouncer", "nginx", "psql", "curl", "python3"))
    func pgbouncerAndNginxStartWithAPathWithoutTheSystemFolders() async throws {
        let yaml = """
            services:
              db:
                postgres: {database: shop}
              pool:
                pgbouncer: {target: db}
              app:
                command: [python3, -m, http.server, --bind, 127.0.0.1, "${app.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
              web:
                nginx: {upstream: app}
            """
        // A normal account's PATH on Debian: no /usr/sbin, where pgbouncer and nginx live.
        try await PresetTests().withStack(yaml, variables: ["PATH": "/usr/bin:/bin"]) { values in
            let pool = try #require(values["pool"]?["url"])
            #expect(try await clientOutput(["psql", pool, "-tAc", "SELECT current_database()"]) == "shop")
            let web = try #require(values["web"]?["url"])
            #expect(try await clientOutput(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", web + "/"]) == "200")
        }
    }
}
