import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel
@testable import TestbedDrivers

/// The plan is a value: computed from a manifest without starting anything, inspectable,
/// and every problem it finds names a manifest line.
@Suite struct EnvironmentPlanTests {
    private static let yaml = """
        name: planned
        services:
          api:
            command: [python3, -m, http.server, "${api.ports.http}"]
            ports: [http]
            environment:
              DATABASE_URL: ${db.url}
            depends_on: [db, migrate]
            healthcheck:
              http: /health
              port: http
            stop_signal: SIGINT
            stop_grace_period: 2s
          migrate:
            command: echo migrating ${notes.path}
            oneshot: true
            depends_on: [db]
          db:
            postgres: {databases: [shop, audit], tcp: true}
            seed:
              - command: [sh, -c, "echo ${api.ports.http}"]
          notes:
            sqlite: {}
        exports:
          API_URL: http://127.0.0.1:${api.ports.http}/
          AUDIT_URL: ${db.databases.audit.url}
        """

    private func plan(_ yaml: String, run: RunDirectory) throws -> EnvironmentPlan {
        let directory = try makeTemporaryDirectory()
        let manifest = try ManifestLoader.parse(yaml: yaml, path: directory + "/planned.yml", directory: directory)
        return try EnvironmentPlan(manifest: manifest, runDirectory: run, environment: ["PATH": "/usr/bin:/bin"],
                                   cacheRoot: directory + "/cache",
                                   portAllocator: PortAllocator(lockDirectory: try makeTemporaryDirectory()))
    }

