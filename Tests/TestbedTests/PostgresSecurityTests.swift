import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// What another local user can do to a PostgreSQL service that root started: connect
/// over TCP only with the run's password, and never make root write through a link.
@Suite("Postgres security against another local user", .serialized,
       .enabled(if: UnixUser.isRoot, "needs root to create a second user and switch to it"))
struct PostgresSecurityTests {
    typealias Run = PostgresTestRun

    @Test func tcpNeedsTheRunsPasswordAndAnotherRunsPasswordFails() async throws {
        let attacker = try LocalAttacker()
        defer { attacker.remove() }
        let run = try Run()
        let port = PostgresLifecycleTests.freePort()
        var firstPassword = ""
        try await run.withCluster(run.options(spec: PostgresSpec(tcp: true), seed: [Run.sql("schema.sql")], port: port)) { cluster, _ in
            let values = cluster.values
            let password = try #require(values["password"])
            firstPassword = password
            #expect(password.count == 32, "a generated password: \(password)")
            #expect(values["url"] == "postgresql://postgres:\(password)@127.0.0.1:\(port)/app")
            let psql = ["psql", "-X", "-w", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "app", "-tAc"]
            let none = try await attacker.run(psql + ["SELECT 1"])
            #expect(none.status != 0, "no password: \(none.output)")
            let wrong = try await attacker.run(psql + ["SELECT 1"], environment: ["PGPASSWORD": "wrong"])
            #expect(wrong.status != 0, "a wrong password: \(wrong.output)")
            #expect(wrong.output.contains("password authentication failed"), "\(wrong.output)")
            let right = try await attacker.run(psql + ["SELECT 1"], environment: ["PGPASSWORD": password])
            #expect(right.status == 0 && right.output.contains("1"), "\(right.output)")
            let byURL = try await attacker.run(["psql", "-X", "-w", try #require(values["url"]), "-tAc", "SELECT count(*) FROM users"])
            #expect(byURL.status == 0 && byURL.output.hasPrefix("0"), "\(byURL.output)")
            // The socket stays the server account's: the other user cannot even reach it.
            let socket = try await attacker.run(["psql", "-X", "-w", "-h", try #require(values["socket"]), "-p", String(port),
                                           "-U", "postgres", "-d", "app", "-c", "SELECT 1"])
            #expect(socket.status != 0, "\(socket.output)")
        }
        // The next run, from the same cache, has a password of its own; the first one is refused.
        try await run.withCluster(run.options("db2", spec: PostgresSpec(tcp: true), seed: [Run.sql("schema.sql")], port: port)) { cluster, _ in
            #expect(run.details(.seeded).last == "seed cached")
            #expect(cluster.values["password"] != firstPassword)
            let old = try await attacker.run(["psql", "-X", "-w", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "app",
                                        "-c", "SELECT 1"], environment: ["PGPASSWORD": firstPassword])
            #expect(old.status != 0, "\(old.output)")
            #expect(try cluster.count("users") == 0)
        }
    }

    @Test func theServerAccountCannotMakeRootWriteThroughALink() async throws {
        let attacker = try LocalAttacker()
        defer { attacker.remove() }
        let victim = try Victim()
        defer { victim.remove() }
        let run = try Run()
        // The server account's code: an initdb that first plants links where root writes its
        // logs (postgres.log, the seed logs) and its authentication file.
        let real = try PostgresInstallation.locate(.newest, path: nil, scratchDirectory: run.root)
        let bin = run.root + "/bin"
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: bin + "/postgres", withDestinationPath: real.postgres)
        try """
            #!/bin/sh
            for arg; do [ "$previous" = -D ] && data=$arg; previous=$arg; done
            service=$(dirname "$data")
            for name in postgres.log seed-1.log pg_hba.conf; do
              rm -f "$service/$name" 2>/dev/null; ln -s \(victim.file) "$service/$name" 2>/dev/null
            done
            exec \(real.initdb) "$@"

            """.write(toFile: bin + "/initdb", atomically: false, encoding: .utf8)
        chmod(bin + "/initdb", 0o755)
        let spec = PostgresSpec(server: .binDirectory(bin), runAs: attacker.user.name)
        let options = try run.options(spec: spec, seed: [Run.sql("schema.sql")])
        try await run.withCluster(options) { cluster, _ in
            #expect(try cluster.count("users") == 0)
            // Inside its own data directory, the account plants a link to root's file.
            let planted = try await attacker.run(["ln", "-s", victim.directory, options.serviceDirectory + "/data/planted"])
            #expect(planted.status == 0, "\(planted.output)")
        }
        #expect(victim.isUntouched, "root wrote through a link: \(String(describing: try? String(contentsOfFile: victim.file, encoding: .utf8)))")
        var info = stat()
        #expect(lstat(options.serviceDirectory + "/postgres.log", &info) == 0 && info.st_mode & S_IFMT == S_IFREG)
        #expect(info.st_uid == 0, "the log is root's own file")
        #expect(FileManager.default.fileExists(atPath: victim.file), "removing the data directory left the link's target alone")
    }

    @Test func aDamagedCacheEntryIsRebuiltWithOneWarning() async throws {
        let run = try Run()
        let seed = [Run.sql("schema.sql"), Run.sql("data.sql")]
        try await run.withCluster(run.options("first", seed: seed)) { cluster, _ throws in #expect(try cluster.count("orders") == 3) }
        let cache = run.cacheRoot + "/postgres"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: cache)
            .first { $0.hasPrefix("seeded-") && $0.hasSuffix(".pack") })
        let pack = cache + "/" + name
        for (index, damage) in ["a byte overwritten in the middle", "the file cut short"].enumerated() {
            let handle = try #require(FileHandle(forUpdatingAtPath: pack))
            let size = try handle.seekToEnd()
            if index == 0 {
                try handle.seek(toOffset: size / 2)
                let byte = try #require(try handle.read(upToCount: 1))
                try handle.seek(toOffset: size / 2)
                try handle.write(contentsOf: Data([~byte[0]]))
            } else {
                try handle.truncate(atOffset: size * 2 / 3)
            }
            try handle.close()
            run.clearEvents()
            try await run.withCluster(run.options("damaged\(index)", seed: seed)) { cluster, _ throws in
                #expect(try cluster.count("orders") == 3, "\(damage)")
            }
            let warnings = run.details(.note).filter { $0.hasPrefix("warning:") }
            #expect(warnings.count == 1, "\(damage): \(warnings)")
            #expect(warnings.first?.contains("is damaged") == true, "\(damage): \(warnings)")
            run.clearEvents()
            try await run.withCluster(run.options("again\(index)", seed: seed)) { cluster, _ throws in
                #expect(try cluster.count("orders") == 3)
            }
            #expect(run.details(.seeded) == ["seed cached"], "\(damage): the rebuilt entry is used")
            #expect(run.details(.note).filter { $0.hasPrefix("warning:") }.isEmpty)
        }
    }
}
