import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// Proves that, as root, the server's account comes from `run_as` (not a hard-coded
/// `postgres`): another unprivileged user runs the server and owns its files.
///
/// The account is `nobody`, which every Linux system has: the test creates no user, so it
/// leaves nothing behind on the machine and runs alongside other test processes. Where
/// there is no `nobody`, the suite is reported as skipped with the reason.
@Suite("Postgres server account",
       .enabled(if: UnixUser.isRoot, "needs root to switch users"),
       .enabled(if: serverTestUser != nil, "needs the unprivileged account 'nobody'"))
struct PostgresAccountTests {
    @Test func runAsChoosesTheServerUserAndTheOwnerOfItsFiles() async throws {
        let user = try #require(serverTestUser)
        #expect(user.uid != UnixUser.named("postgres")?.uid, "the test must use another account than 'postgres'")
        let run = try PostgresTestRun()
        let options = try run.options(spec: PostgresSpec(runAs: user.name), seed: [PostgresTestRun.sql("schema.sql")])
        try await run.withCluster(options) { cluster, process in
            var info = stat()
            #expect(stat(options.serviceDirectory + "/data", &info) == 0)
            #expect(info.st_uid == user.uid)
            #expect(stat(options.serviceDirectory + "/data/base", &info) == 0)
            #expect(info.st_uid == user.uid)
            let status = try String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)
            let uidLine = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
            #expect(uidLine.split(separator: "\t").dropFirst().first.map(String.init) == String(user.uid), "\(uidLine)")
            #expect(try cluster.count("users") == 0)
        }
    }
}

/// The account that runs the server in ``PostgresAccountTests``, when the system has it.
private let serverTestUser: UnixUser? = UnixUser.named("nobody").flatMap { $0.uid == 0 ? nil : $0 }
