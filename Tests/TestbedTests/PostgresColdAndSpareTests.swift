import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

// The time limit is a hang guard (see `hangGuard`), not a figure: under plain `swift test` on a
// loaded 2-core machine, tests here were seen to take over two minutes.
@Suite("Postgres cold start and spare databases", .timeLimit(.minutes(5)))
struct PostgresColdAndSpareTests {
    typealias Run = PostgresTestRun

    @Test func coldStartWithAnEmptyCacheSeedsAndFillsBothCaches() async throws {
        let run = try Run()
        #expect(!FileManager.default.fileExists(atPath: run.cacheRoot))
        let seed = [Run.sql("schema.sql"), Run.sql("data.sql")]
        let counts = try await run.withCluster(run.options("cold", seed: seed)) { cluster, _ in
            (try cluster.count("users"), try cluster.count("orders"))
        }
        #expect(counts == (3, 3))
        #expect(run.details(.seeded).last?.hasPrefix("seeded in") == true)
        let entries = try FileManager.default.contentsOfDirectory(atPath: run.cacheRoot + "/postgres")
        #expect(entries.filter { $0.hasPrefix("base-") && $0.hasSuffix(".pack") }.count == 1, "\(entries)")
        #expect(entries.filter { $0.hasPrefix("seeded-") && $0.hasSuffix(".pack") }.count == 1, "\(entries)")
        #expect(entries.filter { $0.hasPrefix(".tmp-") }.isEmpty)

        // The seeded entry serves the next start; the base one a different seed.
        run.clearEvents()
        let warm = try await run.withCluster(run.options("warm", seed: seed)) { cluster, _ in try cluster.count("orders") }
        #expect(warm == 3)
        #expect(run.details(.seeded) == ["seed cached"])
        run.clearEvents()
        let other = try await run.withCluster(run.options("other", seed: [Run.sql("schema.sql")])) { cluster, _ in
            try cluster.count("orders")
        }
        #expect(other == 0)
        #expect(run.details(.note).contains { $0.contains("base cache copied") })
        #expect(!run.details(.note).contains { $0.contains("base cache written") }, "the base is not built twice")
    }

