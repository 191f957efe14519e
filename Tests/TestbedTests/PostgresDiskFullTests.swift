import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// A full file system is named as such, with what to do: tested on a 1 MB tmpfs.
@Suite("Postgres on a full disk", .serialized, .enabled(if: UnixUser.isRoot, "needs root to mount a small tmpfs"))
struct PostgresDiskFullTests {
    /// Mounts a 1 MB tmpfs at `path` for `body`, then unmounts it.
    static func withTinyDisk<T>(at path: String, _ body: () async throws -> T) async throws -> T {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try LocalAttacker.command("/bin/mount", ["-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", path])
        try #require(mount.status == 0, "cannot mount a tmpfs here: \(mount.output)")
        defer { _ = try? LocalAttacker.command("/bin/umount", ["-l", path]) }
        return try await body()
    }

    @Test func initdbOnAFullDiskSaysTheDiskIsFull() async throws {
        let run = try PostgresTestRun()
        let disk = run.root + "/tiny"
        try await Self.withTinyDisk(at: disk) {
            var options = try run.options()
            options.serviceDirectory = disk + "/db"
            try FileManager.default.createDirectory(atPath: options.serviceDirectory, withIntermediateDirectories: false)
            let cluster = try PostgresCluster(options)
            let error = await #expect(throws: PostgresError.self) { _ = try await cluster.start() }
            #expect(error?.code == .diskFull, "\(String(describing: error))")
            #expect(error?.message.hasPrefix("the disk is full") == true, "\(String(describing: error))")
            #expect(error?.hint?.contains("TESTBED_RUN_ROOT") == true)
        }
    }

    @Test func unpackingOntoAFullDiskSaysTheDiskIsFull() async throws {
        let run = try PostgresTestRun()
        let tree = run.root + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: false)
        try Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: tree + "/big"))
        try ClusterPack.pack(tree: tree, to: run.root + "/tree.pack")
        let disk = run.root + "/tiny"
        try await Self.withTinyDisk(at: disk) {
            let error = #expect(throws: PostgresError.self) { try ClusterPack.unpack(run.root + "/tree.pack", to: disk + "/out", owner: nil) }
            #expect(error?.code == .diskFull, "\(String(describing: error))")
            #expect(error?.message.contains("it needs 20 MB, 1 MB are free") == true, "both sizes: \(String(describing: error))")
            #expect(error?.hint?.contains("--shm-size") == true && error?.hint?.contains("TESTBED_RUN_ROOT") == true)
            #expect(!FileManager.default.fileExists(atPath: disk + "/out"), "nothing is written before the check")
        }
    }
}
