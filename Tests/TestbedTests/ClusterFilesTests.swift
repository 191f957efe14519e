import Foundation
import Testing
@testable import Testbed
@testable import TestbedDrivers

/// Copies and removals of trees another account owns follow nothing planted in them.
@Suite("Cluster files")
struct ClusterFilesTests {
    @Test func removeDeletesPlantedLinksNotTheirTargets() throws {
        let run = try PostgresTestRun()
        let target = run.root + "/target"
        try FileManager.default.createDirectory(atPath: target + "/inner", withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: target + "/inner/file"))
        let tree = run.root + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/sub", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: tree + "/sub/link", withDestinationPath: target)
        try FileManager.default.createSymbolicLink(atPath: tree + "/file-link", withDestinationPath: target + "/inner/file")
        ClusterFiles.remove(tree)
        #expect(!FileManager.default.fileExists(atPath: tree))
        #expect(FileManager.default.contents(atPath: target + "/inner/file") == Data("keep".utf8))
    }

    @Test func copyKeepsLinksAsLinksAndRefusesAFIFOWithoutBlocking() throws {
        let run = try PostgresTestRun()
        let tree = run.root + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: tree + "/link", withDestinationPath: "/etc")
        try Data("x".utf8).write(to: URL(fileURLWithPath: tree + "/file"))
        try ClusterFiles.copyTree(from: tree, to: run.root + "/copy")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: run.root + "/copy/link") == "/etc")
        #expect(FileManager.default.contents(atPath: run.root + "/copy/file") == Data("x".utf8))
        // A FIFO is skipped by the walk (it is no cluster file); one opened in place of a
        // file is refused at once (O_NONBLOCK), never waited on.
        #expect(mkfifo(tree + "/fifo", 0o600) == 0)
        try ClusterFiles.copyTree(from: tree, to: run.root + "/copy2")
        #expect(!FileManager.default.fileExists(atPath: run.root + "/copy2/fifo"))
        #expect(ClusterFiles.readSmallFile(tree + "/fifo") == nil)
        #expect(ClusterFiles.readSmallFile(tree + "/link") == nil, "a link is not followed")
        #expect(ClusterFiles.readSmallFile(tree + "/file") == "x")
    }
}
