import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

// The time limit is a hang guard (see `hangGuard`), not a figure: under plain `swift test` on a
// loaded 2-core machine, tests here were seen to take over two minutes.
@Suite("Postgres cluster lifecycle", .timeLimit(.minutes(5)))
struct PostgresLifecycleTests {
    typealias Run = PostgresTestRun

    @Test func secondStartComesFromTheCacheAndAnEditInvalidatesIt() async throws {
        let run = try Run()
        let folder = try run.copyFixtures(["schema.sql", "data.sql"])
        let seed = [Run.sql("schema.sql", path: folder + "/schema.sql"), Run.sql("data.sql", path: folder + "/data.sql")]
        let firstCount = try await run.withCluster(run.options("first", seed: seed)) { cluster, _ in try cluster.count("users") }
        #expect(firstCount == 3)
        #expect(run.details(.seeded).last?.hasPrefix("seeded in") == true)
        #expect(run.details(.seeding).count == 1)

        run.clearEvents()
        let secondCount = try await run.withCluster(run.options("second", seed: seed)) { cluster, _ in try cluster.count("users") }
        #expect(secondCount == 3)
        #expect(run.details(.seeded) == ["seed cached"])
        #expect(run.details(.seeding).isEmpty, "a cache hit runs no seed step")

        let handle = try #require(FileHandle(forWritingAtPath: folder + "/data.sql"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("INSERT INTO users (email) VALUES ('new@example.com');\n".utf8))
        try handle.close()
        run.clearEvents()
        let thirdCount = try await run.withCluster(run.options("third", seed: seed)) { cluster, _ in try cluster.count("users") }
        #expect(thirdCount == 4)
        #expect(run.details(.seeded).last?.hasPrefix("seeded in") == true)
    }

    @Test func racingStartsBuildTheCacheOnce() async throws {
        let run = try Run()
        let seed = [Run.sql("schema.sql"), Run.sql("data.sql")]
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<8 {
                let options = try run.options("racer\(index)", seed: seed)
                group.addTask { try await run.withCluster(options) { cluster, _ in try cluster.count("orders") } }
            }
            for try await count in group { #expect(count == 3) }
        }
        let details = run.details(.seeded)
        #expect(details.count == 8)
        #expect(details.filter { $0.hasPrefix("seeded in") }.count == 1, "\(details)")
        let entries = try FileManager.default.contentsOfDirectory(atPath: run.cacheRoot + "/postgres")
        #expect(entries.filter { $0.hasPrefix("base-") && !$0.hasSuffix(".lock") }.count == 1)
        #expect(entries.filter { $0.hasPrefix("seeded-") && !$0.hasSuffix(".lock") }.count == 1)
        #expect(entries.filter { $0.hasPrefix(".tmp-") }.isEmpty)
    }

    @Test func twoClustersAtOnceAreSeparate() async throws {
        let run = try Run()
        let seed = [Run.sql("schema.sql"), Run.sql("data.sql")]
        let one = try PostgresCluster(run.options("one", seed: seed))
        let two = try PostgresCluster(run.options("two", seed: seed))
        _ = try await one.start()
        do {
            _ = try await two.start()
            #expect(one.values["socket"] != two.values["socket"])
            let connection = try one.connection()
            try connection.execute("DELETE FROM orders; DELETE FROM users")
            connection.close()
            #expect(try one.count("users") == 0)
            #expect(try two.count("users") == 3)
        } catch {
            Issue.record(error)
        }
        await one.stop()
        await two.stop()
    }

