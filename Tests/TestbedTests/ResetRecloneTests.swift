import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// `reset` of a PostgreSQL service whose data directory is a reflink clone: the server is
/// restarted on a new clone of the tree (no spare database), the environment watches the
/// new process, and a cluster with a database of its own, or a copied one, still resets
/// through the spare.
@Suite("Reset by re-clone", .serialized, .timeLimit(.minutes(5)))
struct ResetRecloneTests {
    static let manifest = """
        services:
          db:
            postgres: {}
            seed: [seed.sql]
        """
    static let files = ["seed.sql": "CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3);"]

    /// Runs `sql` on the service's database; returns the first column of each row.
    static func query(_ environment: Environment, _ sql: String, database: String? = nil) async throws -> [String] {
        let values = await environment.values["db"] ?? [:]
        let connection = try PGConnection(conninfo: database.flatMap { values["databases.\($0).url"] } ?? values["url"]!)
        defer { connection.close() }
        return try connection.query(sql).map { $0.first.flatMap { $0 } ?? "" }
    }

    /// Runs the statements `sql` on the service's database.
    static func execute(_ environment: Environment, _ sql: String) async throws {
        let connection = try PGConnection(conninfo: await environment.values["db"]?["url"] ?? "")
        defer { connection.close() }
        try connection.execute(sql)
    }

    /// Names of the cluster's databases (through the admin database `postgres`).
    static func databases(_ environment: Environment) async throws -> [String] {
        try databases(await environment.values["db"] ?? [:])
    }

    /// Names of the databases of the cluster whose values are `values`.
    static func databases(_ values: [String: String]) throws -> [String] {
        let connection = try PGConnection(conninfo: "host=\(values["socket"] ?? "") port=\(values["port"] ?? "") "
                                              + "user=\(values["user"] ?? "") dbname=postgres")
        defer { connection.close() }
        return try connection.query("SELECT datname FROM pg_database").map { $0.first.flatMap { $0 } ?? "" }
    }

    /// Starts the stack once cold (fills the cache), then warm, and hands the warm environment to `body`.
    static func withWarmEnvironment<T>(_ stack: TestStack, _ variables: [String: String],
                                       _ body: (Environment) async throws -> T) async throws -> T {
        let cold = try stack.environment(overriding: variables)
        try await cold.start()
        await cold.stop()
        stack.events.clear()
        let warm = try stack.environment(overriding: variables)
        try await warm.start()
        do {
            let result = try await body(warm)
            await warm.stop()
            return result
        } catch {
            await warm.stop()
            throw error
        }
    }

    var notes: (TestStack) -> [String] { { stack in stack.events.all.filter { $0.phase == .note }.compactMap(\.detail) } }

