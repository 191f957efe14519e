import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// The test command of `testbed run`: what decides its end, what happens to what it
/// leaves behind, and the order of teardown on a signal (real processes, real PostgreSQL).
@Suite struct CommandLifecycleTests {
    static let sleeper = """
        services:
          a:
            command: "echo up; exec sleep 600"
            healthcheck: {log: up}
        """

    @Test func theCommandsOwnExitEndsTheRunAndItsBackgroundChildIsStopped() async throws {
        let stack = try TestStack(Self.sleeper)
        defer { stack.cleanUp() }
        let pidFile = stack.folder + "/child.pid"
        // Output redirected: nothing holds testbed's streams, only the child's existence.
        let result = try await CLI.Running(
            ["run", stack.path, "--", "sh", "-c", "sleep 600 >/dev/null 2>&1 & echo $! > \(pidFile); exit 3"],
            mark: stack.mark).wait(limit: .seconds(60))
        #expect(result.status == 3, "\(result.stderr)")
        let child = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!ProcessTable.isAlive(child), "the command's background child was stopped")
        #expect(await eventually { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    @Test func aChildThatIgnoresSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let stack = try TestStack(Self.sleeper)
        defer { stack.cleanUp() }
        let result = try await CLI.Running(
            ["run", "--stop-grace-period", "200ms", stack.path, "--", "sh", "-c", "sh -c 'trap \"\" TERM; while :; do sleep 0.05; done' & exit 0"],
            mark: stack.mark).wait(limit: .seconds(60))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(await eventually { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    @Test func onSIGTERMTheCommandCleansUpThroughTheDatabaseBeforeTheTeardown() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
            exports:
              DATABASE_URL: ${db.url}
            """)
        defer { stack.cleanUp() }
        let ready = stack.folder + "/ready", out = stack.folder + "/cleanup.out"
        // The cleanup takes a while, then needs the database: it must still be there.
        let script = """
            trap 'sleep 0.5; psql "$DATABASE_URL" -Atc "SELECT 40 + 2" > \(out) 2>&1; exit 0' TERM
            touch \(ready)
            while :; do sleep 0.05; done
            """
        // A long grace period: it bounds the cleanup, which is not what is tested here, and
        // psql alone took more than the default 5 s on a loaded machine.
        let running = try CLI.Running(["run", "--stop-grace-period", "120s", stack.path, "--", "sh", "-c", script], mark: stack.mark,
                                      extra: ["TESTBED_CACHE_DIR": stack.folder + "/cache"])
        #expect(await eventually(within: .seconds(60)) { FileManager.default.fileExists(atPath: ready) }, "\(running.stderrSoFar)")
        kill(running.process.processIdentifier, SIGTERM)
        let result = await running.wait(limit: .seconds(60))
        #expect(result.status == 128 + SIGTERM, "\(result.stderr)")
        let cleanup = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(cleanup.trimmingCharacters(in: .whitespacesAndNewlines) == "42", "the trap's query: \(cleanup)")
        #expect(await eventually(within: .seconds(15)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    @Test func aCommandThatIgnoresTheSignalIsKilledAfterItsGracePeriod() async throws {
        let stack = try TestStack(Self.sleeper)
        defer { stack.cleanUp() }
        let ready = stack.folder + "/ready"
        let running = try CLI.Running(
            ["run", "--stop-grace-period", "300ms", stack.path, "--", "sh", "-c", "trap '' TERM; touch \(ready); while :; do sleep 0.05; done"],
            mark: stack.mark)
        #expect(await eventually(within: .seconds(30)) { FileManager.default.fileExists(atPath: ready) }, "\(running.stderrSoFar)")
        kill(running.process.processIdentifier, SIGTERM)
        let result = await running.wait(limit: .seconds(60))
        #expect(result.status == 128 + SIGKILL, "killed when its grace period ran out: \(result.stderr)")
        #expect(await eventually(within: .seconds(15)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }
}

/// The spawn gate: a process behind it runs only once its group is in the watchdog's list.
@Suite struct SpawnGateTests {
    /// Spawns `touch MARKER` behind the gate of `list`, owned by this test process.
    func gated(list: String, marker: String) throws -> Process {
        let (program, arguments) = SpawnGate.wrap("/usr/bin/touch", [marker], list: list, owner: getpid())
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try withUnblockedSignals { try process.run() }
        return process
    }

    @Test func theProgramRunsOnceItsGroupIsListed() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let list = folder + "/list", marker = folder + "/ran"
        try "dir /nowhere\n".write(toFile: list, atomically: true, encoding: .utf8)
        let process = try gated(list: list, marker: marker)
        try await Task.sleep(for: .milliseconds(200))
        #expect(!FileManager.default.fileExists(atPath: marker), "not listed yet: the program must not run")
        try "group \(process.processIdentifier) 15\ndir /nowhere\n".write(toFile: list, atomically: true, encoding: .utf8)
        #expect(await eventually(within: .seconds(20)) { !process.isRunning })
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    @Test func theProgramNeverRunsWhenTheOwnerDiesBeforeListingIt() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let list = folder + "/list", marker = folder + "/ran"
        try "dir /nowhere\n".write(toFile: list, atomically: true, encoding: .utf8)
        let process = try gated(list: list, marker: marker)
        try await Task.sleep(for: .milliseconds(100))
        // What the watchdog does when the owner dies: the list goes.
        try FileManager.default.removeItem(atPath: list)
        #expect(await eventually(within: .seconds(20)) { !process.isRunning })
        #expect(process.terminationStatus == 125)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test func aServiceSpawnedUnderAWatchdogIsListedBeforeItRuns() async throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Watchdog.ensureStarted(root: RunDirectory.root(environment: ProcessInfo.processInfo.environment))
        let list = try #require(ProcessRegistry.listFile)
        let process = try ServiceProcess(.init(executable: "/bin/sh", arguments: ["-c", "cat \(list); echo pid=$$"],
                                               environment: ProcessInfo.processInfo.environment, logFile: folder + "/log"))
        _ = await process.waitForExit()
        _ = await process.finalLines()  // the output is read to its end
        // The whole log: tests running alongside list their own groups and folders, so the
        // list can be longer than the last lines a ServiceProcess keeps for error messages.
        let lines = try String(contentsOfFile: folder + "/log", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("group \(process.pid) ") }, "\(lines)")
        #expect(lines.contains("pid=\(process.pid)"), "the gate execs: same pid")
        await process.stop([.kill])
    }
}

/// `up -d` when its supervisor dies before the stack is ready.
@Suite struct DetachedSupervisorDeathTests {
    @Test func upSaysHowTheSupervisorEndedAndWhereItsOutputIs() async throws {
        let stack = try TestStack("""
            services:
              slow:
                command: "echo waiting; exec sleep 600"
                healthcheck: {log: never-printed, deadline: 60s}
            """)
        defer { stack.cleanUp() }
        let name = "dies-\(UUID().uuidString.prefix(8))"
        let up = try CLI.Running(["up", "-d", "--name", name, stack.path], mark: stack.mark,
                                 extra: ["TESTBED_RUN_ROOT": stack.runRoot])
        #expect(await eventually(within: .seconds(30)) { up.stderrSoFar.contains("spawned") }, "\(up.stderrSoFar)")
        let supervisor = try #require(ProcessTable.all().first { entry in
            let arguments = ProcessTable.commandLine(entry.pid) ?? []
            return arguments.contains("--supervise") && arguments.contains(name)
        })
        kill(supervisor.pid, SIGKILL)
        let result = await up.wait(limit: .seconds(30))
        #expect(result.status == 125)
        #expect(result.stderr.contains("error: the supervisor of '\(name)' (pid \(supervisor.pid)) ended before the environment was ready: killed by signal 9 (SIGKILL)"), "\(result.stderr)")
        #expect(result.stderr.contains("its output up to then is above"))
        #expect(await eventually(within: .seconds(15)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }
}
