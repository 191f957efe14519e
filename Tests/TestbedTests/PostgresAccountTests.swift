import Foundation
import Testing
@testable import Testbed

/// Proves that, as root, the server's account comes from `run_as` (not a hard-coded
/// `postgres`): a second unprivileged user runs the server and owns its files.
@Suite("Postgres server account", .enabled(if: UnixUser.isRoot, "needs root to switch users"))
struct PostgresAccountTests {
    static let userName = "testbed-pg"

    /// Creates the user when missing; nil when that is not possible here.
    static func ensureUser() -> UnixUser? {
        if let user = UnixUser.named(userName) { return user }
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/useradd")
        process.arguments = ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", userName]
        try? process.run()
        process.waitUntilExit()
        return UnixUser.named(userName)
    }

    @Test func runAsChoosesTheServerUserAndTheOwnerOfItsFiles() async throws {
        guard let user = Self.ensureUser() else {
            print("skipped: cannot create user \(Self.userName) (no useradd)")
            return
        }
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