    @Test func aPlanIsInspectableBeforeAnythingStarts() throws {
        let run = RunDirectory(path: try makeTemporaryDirectory() + "/never-created")
        let plan = try plan(Self.yaml, run: run)
        defer { plan.releasePorts() }

        // Dependencies first, manifest order among the rest.
        #expect(plan.services.map(\.name) == ["db", "migrate", "api", "notes"])
        // Nothing was created or started: the run directory does not exist.
        #expect(!FileManager.default.fileExists(atPath: run.path))

        let api = try #require(plan.service(named: "api"))
        let http = try #require(api.portNumbers["http"])
        #expect(plan.values["api"]?["ports.http"] == String(http))
        #expect(api.ports["http"]?.isHeld == true)
        guard let launch = api.kind as? ProcessPlan else { Issue.record("api is not a process: \(api.kind)"); return }
        #expect(launch.argv == ["python3", "-m", "http.server", String(http)])
        #expect(launch.logFile == run.log(for: "api"))
        #expect(launch.environment["DATABASE_URL"] == plan.values["db"]?["url"])
        #expect(launch.environment["PATH"] == "/usr/bin:/bin")
        #expect(api.teardown == [.signal(SIGINT, grace: .seconds(2)), .kill])
        #expect(api.healthCheck?.probe == .http(url: "http://127.0.0.1:\(http)/health", expectedStatus: 200))
        #expect(api.dependencies == [.init(service: "db", condition: .healthy),
                                     .init(service: "migrate", condition: .completedSuccessfully)])

        let db = try #require(plan.service(named: "db"))
        let dbPort = try #require(db.portNumbers["postgres"])
        // TCP is on, so the plan fixed a password for the run (random, 32 characters), once:
        // the URL, the password value and the cluster's spec carry the same one.
        let password = try #require(plan.values["db"]?["password"])
        #expect(password.count == 32)
        #expect(plan.values["db"]?["url"] == "postgresql://postgres:\(password)@127.0.0.1:\(dbPort)/shop")
        #expect(plan.values["db"]?["socket"] == run.folder(for: "db") + "/socket")
        guard let postgres = db.kind as? PostgresPlan else { Issue.record("db is not postgres: \(db.kind)"); return }
        #expect(postgres.port == dbPort)
        #expect(postgres.spec.password == password)
        // A seed command may refer to a service planned after it: resolved in one pass.
        #expect(postgres.seed.first?.commandArgv == ["sh", "-c", "echo \(http)"])

        let migrate = try #require(plan.service(named: "migrate"))
        #expect(migrate.isJob)
        let notesPath = run.folder(for: "notes") + "/notes.sqlite"
        #expect(plan.values["notes"]?["path"] == notesPath)
        guard let job = migrate.kind as? ProcessPlan else { Issue.record("migrate is not a process"); return }
        #expect(job.argv == ["/bin/sh", "-c", "echo migrating \(notesPath)"])

        #expect(plan.exports["API_URL"] == "http://127.0.0.1:\(http)/")
        #expect(plan.exports["AUDIT_URL"] == "postgresql://postgres:\(password)@127.0.0.1:\(dbPort)/audit")
        #expect(plan.exports["TESTBED_RUN_DIR"] == run.path)
        #expect(plan.exports["TESTBED_ENV_NAME"] == "planned")
    }

    @Test func releasingThePlanReleasesItsPorts() throws {
        let plan = try plan(Self.yaml, run: RunDirectory(path: try makeTemporaryDirectory()))
        #expect(plan.reservations.count == 2)
        #expect(plan.reservations.allSatisfy { $0.isHeld })
        plan.releasePorts()
        #expect(plan.reservations.allSatisfy { !$0.isHeld })
    }

    /// A manifest built in code skips the loader's checks; a health check on a port the
    /// service does not have must still be an error at the check's line, not port 0.
    @Test func anUnresolvablePortReferenceIsALocatedError() throws {
        let file = "/tmp/built-in-code.yml"
        let check = HealthCheckSpec(probe: .tcp(port: .named("admin")), location: Testbed.SourceLocation(file: file, line: 7, column: 9))
        let service = ServiceSpec(
            name: "api", kind: ProcessSpec(command: .shell(Template(literal: "sleep 5")),
                                           ports: [PortSpec(name: "http", fixed: nil, location: Testbed.SourceLocation(file: file, line: 5, column: 5))]),
            healthcheck: check, location: Testbed.SourceLocation(file: file, line: 2, column: 3))
        let manifest = Manifest(name: "coded", path: file, directory: "/tmp", services: [service], exports: [])
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let error = #expect(throws: ManifestError.self) {
            try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: "/tmp/unused"), environment: [:],
                                cacheRoot: "/tmp/unused", portAllocator: allocator)
        }
        let problem = try #require(error?.problems.first)
        #expect(error?.problems.count == 1)
        #expect(problem.location.line == 7)
        #expect(problem.service == "api")
        #expect(problem.message == "the healthcheck uses port 'admin', which the service does not declare")
        #expect(problem.hint == "declared ports: http")
    }

    /// Built in code, so the loader's own checks of the caller's environment do not run first.
    @Test func everyResolutionProblemIsReportedAtOnceAndPortsAreReleased() throws {
        let file = "/tmp/built-in-code.yml"
        func at(_ line: Int) -> Testbed.SourceLocation { Testbed.SourceLocation(file: file, line: line, column: 5) }
        let service = ServiceSpec(
            name: "api",
            kind: ProcessSpec(command: .argv([Template(literal: "serve"), try Template(parsing: "${UNSET_FOR_PLAN_TEST}", location: at(3))]),
                              ports: [PortSpec(name: "http", fixed: nil, location: at(4))]),
            environment: [(name: "OTHER", value: try Template(parsing: "${ALSO_UNSET_FOR_PLAN_TEST}", location: at(6)))],
            location: at(2))
        let manifest = Manifest(name: "coded", path: file, directory: "/tmp", services: [service], exports: [])
        let locks = try makeTemporaryDirectory()
        let error = #expect(throws: ManifestError.self) {
            try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: "/tmp/unused"), environment: [:],
                                cacheRoot: "/tmp/unused", portAllocator: PortAllocator(lockDirectory: locks))
        }
        let problems = error?.problems ?? []
        #expect(problems.map(\.message).sorted().map { $0.prefix { $0 != "(" } }
                == ["environment variable ALSO_UNSET_FOR_PLAN_TEST is not set ",
                    "environment variable UNSET_FOR_PLAN_TEST is not set "])
        #expect(problems.map(\.location.line).sorted() == [3, 6])
        // The http port was reserved, then released: its lock file is gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: locks).filter { $0.hasSuffix(".lock") }.isEmpty)
    }
}