    @Test func packStoresEachContentOnceAndUnpacksTheSameTree() throws {
        let run = try Run()
        let tree = run.root + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/base/1", withIntermediateDirectories: true)
        let big = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try big.write(to: URL(fileURLWithPath: tree + "/base/1/a"))
        try big.write(to: URL(fileURLWithPath: tree + "/base/1/b"))
        try Data("other".utf8).write(to: URL(fileURLWithPath: tree + "/base/c"))
        try Data().write(to: URL(fileURLWithPath: tree + "/empty"))
        try FileManager.default.createSymbolicLink(atPath: tree + "/link", withDestinationPath: "base/c")
        chmod(tree + "/base/c", 0o600)
        chmod(tree, 0o700)
        try ClusterPack.pack(tree: tree, to: run.root + "/tree.pack")
        let size = try #require(FileManager.default.attributesOfItem(atPath: run.root + "/tree.pack")[.size] as? Int)
        #expect(size < 100_000 + 3 * ClusterPack.alignment, "the duplicate is stored once: \(size) bytes")
        // A content of a page or more starts on a page in the file: copies from there are twice as fast.
        let input = open(run.root + "/tree.pack", O_RDONLY)
        defer { close(input) }
        let (entries, dataStart) = try ClusterPack.readVerified(input, run.root + "/tree.pack")
        #expect(dataStart % UInt64(ClusterPack.alignment) == 0)
        let large = entries.filter { $0.size >= UInt64(ClusterPack.alignment) }
        #expect(large.count == 2 && large.allSatisfy { ($0.offset + dataStart) % UInt64(ClusterPack.alignment) == 0 })
        try ClusterPack.unpack(run.root + "/tree.pack", to: run.root + "/out", owner: nil)
        #expect(FileManager.default.contents(atPath: run.root + "/out/base/1/a") == big)
        #expect(FileManager.default.contents(atPath: run.root + "/out/base/1/b") == big)
        #expect(FileManager.default.contents(atPath: run.root + "/out/base/c") == Data("other".utf8))
        #expect(FileManager.default.contents(atPath: run.root + "/out/empty") == Data())
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: run.root + "/out/link") == "base/c")
        let modes = try [run.root + "/out", run.root + "/out/base/c"].map {
            try FileManager.default.attributesOfItem(atPath: $0)[.posixPermissions] as? Int
        }
        #expect(modes == [0o700, 0o600])

        let handle = try #require(FileHandle(forWritingAtPath: run.root + "/tree.pack"))
        try handle.truncate(atOffset: 40)
        try handle.close()
        #expect(throws: PostgresError.self) { try ClusterPack.unpack(run.root + "/tree.pack", to: run.root + "/out2", owner: nil) }
    }

    @Test func aMarkOfThisBootSkipsTheChecksumAndAnyWriteToThePackVoidsIt() throws {
        let run = try Run()
        let tree = run.root + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/base", withIntermediateDirectories: true)
        try Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 * 13) }).write(to: URL(fileURLWithPath: tree + "/base/a"))
        chmod(tree, 0o700)
        let pack = run.root + "/cache/tree.pack"
        try FileManager.default.createDirectory(atPath: run.root + "/cache", withIntermediateDirectories: true)
        chmod(run.root + "/cache", 0o700)
        try ClusterPack.pack(tree: tree, to: pack)
        try ClusterPack.unpack(pack, to: run.root + "/out1", owner: nil)
        let mark = run.root + "/cache/.verified/tree.pack"
        let checked = try String(contentsOfFile: mark, encoding: .utf8)
        #expect(checked.hasPrefix(try #require(ClusterPack.VerifiedMarks.bootID) + ":"), "the mark names this boot: \(checked)")

        // A byte overwritten after the mark: the write changed the pack's change time.
        func damage() throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: pack))
            try handle.seek(toOffset: 30_000)
            try handle.write(contentsOf: Data([0xFF, 0x00, 0xFF]))
            try handle.close()
        }
        try damage()
        #expect(throws: PostgresError.self) { try ClusterPack.unpack(pack, to: run.root + "/out2", owner: nil) }

        // The same damage under a mark of another boot is found too.
        var info = stat()
        #expect(stat(pack, &info) == 0)
        let identity = try #require(ClusterPack.VerifiedMarks.identity(info))
        let otherBoot = "00000000-0000-0000-0000-000000000000" + identity.drop { $0 != ":" }
        try otherBoot.write(toFile: mark, atomically: false, encoding: .utf8)
        #expect(throws: PostgresError.self) { try ClusterPack.unpack(pack, to: run.root + "/out3", owner: nil) }

        // Only a mark of this boot and of this very file skips the check (shown by letting it
        // vouch for the damaged pack, which then unpacks as it is).
        try identity.write(toFile: mark, atomically: false, encoding: .utf8)
        try ClusterPack.unpack(pack, to: run.root + "/out4", owner: nil)
        ClusterPack.VerifiedMarks.forget(pack)
        #expect(!FileManager.default.fileExists(atPath: mark))
    }

    @Test func resetThroughTheSpareTwiceInARowRestoresTheSeededRows() async throws {
        let run = try Run()
        try await run.withCluster(run.options(seed: [Run.sql("schema.sql"), Run.sql("data.sql")])) { cluster, _ in
            await cluster.spares.settle()
            #expect(!(await cluster.spares.isReady("app")), "no spare before the first reset")
            for round in 0..<2 {
                let connection = try cluster.connection()
                try connection.execute("DELETE FROM orders; INSERT INTO users (email) VALUES ('r\(round)@example.com')")
                #expect(try cluster.count("orders") == 0)
                try await cluster.reset()
                #expect(throws: PostgresError.self, "the reset ended the session") { try connection.query("SELECT 1") }
                connection.close()
                #expect(try cluster.count("orders") == 3)
                #expect(try cluster.count("users") == 3)
                await cluster.spares.settle()
                #expect(await cluster.spares.isReady("app"), "a reset makes the next spare")
            }
            // Back to back: the second waits for the spare the first started to make.
            try await cluster.reset()
            try await cluster.reset()
            #expect(try cluster.count("users") == 3)
            await cluster.spares.settle()
            let admin = try cluster.connect("postgres")
            defer { admin.close() }
            let names = try admin.query("SELECT datname FROM pg_database ORDER BY 1").compactMap { $0[0] }
            #expect(names.contains("app__testbed_spare"), "\(names)")
            #expect(!names.contains { $0.hasPrefix("app__testbed_trash") }, "the used databases are dropped in the background: \(names)")

            // Clones take the spare too, and concurrent calls are serialized.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<3 { group.addTask { try await cluster.cloneDatabase(named: "clone_\(index)") } }
                group.addTask { try await cluster.reset() }
                try await group.waitForAll()
            }
            for index in 0..<3 {
                let clone = try cluster.connection().query("SELECT 1") // the default database still answers
                #expect(clone == [["1"]])
                let url = cluster.values["url"]!.replacingOccurrences(of: "/app?", with: "/clone_\(index)?")
                let connection = try PGConnection(conninfo: url)
                #expect(try connection.query("SELECT count(*) FROM orders") == [["3"]])
                connection.close()
            }
            await #expect(throws: PostgresError.self, "an existing name is refused") {
                try await cluster.cloneDatabase(named: "clone_0")
            }
            try await cluster.reset()
            #expect(try cluster.count("orders") == 3)
        }
    }

    @Test func stopDuringTemplateAndSpareCreationLeavesNoProcess() async throws {
        let run = try Run()
        let options = try run.options(seed: [Run.sql("schema.sql"), Run.sql("data.sql")])
        _ = try await run.withCluster(options) { _, _ in 0 }  // fills the cache: the next start is fast
        for index in 0..<3 {
            let options = try run.options("again\(index)", seed: [Run.sql("schema.sql"), Run.sql("data.sql")])
            let cluster = try PostgresCluster(options)
            let process = try await cluster.start()
            #expect(!(await cluster.spares.isRefilling("app")), "no spare is made before it is needed")
            let preparing = Task { try await cluster.prepareResets() }
            if index == 1 {
                // A reset waiting for that spare when the stop comes.
                let reset = Task { try await cluster.reset() }
                await cluster.stop()
                _ = await reset.result
            } else {
                await cluster.stop()
            }
            _ = await preparing.result
            #expect(!ProcessTable.groupHasLiveMembers(process.pid), "no process of the group is left")
            #expect(!(await cluster.spares.isRefilling("app")))
            #expect(!FileManager.default.fileExists(atPath: options.serviceDirectory + "/data"))
            await #expect(throws: (any Error).self) { try await cluster.reset() }
        }
    }
}
