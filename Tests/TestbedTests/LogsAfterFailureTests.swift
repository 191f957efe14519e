import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// Every service's log, PostgreSQL's server log included, stays readable after a failed test
/// command, a failed start and `--keep`, through `testbed logs --last` / `--run`.
@Suite struct LogsAfterFailureTests {
    /// A PostgreSQL service and a process service that prints a line unique to the run.
    /// The running one is ready once it has printed it: without a health check it would be
    /// ready when spawned, and on a loaded machine the command and the teardown can come
    /// before the line.
    static func stack(failing: Bool = false) throws -> (TestStack, line: String) {
        let line = "hello from api \(UUID().uuidString.prefix(8))"
        let stack = try TestStack("""
            name: lat
            services:
              db:
                postgres: {}
              api:
                command: "echo '\(line)'; \(failing ? "exit 1" : "sleep 60")"
                depends_on: [db]
                \(failing ? "ports: [http]\n    healthcheck: {tcp: http}" : "healthcheck: {log: '\(line)'}")
            """)
        return (stack, line)
    }

    static func testbed(_ arguments: [String], _ stack: TestStack) async throws -> CLI.Result {
        await (try CLI.Running(arguments, mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot])).wait()
    }

    /// The path printed after `prefix` on stderr.
    static func printedPath(_ stderr: String, after prefix: String) -> String? {
        stderr.components(separatedBy: prefix).dropFirst().last?.split(separator: " ").first
            .map { String($0.split(separator: "\n")[0]) }
    }

    @Test func aFailedTestCommandLeavesEveryLogReadable() async throws {
        let (stack, line) = try Self.stack()
        defer { stack.cleanUp() }
        let run = try await Self.testbed(["run", stack.path, "--", "false"], stack)
        #expect(run.status == 1)
        let kept = try #require(Self.printedPath(run.stderr, after: "logs kept at "), "stderr: \(run.stderr)")
        #expect(kept.hasPrefix(stack.runRoot + "/.logs/lat-"))
        #expect(stack.leftoverRuns.isEmpty, "the run directory itself is removed")
        #expect(!FileManager.default.fileExists(atPath: kept + "/services/db/data"), "no database is kept")

        let api = try await Self.testbed(["logs", "--last", "api"], stack)
        #expect(api.status == 0)
        #expect(api.stdout == line + "\n")
        let db = try await Self.testbed(["logs", "--last", "db"], stack)
        #expect(db.status == 0)
        #expect(db.stdout.contains("database system is ready to accept connections"))
        #expect(db.stdout.contains("database system is shut down"), "the log is saved after the server stopped")
        let all = try await Self.testbed(["logs", "--run", kept], stack)
        #expect(all.stdout.contains("api | \(line)"))
        #expect(all.stdout.contains("db | "))
        var info = stat()
        #expect(lstat(kept, &info) == 0 && info.st_mode & 0o7777 == 0o700 && info.st_uid == geteuid())
        #expect(lstat(kept + "/logs/api.log", &info) == 0 && info.st_mode & 0o7777 == 0o600)
    }

    @Test func aServiceThatDiesDuringTheCommandLeavesItsLogReadable() async throws {
        let stack = try TestStack("""
            name: lat
            services:
              api:
                command: "echo last words; sleep 1; exit 3"
            """)
        defer { stack.cleanUp() }
        let run = try await Self.testbed(["run", stack.path, "--", "sleep", "60"], stack)
        #expect(run.status == 125)
        #expect(run.stderr.contains("logs kept at \(stack.runRoot)/.logs/lat-"), "stderr: \(run.stderr)")
        let api = try await Self.testbed(["logs", "--last", "api"], stack)
        #expect(api.stdout == "last words\n")
    }

    @Test func aFailedStartLeavesEveryLogReadable() async throws {
        let (stack, line) = try Self.stack(failing: true)
        defer { stack.cleanUp() }
        let run = try await Self.testbed(["run", stack.path, "--", "true"], stack)
        #expect(run.status == 125)
        #expect(run.stderr.contains("testbed logs --last"))
        let api = try await Self.testbed(["logs", "--last", "api"], stack)
        #expect(api.stdout == line + "\n", "stderr: \(api.stderr)")
        #expect(api.stderr.contains("logs of \(stack.runRoot)/lat-"))
        let db = try await Self.testbed(["logs", "--last", "db", "--tail", "1"], stack)
        #expect(db.stdout.contains("database system is shut down"))
        let missing = try await Self.testbed(["logs", "--last", "web"], stack)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no log for service 'web' (logs: api, db)"))
    }

    @Test func keepPrintsTheKeptRunDirectory() async throws {
        let (stack, line) = try Self.stack()
        defer { stack.cleanUp() }
        let run = try await Self.testbed(["run", "--keep", "-q", stack.path, "--", "true"], stack)
        #expect(run.status == 0)
        let kept = try #require(Self.printedPath(run.stderr, after: "run directory kept at "), "stderr: \(run.stderr)")
        #expect(kept.hasPrefix(stack.runRoot + "/lat-"))
        let api = try await Self.testbed(["logs", "--run", kept, "api"], stack)
        #expect(api.stdout == line + "\n")
        #expect(!FileManager.default.fileExists(atPath: stack.runRoot + "/.logs"), "a passing run saves nothing")
    }

    @Test func aDetachedEnvironmentShowsPostgresLog() async throws {
        let (stack, _) = try Self.stack()
        defer { stack.cleanUp() }
        let name = "lat-\(UUID().uuidString.prefix(6).lowercased())"
        let up = try await Self.testbed(["up", "-d", "-q", "--name", name, stack.path], stack)
        #expect(up.status == 0, "stderr: \(up.stderr)")
        let db = try await Self.testbed(["logs", name, "db"], stack)
        #expect(db.stdout.contains("database system is ready to accept connections"), "stderr: \(db.stderr)")
        _ = try await Self.testbed(["down", name], stack)
    }

    @Test func aDetachedEnvironmentWhoseServiceDiesLeavesItsLogs() async throws {
        let stack = try TestStack("""
            name: lat
            services:
              api:
                command: "echo detached last words; sleep 1; exit 3"
            """)
        defer { stack.cleanUp() }
        let name = "lat-\(UUID().uuidString.prefix(6).lowercased())"
        let up = try await Self.testbed(["up", "-d", "-q", "--name", name, stack.path], stack)
        #expect(up.status == 0, "stderr: \(up.stderr)")
        let saved = await eventually(within: .seconds(30)) { !KeptLogs.saved(runRoot: stack.runRoot).isEmpty }
        #expect(saved, "the supervisor saves the logs when a service dies")
        let api = try await Self.testbed(["logs", "--last", "api"], stack)
        #expect(api.stdout == "detached last words\n", "stderr: \(api.stderr)")
        _ = try await Self.testbed(["down", name], stack)
    }

    @Test func savingPrunesToTheNewestAndNeverFollowsLinks() throws {
        let root = "/dev/shm/tbt-prune-\(UUID().uuidString.prefix(8))"
        let outside = try makeTemporaryDirectory()
        defer { PrivateDirectory.removeTree(root); try? FileManager.default.removeItem(atPath: outside) }
        let run = try RunDirectory.create(root: root, name: "p")
        try "line\n".write(toFile: run.log(for: "api"), atomically: false, encoding: .utf8)
        // A folder elsewhere, linked into .logs with a `kept` file: never a candidate for pruning.
        try PrivateDirectory.makeFolder(KeptLogs.folder(runRoot: root))
        _ = FileManager.default.createFile(atPath: outside + "/kept", contents: nil)
        try FileManager.default.createSymbolicLink(atPath: KeptLogs.folder(runRoot: root) + "/link", withDestinationPath: outside)

        var saved: [String] = []
        for _ in 0..<4 { saved.append(try #require(try KeptLogs.save(run, name: "p", limit: 2))) }
        #expect(KeptLogs.saved(runRoot: root) == Array(saved.suffix(2)))
        #expect(FileManager.default.fileExists(atPath: outside + "/kept"), "the linked folder is left alone")
        #expect(FileManager.default.fileExists(atPath: run.log(for: "api")), "the run itself is not touched")
        #expect(KeptLogs.latest(runRoot: root) == saved.last)
        #expect(RunLogs(folder: saved[3]).all.map(\.name) == ["api"])
    }

    @Test func pruningKeepsTheNewestOfEachEnvironmentAndDropsOldOnes() throws {
        let root = "/dev/shm/tbt-prune-\(UUID().uuidString.prefix(8))"
        defer { PrivateDirectory.removeTree(root) }
        let run = try RunDirectory.create(root: root, name: "p")
        try "line\n".write(toFile: run.log(for: "api"), atomically: false, encoding: .utf8)
        // One environment fails often; another failed once: its logs must survive the first's pruning.
        let other = try #require(try KeptLogs.save(run, name: "billing-api", limit: 2))
        var shop: [String] = []
        for _ in 0..<5 { shop.append(try #require(try KeptLogs.save(run, name: "shop", limit: 2))) }
        #expect(KeptLogs.saved(runRoot: root).sorted() == (shop.suffix(2) + [other]).sorted())
        // Age: a saved run older than the maximum goes whatever its environment.
        let now = Date().timeIntervalSince1970
        KeptLogs.prune(runRoot: root, keep: 10, maximumAge: 3_600, now: now + 7_200)
        #expect(KeptLogs.saved(runRoot: root).isEmpty)
        #expect(KeptLogs.environmentName(ofSavedRun: other) == "billing-api")
        #expect(KeptLogs.environmentName(ofSavedRun: "/x/.logs/a-b-20261207-041500-123-2") == "a-b")
        #expect(KeptLogs.maximumAge(environment: ["TESTBED_KEEP_LOGS_DAYS": "3"]) == 3 * 86_400)
        #expect(KeptLogs.maximumAge(environment: ["TESTBED_KEEP_LOGS_DAYS": "0"]) == Double(KeptLogs.defaultDays) * 86_400)
    }

    @Test func aKeptLogsFolderThatIsALinkIsRefused() throws {
        let root = "/dev/shm/tbt-prune-\(UUID().uuidString.prefix(8))"
        let outside = try makeTemporaryDirectory()
        defer { PrivateDirectory.removeTree(root); try? FileManager.default.removeItem(atPath: outside) }
        let run = try RunDirectory.create(root: root, name: "p")
        try FileManager.default.createSymbolicLink(atPath: KeptLogs.folder(runRoot: root), withDestinationPath: outside)
        #expect(throws: PathTrustError.self) { try KeptLogs.save(run, name: "p") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
    }
}
