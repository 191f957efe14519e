import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// SIGKILL testbed or a supervisor: no process of the run survives (/proc).
@Suite struct CrashSafetyTests {
    /// How long to wait for the watchdog. The services sleep 600 s, so one that survives is
    /// still there after this; the limit is generous because a loaded machine can delay the
    /// watchdog's shell by seconds (its usual "about 2 s" is a figure, not an assertion).
    static let cleanupLimit: Duration = .seconds(30)

    static let manifest = """
        services:
          db:
            postgres: {}
          web:
            command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
            ports: [http]
            healthcheck: {tcp: http}
          forker:
            command: "sleep 600 & echo ready; wait"
            healthcheck: {log: ready}
          slow:
            command: "exec sleep 600"
            ports: [never]
            healthcheck: {tcp: never, deadline: 60s}
            depends_on: [web]
        """

    func killAndCheck(_ arguments: [String], waitFor text: String, stack: TestStack) async throws {
        let running = try CLI.Running(arguments, mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot])
        #expect(await eventually(within: .seconds(30)) { running.stderrSoFar.contains(text) }, "\(running.stderrSoFar)")
        try await Task.sleep(for: .milliseconds(100))
        kill(running.process.processIdentifier, SIGKILL)
        _ = await running.wait()
        #expect(await eventually(within: Self.cleanupLimit) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
        #expect(await eventually(within: Self.cleanupLimit) { stack.leftoverRuns.filter { !$0.hasPrefix(".") }.isEmpty })
    }

    @Test func sigkillDuringTheStartLeavesNothing() async throws {
        let stack = try TestStack(Self.manifest)
        defer { stack.cleanUp() }
        try await killAndCheck(["run", stack.path, "--", "true"], waitFor: "slow     spawned", stack: stack)
    }

    @Test func sigkillDuringTheRunLeavesNothing() async throws {
        let stack = try TestStack(Self.manifest.replacingOccurrences(of: "healthcheck: {tcp: never, deadline: 60s}", with: "healthcheck: {log: '.*', deadline: 60s}").replacingOccurrences(of: "exec sleep 600", with: "echo up; exec sleep 600"))
        defer { stack.cleanUp() }
        try await killAndCheck(["run", stack.path, "--", "sleep", "600"], waitFor: "ready in", stack: stack)
    }

    @Test func sigkillOfADetachedSupervisorLeavesNothing() async throws {
        let stack = try TestStack(Self.manifest.replacingOccurrences(of: "healthcheck: {tcp: never, deadline: 60s}", with: "healthcheck: {log: '.*'}").replacingOccurrences(of: "exec sleep 600", with: "echo up; exec sleep 600"))
        defer { stack.cleanUp() }
        let name = "crash-\(UUID().uuidString.prefix(8))"
        let up = try await CLI.Running(["up", "-d", "--name", name, stack.path], mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(up.status == 0, "\(up.stderr)")
        let run = try DetachedRun.find(name, root: stack.runRoot)
        #expect(await eventually { stack.liveProcesses.count >= 4 })
        kill(run.pid, SIGKILL)
        #expect(await eventually(within: Self.cleanupLimit) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }
}

/// Detached environments through the CLI.
@Suite struct DetachedTests {
    @Test func upStatusEnvResetDownRoundTrip() async throws {
        let stack = try TestStack("""
            services:
              notes:
                sqlite: {}
                seed: [notes.sql]
              web:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
            exports:
              NOTES: ${notes.path}
            """, files: ["notes.sql": "CREATE TABLE notes(body TEXT); INSERT INTO notes VALUES ('seeded');"])
        defer { stack.cleanUp() }
        let env = ["TESTBED_RUN_ROOT": stack.runRoot]
        let name = "detached-\(UUID().uuidString.prefix(8))"
        func cli(_ arguments: [String]) async throws -> CLI.Result {
            try await CLI.Running(arguments, mark: stack.mark, extra: env).wait()
        }
        let up = try await cli(["up", "-d", "--name", name, stack.path])
        #expect(up.status == 0, "\(up.stderr)")
        let path = try #require(up.stdout.split(separator: "\n").first { $0.hasPrefix("NOTES=") }?.dropFirst(6))
        let again = try await cli(["up", "-d", "--name", name, stack.path])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already running"))
        let status = try await cli(["status", name])
        #expect(status.stdout.contains("web") && status.stdout.contains("healthy"), "\(status.stdout)")
        let json = try await cli(["env", name, "--format", "json"])
        #expect(json.stdout.contains(String(path)))
        // Change the data, reset, and see the seeded state again.
        let database = try SQLiteDatabase(path: String(path))
        try database.execute("DELETE FROM notes")
        database.close()
        let reset = try await cli(["reset", name, "notes"])
        #expect(reset.status == 0, "\(reset.stderr)")
        let reopened = try SQLiteDatabase(path: String(path))
        #expect(try reopened.query("SELECT count(*) FROM notes") == [[.integer(1)]])
        reopened.close()
        let list = try await cli(["ls"])
        #expect(list.stdout.contains(name))
        let down = try await cli(["down", name])
        #expect(down.status == 0, "\(down.stderr)")
        #expect(await eventually(within: .seconds(15)) { stack.liveProcesses.isEmpty })
        let downAgain = try await cli(["down", name])
        #expect(downAgain.status == 0)
    }

    @Test func downOfAHalfDeadStackSucceeds() async throws {
        let stack = try TestStack("""
            services:
              a:
                command: "echo up; exec sleep 600"
                healthcheck: {log: up}
              b:
                command: "echo up; exec sleep 600"
                healthcheck: {log: up}
            """)
        defer { stack.cleanUp() }
        let env = ["TESTBED_RUN_ROOT": stack.runRoot]
        let name = "half-\(UUID().uuidString.prefix(8))"
        let up = try await CLI.Running(["up", "-d", "--name", name, stack.path], mark: stack.mark, extra: env).wait()
        #expect(up.status == 0, "\(up.stderr)")
        let run = try DetachedRun.find(name, root: stack.runRoot)
        // Stop the supervisor in its tracks: it can no longer answer, its services still run.
        kill(run.pid, SIGSTOP)
        let down = try await CLI.Running(["down", name], mark: stack.mark, extra: env).wait()
        #expect(down.status == 0, "\(down.stderr)")
        #expect(await eventually(within: .seconds(5)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    @Test func leaseEndsTheEnvironment() async throws {
        let stack = try TestStack("services:\n  a:\n    command: \"echo up; exec sleep 600\"\n    healthcheck: {log: up}\n")
        defer { stack.cleanUp() }
        let up = try await CLI.Running(["up", "-d", "--ttl", "1s", "--name", "lease-\(UUID().uuidString.prefix(8))", stack.path],
                                       mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(up.status == 0, "\(up.stderr)")
        #expect(await eventually(within: .seconds(10)) { stack.liveProcesses.isEmpty })
    }

    @Test func gcRemovesADeadRunAndLeavesALiveOneAlone() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dead = try RunDirectory.create(root: root, name: "dead")
        RunState(pid: 999_999_9, name: "dead", manifest: "m.yml").write(to: dead)
        let live = try RunDirectory.create(root: root, name: "live")
        RunState(pid: getpid(), name: "live", manifest: "m.yml").write(to: live)
        let kept = try RunDirectory.create(root: root, name: "kept")
        RunState(pid: 999_999_8, name: "kept", manifest: "m.yml").write(to: kept)
        kept.markKept()
        let automatic = try Collector(root: root).collect(includingKept: false)
        #expect(automatic.removedRuns == [dead.path])
        #expect(automatic.keptRuns == [kept.path])
        #expect(FileManager.default.fileExists(atPath: live.path))
        let explicit = try Collector(root: root).collect(includingKept: true)
        #expect(explicit.removedRuns == [kept.path])
        #expect(FileManager.default.fileExists(atPath: live.path))
    }
}

/// `gc` after a watchdog that itself died: the dead owner's list still names a server's
/// process group; the server's System V segment, with nothing attached, is removed.
@Suite struct CollectorSegmentTests {
    @Test func removesTheSegmentOfADeadListedServerAndNothingElse() throws {
        // ipcmk creates a segment and exits: its creator pid is dead, as a killed postgres would be.
        func makeSegment() throws -> (id: Int32, creator: Int32) {
            let output = Pipe()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/ipcmk")
            process.arguments = ["-M", "4096"]
            process.standardOutput = output
            try withUnblockedSignals { try process.run() }
            process.waitUntilExit()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let id = try #require(Int32(text.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
            return (id, process.processIdentifier)
        }
        let listed = try makeSegment()
        let unrelated = try makeSegment()
        defer { shmctl(unrelated.id, IPC_RMID, nil) }
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/.owners", withIntermediateDirectories: true)
        try "group \(listed.creator) 3\n".write(toFile: root + "/.owners/999999", atomically: true, encoding: .utf8)
        let report = try Collector(root: root).collect(includingKept: false)
        #expect(report.removedSegments == [listed.id])
        #expect(!FileManager.default.fileExists(atPath: root + "/.owners/999999"))
        let table = String(decoding: try #require(FileHandle(forReadingAtPath: "/proc/sysvipc/shm")).readDataToEndOfFile(), as: UTF8.self)
        #expect(table.contains(" \(unrelated.id) "))
        #expect(!table.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first == Substring(String(listed.id)) })
    }
}