    /// As root in the reflink image: rows written, reset, the seed is back, the server is a
    /// new process (shown by status, watched, stopped at teardown), no spare was made, the
    /// environment is never reported dead and leaves nothing when stopped.
    @Test(.enabled(if: LoopImage.unavailable == nil, "needs root, loop devices and xfsprogs"))
    func aResetInTheImageReclonesTheClusterAndTheEnvironmentStaysUp() async throws {
        let place = LoopImageTests.Place()
        let stack = try TestStack(Self.manifest, files: Self.files)
        defer { stack.cleanUp() }
        let (oldPID, newPID) = try await Self.withWarmEnvironment(stack, place.environment) { environment -> (Int32, Int32) in
            let old = try #require(await environment.process(of: "db"))
            try await Self.execute(environment, "DELETE FROM t; CREATE TABLE extra (x int)")
            #expect(try await environment.resetDatabase("db") == "re-cloned by reflink")
            #expect(try await Self.query(environment, "SELECT count(*) FROM t") == ["3"], "the seed is back")
            #expect(try await Self.query(environment, "SELECT count(*) FROM pg_tables WHERE tablename = 'extra'") == ["0"])
            let new = try #require(await environment.process(of: "db"))
            #expect(new.pid != old.pid, "the server was restarted")
            #expect(old.exitStatus != nil, "the old server is gone")
            #expect(ProcessRegistry.live.contains(new.pid) && !ProcessRegistry.live.contains(old.pid), "the watchdog knows the new one")
            let status = try #require(await environment.statuses().first { $0.name == "db" })
            #expect(status.pid == new.pid && status.state == "healthy", "\(status)")
            #expect(try await !Self.databases(environment).contains { $0.hasSuffix("__testbed_spare") }, "no spare was made")
            // A second reset re-clones again (the templates are deferred again, then written on demand).
            try await environment.reset("db")
            #expect(try await Self.query(environment, "SELECT count(*) FROM t") == ["3"])
            try await Task.sleep(for: .milliseconds(300))  // the old processes' exits have been seen
            #expect(await environment.isReady, "not reported dead")
            #expect(!stack.events.all.contains { $0.phase == .failed }, "\(stack.timeline)")
            return (old.pid, try #require(await environment.process(of: "db")).pid)
        }
        let recloned = notes(stack).filter { $0.hasPrefix("reset: the cluster re-cloned by reflink, in the reflink image") }
        #expect(recloned.count == 2, "\(notes(stack))")
        #expect(kill(newPID, 0) != 0 && kill(oldPID, 0) != 0, "no server left")
        #expect(!ProcessRegistry.live.contains(newPID))
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.image.mountPoint + "/runs").isEmpty, "the clone is deleted")
        #expect(stack.leftoverRuns.isEmpty, "\(stack.leftoverRuns)")
        #expect(place.image.tearDownIfUnused() == place.image.folder, "no hold is left")
    }

    /// `testbed reset` against a `testbed up -d` supervisor: the reset re-clones (said on the
    /// terminal), `status` shows the new server healthy, and `down` leaves nothing.
    @Test(.enabled(if: LoopImage.unavailable == nil, "needs root, loop devices and xfsprogs"))
    func aDetachedResetReclonesAndStatusShowsTheNewServer() async throws {
        let place = LoopImageTests.Place()
        let stack = try TestStack(Self.manifest, files: Self.files)
        defer { stack.cleanUp() }
        let env = place.environment.merging(["TESTBED_RUN_ROOT": stack.runRoot, "TESTBED_CACHE_DIR": stack.folder + "/cache"]) { $1 }
        let name = "reclone-\(UUID().uuidString.prefix(8))"
        func cli(_ arguments: [String]) async throws -> CLI.Result {
            try await CLI.Running(arguments, mark: stack.mark, extra: env).wait()
        }
        func pid() async throws -> (Int32?, String?) {
            let status = try await cli(["status", name, "--json"])
            let response = try JSONDecoder().decode(ControlResponse.self, from: Data(status.stdout.utf8))
            let db = response.services?.first { $0.name == "db" }
            return (db?.pid, db?.state)
        }
        let fill = try await cli(["run", stack.path, "--", "true"])
        try #require(fill.status == 0, "\(fill.stderr)")
        let up = try await cli(["up", "-d", "--name", name, stack.path])
        try #require(up.status == 0, "\(up.stderr)")
        let (before, _) = try await pid()
        let reset = try await cli(["reset", name, "db"])
        #expect(reset.status == 0 && reset.stdout.contains("(re-cloned by reflink)"), "\(reset.stdout) \(reset.stderr)")
        let (after, state) = try await pid()
        #expect(after != nil && after != before && state == "healthy", "\(String(describing: before)) → \(String(describing: after)) \(state ?? "")")
        let again = try await cli(["reset", name, "db"])
        #expect(again.status == 0, "\(again.stderr)")
        let (_, stillHealthy) = try await pid()
        #expect(stillHealthy == "healthy", "not reported dead")
        let down = try await cli(["down", name])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(await eventually(within: .seconds(15)) { after.map { kill($0, 0) != 0 } ?? true }, "the new server is stopped")
        #expect(try FileManager.default.contentsOfDirectory(atPath: place.image.mountPoint + "/runs").isEmpty)
    }

    /// A cluster holding a database of its own (a per-test clone) resets through the spare:
    /// the same server, the other database kept.
    @Test(.enabled(if: LoopImage.unavailable == nil, "needs root, loop devices and xfsprogs"))
    func aClusterWithAnotherDatabaseResetsThroughTheSpareAndKeepsIt() async throws {
        let place = LoopImageTests.Place()
        let stack = try TestStack(Self.manifest, files: Self.files)
        defer { stack.cleanUp() }
        try await Self.withWarmEnvironment(stack, place.environment) { environment in
            let cluster = try #require(await environment.postgresCluster(for: "db"))
            try await cluster.cloneDatabase(named: "per_test")
            let pid = await environment.process(of: "db")?.pid
            try await Self.execute(environment, "DELETE FROM t")
            #expect(try await environment.resetDatabase("db") == nil, "not re-cloned")
            #expect(try await Self.query(environment, "SELECT count(*) FROM t") == ["3"])
            #expect(await environment.process(of: "db")?.pid == pid, "the same server")
            let names = try await Self.databases(environment)
            #expect(names.contains("per_test"), "\(names)")
            let values = await environment.values["db"] ?? [:]
            #expect(await eventually { (try? Self.databases(values))?.contains("app__testbed_spare") == true },
                    "the spare path made a spare")
        }
        #expect(!notes(stack).contains { $0.hasPrefix("reset: the cluster re-cloned") }, "\(notes(stack))")
    }

    /// The copy backend (any account) resets through the spare, as before.
    @Test func onTheCopyBackendAResetUsesTheSpare() async throws {
        let stack = try TestStack(Self.manifest, files: Self.files)
        defer { stack.cleanUp() }
        try await Self.withWarmEnvironment(stack, ["TESTBED_STORAGE": "copy"]) { environment in
            let pid = await environment.process(of: "db")?.pid
            try await Self.execute(environment, "DELETE FROM t")
            #expect(try await environment.resetDatabase("db") == nil)
            #expect(try await Self.query(environment, "SELECT count(*) FROM t") == ["3"])
            #expect(await environment.process(of: "db")?.pid == pid)
            let values = await environment.values["db"] ?? [:]
            #expect(await eventually { (try? Self.databases(values))?.contains("app__testbed_spare") == true })
        }
        #expect(notes(stack).contains("storage: copy (the run's data directory from the cache)"), "\(notes(stack))")
        #expect(!notes(stack).contains { $0.hasPrefix("reset: the cluster re-cloned") })
    }

}

