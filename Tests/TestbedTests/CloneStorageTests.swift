import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers
@testable import TestbedModel
@testable import TestbedSeed
import Synchronization

/// The storage backends of seeded clusters: a reflink clone where the cache and the run
/// share a reflink file system (an XFS image the test makes, as root), else today's copy,
/// and `TESTBED_STORAGE=copy` to force it.
@Suite("Clone storage", .timeLimit(.minutes(5)))
struct CloneStorageTests {
    typealias Run = PostgresTestRun
    static let seed = [Run.sql("schema.sql"), Run.sql("data.sql")]

    /// Writes `count` bytes of a pattern to the new file `path`.
    static func write(_ path: String, count: Int, salt: UInt8 = 0) throws {
        var bytes = [UInt8](repeating: salt, count: count)
        for index in stride(from: 0, to: count, by: 4093) { bytes[index] = UInt8(truncatingIfNeeded: index / 4093) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Clones `source` into the new file `destination` with ``FileClone``.
    static func clone(_ source: String, _ destination: String, best: CloneMethod = .reflink) throws -> CloneMethod {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        defer { close(output) }
        var info = stat()
        fstat(input, &info)
        return try FileClone.copy(from: input, to: output, size: Int(info.st_size), best: best)
    }

    @Test func onTmpfsTheCloneFallsBackToACopyWithTheSameBytes() throws {
        let run = try Run()
        #expect(!ReflinkProbe.sharesExtents(from: run.root, to: run.root), "tmpfs shares no extents")
        try Self.write(run.root + "/a", count: 300_000)
        let method = try Self.clone(run.root + "/a", run.root + "/b")
        #expect(method != .reflink)
        #expect(FileManager.default.contents(atPath: run.root + "/b") == FileManager.default.contents(atPath: run.root + "/a"))
        #expect(try Self.clone(run.root + "/a", run.root + "/c", best: .copy) == .copy)
        try FileManager.default.createDirectory(atPath: run.root + "/tree", withIntermediateDirectories: false)
        try Self.write(run.root + "/tree/x", count: 100_000)
        try Self.write(run.root + "/tree/y", count: 100_000)
        try ClusterPack.pack(tree: run.root + "/tree", to: run.root + "/tree.pack")
        try ClusterPack.unpack(run.root + "/tree.pack", to: run.root + "/out", owner: nil, cloningDuplicates: true)
        #expect(FileManager.default.contents(atPath: run.root + "/out/y") == FileManager.default.contents(atPath: run.root + "/tree/x"),
                "a duplicate falls back to a copy on tmpfs")
        #expect(FileManager.default.contents(atPath: run.root + "/c") == FileManager.default.contents(atPath: run.root + "/a"))
    }

    @Test func theStorageVariableForcesTheCopyAndRefusesUnknownValues() throws {
        let run = try Run()
        #expect(try StorageBackend.method(from: run.root, to: run.root, environment: ["TESTBED_STORAGE": "copy"]).get() == .copy)
        #expect(try StorageBackend.method(from: run.root, to: run.root, environment: [:]).get() == .copy, "tmpfs")
        let refused = #expect(throws: StorageChoiceError.self) {
            try StorageBackend.method(from: run.root, to: run.root, environment: ["TESTBED_STORAGE": "zfs"]).get()
        }
        #expect(refused?.description.contains("TESTBED_STORAGE=zfs") == true)
        #expect(refused?.description.contains("auto") == true && refused?.description.contains("copy") == true)
        #expect(try StorageBackend.method(from: run.root, to: run.root, environment: ["TESTBED_STORAGE": "reflink"]).get() == .copy,
                "reflink is a preference: tmpfs copies")
    }

    /// Cold then warm with the copy backend: named in the notes, and the cold run holds
    /// one copy of the data (its `build` folder became `data`).
    @Test func theCopyBackendIsNamedAndAColdRunKeepsNoBuildFolder() async throws {
        let run = try Run()
        var options = try run.options("cold", seed: Self.seed)
        options.environment["TESTBED_STORAGE"] = "copy"
        let leftBuild = try await run.withCluster(options) { cluster, _ throws -> Bool in
            let build = FileManager.default.fileExists(atPath: options.serviceDirectory + "/build")
            #expect(!FileManager.default.fileExists(atPath: options.serviceDirectory + "/data/base/\(DeferredTemplates.oid(0))"),
                    "the template is left in the pack, as on a warm start")
            let connection = try cluster.connection()
            try connection.execute("DELETE FROM orders")
            connection.close()
            try await cluster.reset()  // writes the template from the pack first
            #expect(try cluster.count("orders") == 3)
            return build
        }
        #expect(!leftBuild, "no build folder beside data while the run works")
        #expect(run.details(.note).contains("storage: copy (the run's data directory from the build)"), "\(run.details(.note))")
        run.clearEvents()
        var warm = try run.options("warm", seed: Self.seed)
        warm.environment["TESTBED_STORAGE"] = "copy"
        #expect(try await run.withCluster(warm) { cluster, _ in try cluster.count("orders") } == 3)
        #expect(run.details(.seeded) == ["seed cached"])
        #expect(run.details(.note).contains("storage: copy (the run's data directory from the cache)"), "\(run.details(.note))")
        #expect(run.details(.note).contains { $0.contains("cached cluster unpacked") })
    }
}

