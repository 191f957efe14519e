import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// Search grants through POSIX ACLs, as runs of one run root make them for their own server ids.
@Suite struct PrivateDirectoryACLTests {
    @Test func concurrentGrantsToOneFolderLoseNoEntry() async throws {
        let folder = "/dev/shm/tbt-acl-\(UUID().uuidString.prefix(8))"
        try PrivateDirectory.ensure(folder, what: "a test folder")
        defer { PrivateDirectory.removeTree(folder) }
        // 16 runs starting at once each grant their own id; an unlocked read-modify-write of
        // the ACL keeps only some of them (seen as a server that cannot reach its data).
        let ids: [uid_t] = (0..<16).map { 2_097_152_000 + uid_t($0) }
        try #require(PrivateDirectory.grantSearch(folder, to: ids[0]), "the file system has no POSIX ACLs")
        await withTaskGroup(of: Void.self) { group in
            for id in ids.dropFirst() {
                group.addTask { for _ in 0..<20 { _ = PrivateDirectory.grantSearch(folder, to: id) } }
            }
        }
        let granted = Set((PrivateDirectory.readACL(folder) ?? []).filter { $0.tag == PrivateDirectory.ACLEntry.user }.map(\.id))
        #expect(granted == Set(ids.map { UInt32($0) }))
    }
}
