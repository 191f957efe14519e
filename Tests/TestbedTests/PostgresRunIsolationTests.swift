import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// As root, each run's server runs under a user id of its own (``DynamicUser``): code
/// running as one run's server (`COPY … TO PROGRAM` as superuser) cannot read another
/// run's cluster, and nothing of the id is left once the run is over, however it ended.
@Suite("Each run's server under a user id of its own", .serialized,
       .enabled(if: UnixUser.isRoot && UnixUser.named("postgres") != nil,
                "needs root: only root starts a server under another account (and initdb as postgres)"))
struct PostgresRunIsolationTests {
    typealias Run = PostgresTestRun

    @Test func twoRunsServersHaveIDsOfTheirOwnAndCannotReadEachOther() async throws {
        let first = try Run()
        let second = try Run(cacheRoot: first.cacheRoot)
        let seed = [Run.sql("schema.sql")]
        var ids: [uid_t] = []
        try await first.withCluster(first.options("a", seed: seed)) { a, serverA in
            try await second.withCluster(second.options("b", seed: seed)) { b, serverB in
                let uidA = try #require(Self.uid(of: serverA.pid)), uidB = try #require(Self.uid(of: serverB.pid))
                ids = [uidA, uidB]
                #expect(uidA != uidB, "both servers run as \(uidA)")
                #expect(DynamicUser.contains(uidA) && DynamicUser.contains(uidB), "\(uidA), \(uidB)")
                #expect(uidA != UnixUser.named("postgres")?.uid)
                var info = stat()
                #expect(stat(a.dataDirectory + "/base", &info) == 0 && info.st_uid == uidA, "the copied files are the run's")
                let connection = try a.connection()
                defer { connection.close() }
                // A's server reads its own cluster: the probe itself works.
                try connection.execute("COPY (SELECT 1) TO PROGRAM 'cat \(a.dataDirectory)/PG_VERSION > /dev/null'")
                #expect(throws: PostgresError.self, "A's server read B's files") {
                    try connection.execute("COPY (SELECT 1) TO PROGRAM 'cat \(b.dataDirectory)/PG_VERSION > /dev/null'")
                }
                #expect(throws: PostgresError.self, "A's server reached B's socket") {
                    try connection.execute("COPY (SELECT 1) TO PROGRAM "
                                           + "'psql -X -w -h \(b.socketDirectory) -p \(b.port) -U postgres -d app -c \"SELECT 1\"'")
                }
                #expect(try b.count("users") == 0)
            }
        }
        for uid in ids {
            #expect(DynamicUser.processes(of: uid).isEmpty, "something still runs as \(uid)")
            #expect(Self.isFree(uid), "\(uid) is still leased")
        }
    }

    @Test func gcClearsWhatAKilledRunsServerLeftRunningAsItsID() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
            exports:
              DB_URL: ${db.url}
            """, files: ["plant.sh": """
                psql -X -w "$DB_URL" -c "COPY (SELECT 1) TO PROGRAM 'setsid sleep 600 </dev/null >/dev/null 2>&1 &'" >&2
                echo planted >&2
                exec sleep 600
                """])
        defer { stack.cleanUp() }
        let running = try CLI.Running(["run", stack.path, "--", "sh", stack.folder + "/plant.sh"], mark: stack.mark,
                                       extra: ["TESTBED_RUN_ROOT": stack.runRoot])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) } }
        #expect(await eventually(within: .seconds(60)) { running.stderrSoFar.contains("planted") }, "\(running.stderrSoFar)")
        let planted = Self.sleepers().filter { DynamicUser.contains($0.uid) }
        let uid = try #require(planted.first?.uid, "no process planted as a dynamic id: \(running.stderrSoFar)")
        kill(running.process.processIdentifier, SIGKILL)
        _ = await running.wait()
        // The watchdog stops the server's group; the planted process left the group.
        #expect(await eventually(within: .seconds(30)) { Self.isFree(uid) })
        #expect(!DynamicUser.processes(of: uid).isEmpty, "the planted process outlived its run")
        let report = try Environment.collectGarbage(root: stack.runRoot)
        #expect(report.clearedUserIDs.contains(uid), "\(report)")
        #expect(DynamicUser.processes(of: uid).isEmpty, "gc left a process of \(uid)")
        #expect(!SharedMemorySegments.all().contains { $0.creatorUID == uid && $0.attached == 0 })
    }

    /// The real user id of `pid`.
    static func uid(of pid: Int32) -> uid_t? {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Uid:") } ?? ""
        return line.split(separator: "\t").dropFirst().first.flatMap { uid_t($0) }
    }

    /// `sleep 600` processes and their user ids.
    static func sleepers() -> [(pid: Int32, uid: uid_t)] {
        ProcessTable.all().compactMap { entry in
            guard entry.isLive, ProcessTable.commandLine(entry.pid) == ["sleep", "600"], let uid = uid(of: entry.pid) else { return nil }
            return (entry.pid, uid)
        }
    }

    /// True when no run holds the lease of `uid`.
    static func isFree(_ uid: uid_t) -> Bool {
        let lock = open("\(DynamicUser.folder)/\(uid).lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        guard lock >= 0 else { return true }
        defer { close(lock) }
        return flock(lock, LOCK_EX | LOCK_NB) == 0
    }
}

/// Whatever kills a PostgreSQL server also removes its System V segment.
@Suite struct PostgresSegmentTests {
    @Test func aForcedTeardownLeavesNoSegmentOfTheServer() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
            """)
        defer { stack.cleanUp() }
        let running = try CLI.Running(["run", stack.path, "--", "sleep", "600"], mark: stack.mark,
                                       extra: ["TESTBED_RUN_ROOT": stack.runRoot])
        defer { if running.process.isRunning { kill(running.process.processIdentifier, SIGTERM) } }
        #expect(await eventually(within: .seconds(60)) { running.stderrSoFar.contains("ready in") }, "\(running.stderrSoFar)")
        let postmasters = ProcessTable.all().filter { entry in
            guard entry.isLive, let arguments = ProcessTable.commandLine(entry.pid) else { return false }
            return arguments.first?.hasSuffix("/postgres") == true && arguments.contains { $0.hasPrefix(stack.runRoot) }
        }.map(\.pid)
        let postmaster = try #require(postmasters.first)
        #expect(await eventually { SharedMemorySegments.all().contains { $0.creator == postmaster } }, "the server's segment")
        // Two interrupts in a row: the second forces (SIGKILL to every group) while the first tears down.
        kill(running.process.processIdentifier, SIGINT)
        usleep(2_000)
        kill(running.process.processIdentifier, SIGINT)
        _ = await running.wait()
        #expect(await eventually(within: .seconds(10)) { !ProcessTable.isAlive(postmaster) })
        #expect(!SharedMemorySegments.all().contains { $0.creator == postmaster }, "the killed server's segment is left")
    }

    @Test func aServerKilledWithSIGKILLLeavesNoSegmentAfterTeardown() async throws {
        let run = try PostgresTestRun()
        let cluster = try PostgresCluster(run.options())
        let process = try await cluster.start()
        let postmaster = process.pid
        let segment = try #require(SharedMemorySegments.all().first { $0.creator == postmaster }, "the server's segment")
        // As the escalation of a stop would: SIGKILL to the postmaster alone; its children linger attached.
        kill(postmaster, SIGKILL)
        await cluster.stop()
        #expect(!SharedMemorySegments.all().contains { $0.creator == postmaster }, "the killed server's segment is left")
        if let list = ProcessRegistry.listFile {  // a watchdog runs when an environment of this process started one
            let listed = (try? String(contentsOfFile: list, encoding: .utf8)) ?? ""
            #expect(!listed.contains("segment \(segment.id) "), "the stopped server's segment is still listed: \(listed)")
        }
    }

    @Test func gcRemovesASegmentListedByADeadOwner() throws {
        // ipcmk creates a segment and exits: its creator is gone, as a killed server would be.
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ipcmk")
        process.arguments = ["-M", "4096"]
        process.standardOutput = output
        try withUnblockedSignals { try process.run() }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let id = try #require(Int32(text.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        defer { shmctl(id, IPC_RMID, nil) }
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/.owners", withIntermediateDirectories: true)
        // The group line is gone (the server was stopped and unregistered); its segment line is not.
        try "segment \(id) \(process.processIdentifier)\n".write(toFile: root + "/.owners/999999", atomically: true, encoding: .utf8)
        let report = try Collector(root: root).collect(includingKept: false)
        #expect(report.removedSegments == [id])
        #expect(!SharedMemorySegments.all().contains { $0.id == id })
    }
}