/// The reflink backend, on an XFS image made for the test.
@Suite("Clone storage on XFS", .serialized, .timeLimit(.minutes(5)),
       .enabled(if: XFSImage.unavailable == nil, "needs root, loop devices and mkfs.xfs to make an XFS image"))
struct ReflinkStorageTests {
    typealias Run = PostgresTestRun

    @Test func aReflinkCloneTakesNoRoomAndItsWritesStayPrivate() throws {
        let xfs = try XFSImage()
        let folder = xfs.mountPoint + "/files"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        #expect(ReflinkProbe.sharesExtents(from: folder, to: folder))
        try CloneStorageTests.write(folder + "/a", count: 32 << 20)
        let before = xfs.used
        #expect(try CloneStorageTests.clone(folder + "/a", folder + "/b") == .reflink)
        #expect(try CloneStorageTests.clone(folder + "/a", folder + "/c") == .reflink)
        #expect(xfs.used - before < 4 << 20, "two 32 MB clones took \(xfs.used - before) bytes")
        let original = FileManager.default.contents(atPath: folder + "/a")
        #expect(FileManager.default.contents(atPath: folder + "/b") == original)
        let handle = try #require(FileHandle(forWritingAtPath: folder + "/b"))
        try handle.seek(toOffset: 1 << 20)
        try handle.write(contentsOf: Data(repeating: 0xee, count: 8192))
        try handle.close()
        #expect(FileManager.default.contents(atPath: folder + "/a") == original, "the source is untouched")
        #expect(FileManager.default.contents(atPath: folder + "/c") == original, "the other clone is untouched")
        #expect(FileManager.default.contents(atPath: folder + "/b") != original)
        #expect(try CloneStorageTests.clone(folder + "/a", folder + "/d", best: .copy) == .copy, "forced copy")
    }