    @Test func stopLeavesNoProcessNoFilesAndNoSharedMemory() async throws {
        let run = try Run()
        let options = try run.options(seed: [Run.sql("schema.sql")])
        let cluster = try PostgresCluster(options)
        let process = try await cluster.start()
        let pidLines = try String(contentsOfFile: options.serviceDirectory + "/data/postmaster.pid", encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let shmid = try #require(pidLines[6].split(separator: " ").last.map(String.init))
        #expect(Self.sysvSegments().contains(shmid), "the running server has its SysV segment")
        #expect(ProcessTable.groupHasLiveMembers(process.pid))
        // Dynamic shared memory the postmaster maps: POSIX segments (/dev/shm/PostgreSQL.*)
        // with the server's default, files in the data directory with Testbed's `mmap`.
        // (String(contentsOfFile:) stops after the first read of a /proc file.)
        let maps = String(decoding: try #require(FileHandle(forReadingAtPath: "/proc/\(process.pid)/maps")).readDataToEndOfFile(),
                          as: UTF8.self)
        let mapped = Set(maps.split(separator: "\n").compactMap { line in
            line.split(separator: " ").last.map(String.init).flatMap { ($0.contains("/PostgreSQL.") || $0.contains("/pg_dynshmem/")) ? $0 : nil }
        })
        #expect(!mapped.isEmpty, "the postmaster maps its dynamic shared memory control segment")
        await cluster.stop()
        #expect(!ProcessTable.groupHasLiveMembers(process.pid), "no process of the group is left")
        #expect(!Self.sysvSegments().contains(shmid), "the SysV segment is gone")
        for segment in mapped { #expect(!FileManager.default.fileExists(atPath: segment), "\(segment) is gone") }
        #expect(!FileManager.default.fileExists(atPath: options.serviceDirectory + "/data"))
        #expect(!FileManager.default.fileExists(atPath: options.serviceDirectory + "/socket"))
    }

    @Test func resetRestoresTheSeededStateAndClonesAreIndependent() async throws {
        let run = try Run()
        try await run.withCluster(run.options(seed: [Run.sql("schema.sql"), Run.sql("data.sql")])) { cluster, _ in
            let connection = try cluster.connection()
            try connection.execute("DELETE FROM orders; INSERT INTO users (email) VALUES ('x@example.com')")
            connection.close()
            #expect(try cluster.count("orders") == 0)
            let clock = ContinuousClock()
            let elapsed = try await clock.measure { try await cluster.reset() }
            print("reset took \(elapsed)")
            #expect(try cluster.count("orders") == 3)
            #expect(try cluster.count("users") == 3)

            try await cluster.cloneDatabase(named: "test_1")
            let clone = try PGConnection(conninfo: cluster.values["url"]!.replacingOccurrences(of: "/app?", with: "/test_1?"))
            try clone.execute("DELETE FROM orders")
            #expect(try clone.query("SELECT count(*) FROM orders") == [["0"]])
            #expect(try cluster.count("orders") == 3)
            try await cluster.dropDatabase(named: "test_1")
            #expect(throws: PostgresError.self) { try clone.query("SELECT 1") }
            clone.close()
            try await cluster.check(sql: "SELECT 1")
        }
    }

    @Test func badSettingReportsTheServersMessage() async throws {
        let run = try Run()
        let spec = PostgresSpec(settings: [("shared_buffers", "lots")])
        let cluster = try PostgresCluster(run.options(spec: spec))
        let error = await #expect(throws: PostgresError.self) { _ = try await cluster.start() }
        #expect(error?.code == .startup)
        #expect(error?.description.contains("invalid value for parameter \"shared_buffers\": \"lots\"") == true,
                "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: run.root + "/db/build"))
        #expect(!FileManager.default.fileExists(atPath: run.root + "/db/data"))
    }

    @Test(arguments: [
        (PostgresSpec.Server.binDirectory("/nonexistent/bin"), "apt-get install postgresql"),
        (.version(99), "apt-get install postgresql-99"),
    ])
    func missingServerNamesTheDebianPackage(server: PostgresSpec.Server, package: String) throws {
        let run = try Run()
        let error = #expect(throws: PostgresError.self) { try PostgresCluster(run.options(spec: PostgresSpec(server: server))) }
        #expect(error?.code == .installation)
        #expect(error?.hint?.contains(package) == true)
        #expect(error?.hint?.contains("bin_dir") == true)
    }

    @Test func tcpWithPasswordNeedsThePassword() async throws {
        let run = try Run()
        let port = Self.freePort()
        let spec = PostgresSpec(user: "app_user", password: "s3cret:/@", tcp: true)
        try await run.withCluster(run.options(spec: spec, seed: [Run.sql("schema.sql")], port: port)) { cluster, _ throws in
            #expect(cluster.values["url"] == "postgresql://app_user:s3cret%3A%2F%40@127.0.0.1:\(port)/app")
            let users = try cluster.count("users")
            #expect(users == 0)
            #expect(throws: PostgresError.self) {
                _ = try PGConnection(parameters: ["host": "127.0.0.1", "port": "\(port)", "user": "app_user",
                                                  "dbname": "app", "password": "wrong"])
            }
        }
    }

    static func sysvSegments() -> Set<String> {
        // Read to the end: String(contentsOfFile:) stops after the first read of a /proc file.
        let text = FileHandle(forReadingAtPath: "/proc/sysvipc/shm").map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        return Set(text.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: " ").dropFirst().first.map(String.init)
        })
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length); return getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