/// Re-clones where the cache and the run root share a reflink file system (an XFS image the test makes).
@Suite("Reset by re-clone on XFS", .serialized, .timeLimit(.minutes(5)),
       .enabled(if: XFSImage.unavailable == nil, "needs root, loop devices and mkfs.xfs to make an XFS image"))
struct ReflinkResetTests {
    @Test func aResetOnAReflinkFileSystemReclonesTheCluster() async throws {
        let xfs = try XFSImage()
        let run = try PostgresTestRun(under: xfs.mountPoint)
        _ = try await run.withCluster(run.options("cold", seed: CloneStorageTests.seed)) { cluster, _ in try cluster.count("orders") }
        run.clearEvents()
        var options = try run.options("warm", seed: CloneStorageTests.seed)
        options.environment["TESTBED_STORAGE"] = "reflink"  // a seed this small re-clones only when asked
        let cluster = try PostgresCluster(options)
        let first = try await cluster.start()
        do {
            let connection = try cluster.connection()
            try connection.execute("DELETE FROM orders; CHECKPOINT")
            connection.close()
            let reset = try await cluster.reset()
            let second = try #require(reset.replacement, "re-cloned")
            #expect(second.pid != first.pid && first.exitStatus != nil)
            #expect(try cluster.count("orders") == 3)
            #expect(!FileManager.default.fileExists(atPath: options.serviceDirectory + "/data/base/\(DeferredTemplates.oid(0))"),
                    "the template stays in the tree, as after the warm start")
            try await cluster.cloneDatabase(named: "copy")  // writes the template from the tree again
            let copy = try PGConnection(conninfo: cluster.url(database: "copy"))
            #expect(try copy.query("SELECT count(*) FROM orders") == [["3"]])
            copy.close()
            #expect(try await cluster.reset().replacement == nil, "another database: the spare")
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
        #expect(run.details(.note).contains { $0.hasPrefix("reset: the cluster re-cloned by reflink in ") }, "\(run.details(.note))")
        #expect(!FileManager.default.fileExists(atPath: options.serviceDirectory + "/data"))
        let left = try FileManager.default.contentsOfDirectory(atPath: options.serviceDirectory)
        #expect(!left.contains { $0.contains("retired") }, "the used data directories are deleted: \(left)")
    }

    /// A seed under ``ClusterTrees/smallestPack`` is copied by default, on a reflink file
    /// system too, and so keeps the spare path: its spare is cheap and a reset by rename is
    /// faster than a restart.
    @Test func aSmallSeedOnAReflinkFileSystemResetsThroughTheSpareByDefault() async throws {
        let xfs = try XFSImage()
        let run = try PostgresTestRun(under: xfs.mountPoint)
        _ = try await run.withCluster(run.options("cold", seed: CloneStorageTests.seed)) { cluster, _ in try cluster.count("orders") }
        try await run.withCluster(run.options("warm", seed: CloneStorageTests.seed)) { cluster, _ throws in
            #expect(try await cluster.reset().replacement == nil)
            #expect(try cluster.count("orders") == 3)
        }
        #expect(run.details(.note).contains { $0.hasPrefix("storage: copy (the run's data directory from the cache; a seed under") },
                "\(run.details(.note))")
    }

    /// A stop while a re-clone runs waits for it and stops the server it started: none is left.
    @Test func aStopDuringARecloneLeavesNoServer() async throws {
        let xfs = try XFSImage()
        let run = try PostgresTestRun(under: xfs.mountPoint)
        _ = try await run.withCluster(run.options("cold", seed: CloneStorageTests.seed)) { cluster, _ in try cluster.count("orders") }
        for delay in [0, 5, 40] {
            var options = try run.options("warm\(delay)", seed: CloneStorageTests.seed)
            options.environment["TESTBED_STORAGE"] = "reflink"
            let cluster = try PostgresCluster(options)
            let first = try await cluster.start()
            let reset = Task { try await cluster.reset() }
            try await Task.sleep(for: .milliseconds(delay))
            await cluster.stop()
            let replacement = try? await reset.value.replacement
            #expect(first.exitStatus != nil)
            #expect(replacement.map { $0.exitStatus != nil } ?? true, "the re-clone's server is stopped (delay \(delay) ms)")
            #expect(replacement.map { !ProcessRegistry.live.contains($0.pid) } ?? true)
        }
    }
}