    /// A cold run and two warm runs side by side on XFS: each named reflink, the cold one
    /// with no `build` folder left, a write in one warm run unseen in the other, and the
    /// clones' data sharing the tree's extents.
    @Test func clustersOnAReflinkFileSystemAreClonesWhoseWritesStayPrivate() async throws {
        let xfs = try XFSImage()
        let run = try Run(under: xfs.mountPoint)
        let leftBuild = try await run.withCluster(run.options("cold", seed: CloneStorageTests.seed)) { cluster, _ throws -> Bool in
            #expect(try cluster.count("orders") == 3)
            await cluster.awaitPublications()
            return FileManager.default.fileExists(atPath: run.root + "/cold/build")
        }
        #expect(!leftBuild)
        #expect(run.details(.note).contains("storage: reflink (the run's data directory from the build)"), "\(run.details(.note))")
        run.clearEvents()
        // The seed is small: by default it would be copied (see the next test).
        var one = try run.options("one", seed: CloneStorageTests.seed)
        one.environment["TESTBED_STORAGE"] = "reflink"
        var two = try run.options("two", seed: CloneStorageTests.seed)
        two.environment["TESTBED_STORAGE"] = "reflink"
        let first = try PostgresCluster(one)
        let second = try PostgresCluster(two)
        _ = try await first.start()
        do {
            let usedBefore = xfs.used
            _ = try await second.start()
            #expect(xfs.used - usedBefore < 24 << 20, "a second clone takes little room: \(xfs.used - usedBefore) bytes")
            let connection = try first.connection()
            try connection.execute("DELETE FROM orders; CHECKPOINT")
            connection.close()
            #expect(try first.count("orders") == 0)
            #expect(try second.count("orders") == 3, "the other run's clone is untouched")
            #expect(!FileManager.default.fileExists(atPath: run.root + "/one/data/base/\(DeferredTemplates.oid(0))"),
                    "the template stays in the tree until a reset needs it")
            try await first.reset()
            #expect(try first.count("orders") == 3)
        } catch {
            await first.stop()
            await second.stop()
            throw error
        }
        await first.stop()
        await second.stop()
        let notes = run.details(.note)
        #expect(notes.filter { $0 == "storage: reflink (the run's data directory from the cache)" }.count == 2, "\(notes)")
        #expect(notes.filter { $0.contains("cached cluster cloned by reflink") }.count == 2, "\(notes)")
        #expect(run.details(.seeded) == ["seed cached", "seed cached"])
    }

    /// On a reflink file system too, a seed under ``ClusterTrees/smallestPack`` is copied by
    /// default (an unpack into XFS is faster than ~1,300 clones), and the note says why.
    @Test func onAReflinkFileSystemASmallSeedIsCopiedByDefault() async throws {
        let xfs = try XFSImage()
        let run = try Run(under: xfs.mountPoint)
        for name in ["cold", "warm"] {
            #expect(try await run.withCluster(run.options(name, seed: CloneStorageTests.seed)) { cluster, _ in
                try cluster.count("orders")
            } == 3)
        }
        let notes = run.details(.note)
        #expect(notes.contains("storage: copy (the run's data directory from the cache; a seed under 64 MB copies faster "
                               + "than it clones)"), "\(notes)")
        #expect(!notes.contains { $0.contains("cloned by reflink") }, "\(notes)")
    }

    /// An unpacked tree holds a content the pack stores once (a database and its template)
    /// once too: the duplicate is a clone of the first file, and a write to one is private.
    @Test func anUnpackedTreeClonesDuplicateContents() throws {
        let xfs = try XFSImage()
        let tree = xfs.mountPoint + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/base/1", withIntermediateDirectories: true)
        try CloneStorageTests.write(tree + "/base/1/a", count: 24 << 20)
        try CloneStorageTests.write(tree + "/base/1/b", count: 24 << 20)
        try ClusterPack.pack(tree: tree, to: xfs.mountPoint + "/tree.pack")
        let before = xfs.used
        try ClusterPack.unpack(xfs.mountPoint + "/tree.pack", to: xfs.mountPoint + "/out", owner: nil, cloningDuplicates: true)
        #expect(xfs.used - before < 30 << 20, "48 MB of files took \(xfs.used - before) bytes")
        let original = FileManager.default.contents(atPath: tree + "/base/1/a")
        #expect(FileManager.default.contents(atPath: xfs.mountPoint + "/out/base/1/b") == original)
        let handle = try #require(FileHandle(forWritingAtPath: xfs.mountPoint + "/out/base/1/a"))
        try handle.write(contentsOf: Data(repeating: 0xee, count: 8192))
        try handle.close()
        #expect(FileManager.default.contents(atPath: xfs.mountPoint + "/out/base/1/b") == original)
    }

    /// An SQLite database cloned from its cached snapshot on XFS: a reflink, named in a note.
    @Test func anSQLiteDatabaseIsAReflinkOfItsSnapshot() async throws {
        let xfs = try XFSImage()
        let folder = xfs.mountPoint + "/sqlite"
        let notes = Mutex<[String]>([])
        let schema = fixturePath("sqlite", "schema.sql")
        let seed = [PlannedSeedStep(step: SeedStep(source: .sql(path: schema), location: SourceLocation(file: "env.yml", line: 1, column: 1)),
                                     absolutePaths: [schema])]
        for name in ["cold", "warm"] {
            let store = try SQLiteStore(.init(serviceName: name, spec: SQLiteSpec(), path: folder + "/\(name).sqlite", seed: seed,
                                              cacheRoot: folder + "/cache",
                                              report: { phase, detail in if phase == .note { notes.withLock { $0.append(detail ?? "") } } }))
            try await store.start()
            store.stop()
        }
        #expect(notes.withLock { $0 }.filter { $0 == "storage: reflink (the database from its snapshot)" }.count == 2,
                "\(notes.withLock { $0 })")
    }

    @Test func theCopyCanBeForcedOnAReflinkFileSystem() async throws {
        let xfs = try XFSImage()
        let run = try Run(under: xfs.mountPoint)
        _ = try await run.withCluster(run.options("cold", seed: CloneStorageTests.seed)) { cluster, _ in try cluster.count("orders") }
        run.clearEvents()
        var options = try run.options("forced", seed: CloneStorageTests.seed)
        options.environment["TESTBED_STORAGE"] = "copy"
        #expect(try await run.withCluster(options) { cluster, _ in try cluster.count("orders") } == 3)
        #expect(run.details(.note).contains("storage: copy (the run's data directory from the cache)"), "\(run.details(.note))")
    }
}
