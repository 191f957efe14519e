import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedSystem

/// A second user fills the shared port lock directory with traps: FIFOs (a blocking open()
/// would hang every testbed on the machine), symlinks, files of its own. Root's runs neither
/// hang nor follow them; they skip those ports.
@Suite(.enabled(if: LocalUser.canCreate, "needs root and useradd to create a second user"))
struct PortLockSecurityTests {
    /// Runs `body` on a thread of its own and waits up to 10 s: a hang fails the test instead of the suite.
    ///
    /// The result is looked at once more after the deadline: on a loaded machine this task may
    /// first wake after it, when `body` (microseconds of work) has long returned.
    func withinTenSeconds<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        Thread.detachNewThread { result.withLock { $0 = Result { try body() } } }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, result.withLock({ $0 }) == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        guard let done = result.withLock({ $0 }) else { throw TestFailure("still blocked after 10 s") }
        return try done.get()
    }

    /// Three ports no one holds right now.
    func freePorts() throws -> [Int] {
        let allocator = PortAllocator(lockDirectory: try makeTemporaryDirectory())
        let reservations = try (0..<3).map { _ in try allocator.reserve() }
        reservations.forEach { $0.release() }
        return reservations.map(\.port)
    }

    @Test func fifosSymlinksAndOtherUsersFilesNeitherStallNorRedirectARun() async throws {
        let directory = "/tmp/tbt-ports-\(UUID().uuidString.prefix(8))"
        #expect(mkdir(directory, 0o1777) == 0 && chmod(directory, 0o1777) == 0)  // as the shared default is
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bait = try makeTemporaryDirectory() + "/bait"
        try "root's file\n".write(toFile: bait, atomically: true, encoding: .utf8)
        let ports = try freePorts()
        try await withLocalUser(prefix: "tbt-atk") { attacker in
            let planted = try await attacker.shell("""
                mkfifo '\(directory)/\(ports[0]).lock' && ln -s '\(bait)' '\(directory)/\(ports[1]).lock' &&
                touch '\(directory)/\(ports[2]).lock' && chmod 666 '\(directory)/\(ports[2]).lock'
                """)
            #expect(planted.status == 0, "\(planted.stderr)")
            let allocator = PortAllocator(lockDirectory: directory)
            let reserved = try await withinTenSeconds {
                var candidates = ports + [0]
                let reservation = try allocator.reserve { try PortAllocator.bindLoopback(port: candidates.removeFirst()) }
                let port = reservation.port
                reservation.release()
                return port
            }
            #expect(!ports.contains(reserved))
            for port in ports {
                let error = try await withinTenSeconds { () -> PortError? in
                    do { _ = try allocator.reserve(fixed: port); return nil } catch let error as PortError { return error }
                }
                #expect(error?.code == .inUse, "port \(port)")
            }
            #expect(try String(contentsOfFile: bait, encoding: .utf8) == "root's file\n")
        }
    }

    @Test func aLockDirectoryMadeByAnotherUserIsNotUsed() async throws {
        let directory = "/tmp/tbt-ports-\(UUID().uuidString.prefix(8))"
        let own = directory + "-\(geteuid())"
        defer { try? FileManager.default.removeItem(atPath: directory); try? FileManager.default.removeItem(atPath: own) }
        try await withLocalUser(prefix: "tbt-atk") { attacker in
            // Its owner could delete root's lock files under their locks and hand one port out twice.
            let planted = try await attacker.shell("mkdir -m 1777 '\(directory)'")
            #expect(planted.status == 0, "\(planted.stderr)")
            let reservation = try PortAllocator(lockDirectory: directory).reserve()
            defer { reservation.release() }
            var info = stat()
            #expect(stat("\(own)/\(reservation.port).lock", &info) == 0 && info.st_uid == 0)
            #expect(stat(own, &info) == 0 && info.st_mode & 0o7777 == 0o700)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        }
    }
}
