import Foundation
import Testing
@testable import Testbed

/// What `testbed run` prints while it waits and when a start goes wrong, and how it ends
/// when interrupted early.
@Suite struct FeedbackCLITests {
    @Test func jsonEmitsProgressEventsWithTheProbesLastResult() async throws {
        let stack = try TestStack("""
            services:
              api:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${api.ports.http}"]
                ports: [http]
                healthcheck: {http: /healthz, port: http, deadline: 4s}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", "--json", stack.path, "--", "true"], mark: stack.mark)
        #expect(result.status == 125, "\(result.stderr)")
        let events = result.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let progress = events.filter { $0["phase"] as? String == "progress" }
        #expect(!progress.isEmpty, "\(result.stderr)")
        let report = try #require(progress.last?["progress"] as? [String: Any], "\(result.stderr)")
        #expect(report["activity"] as? String == "waiting")
        #expect(report["result"] as? String == "GET /healthz → 404 (expected 200)", "\(result.stderr)")
        #expect(report["limit"] as? String == "healthcheck.deadline" && report["limit_s"] as? Double == 4)
        #expect(progress.last?["service"] as? String == "api")
        #expect(await eventually { stack.liveProcesses.isEmpty })
        if let kept = result.stderr.components(separatedBy: "run directory kept at ").last?.split(separator: "\n").first {
            try? FileManager.default.removeItem(atPath: String(kept.prefix { $0 != "\"" && $0 != "\\" }))
        }
    }

    @Test func aServiceThatExitsWithStatusZeroDuringTheStartIsReportedOnceWithItsFixAndLine() async throws {
        let stack = try TestStack("""
            services:
              daemon:
                command: "sleep 0.3; echo forked into the background; exit 0"
              slow:
                command: "sleep 3; echo ready; exec sleep 600"
                healthcheck: {log: ready}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", stack.path, "--", "true"], mark: stack.mark)
        #expect(result.status == 125, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        // One `failed` line, then the error: never "unexpectedly", never twice.
        #expect(lines.filter { $0.contains("daemon") && $0.contains(" failed ") }.count == 1, "\(result.stderr)")
        #expect(!result.stderr.contains("unexpectedly"), "\(result.stderr)")
        #expect(result.stderr.contains("error: service 'daemon': exited during the start (exit status 0)"), "\(result.stderr)")
        #expect(result.stderr.contains("mark it 'oneshot: true'"), "\(result.stderr)")
        #expect(result.stderr.contains("run it in the foreground, without daemonizing"), "\(result.stderr)")
        #expect(result.stderr.contains("service defined at \(stack.path):2:3"), "\(result.stderr)")
        #expect(result.stderr.contains("healthy  no health check") || result.stderr.contains("healthy no health check"),
                "\(result.stderr)")
        #expect(await eventually { stack.liveProcesses.isEmpty })
        if let kept = result.stderr.components(separatedBy: "run directory kept at ").last?.split(separator: "\n").first {
            try? FileManager.default.removeItem(atPath: String(kept))
        }
    }

    @Test func aServiceThatExitsWithStatusZeroBeforeItsCheckPassesGetsTheOneshotHint() async throws {
        let stack = try TestStack("""
            services:
              web:
                command: "exit 0"
                ports: [http]
                healthcheck: {tcp: http}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", stack.path, "--", "true"], mark: stack.mark)
        #expect(result.status == 125, "\(result.stderr)")
        #expect(result.stderr.contains("service 'web': exited before it was healthy (exit status 0)"), "\(result.stderr)")
        #expect(result.stderr.contains("mark it 'oneshot: true'"), "\(result.stderr)")
        #expect(result.stderr.contains("service defined at \(stack.path):2:3"), "\(result.stderr)")
        if let kept = result.stderr.components(separatedBy: "run directory kept at ").last?.split(separator: "\n").first {
            try? FileManager.default.removeItem(atPath: String(kept))
        }
    }

    /// A SIGINT at any moment of the start — while testbed parses, loads its manifest, spawns
    /// services — tears down and exits 130; testbed never dies of it. The moments count from
    /// the start of testbed's `main`, seen in /proc as its second thread: before that the
    /// dynamic loader runs (tens of ms for a debug build on a loaded machine), and a signal
    /// kills any program; testbed blocks the signals from its first own instruction on.
    @Test(arguments: [0, 20, 50, 100])
    func anEarlySIGINTExitsWith130AndLeavesNothingRunning(milliseconds: Int) async throws {
        let stack = try TestStack("""
            services:
              up:
                command: "echo up; exec sleep 600"
                healthcheck: {log: up}
              also:
                command: "sleep 600 & exec sleep 600"
            """)
        defer { stack.cleanUp() }
        let running = try CLI.Running(["run", stack.path, "--", "sleep", "600"], mark: stack.mark)
        let pid = running.process.processIdentifier
        let limit = ContinuousClock.now + .seconds(10)
        while Self.threadCount(pid) < 2 && ContinuousClock.now < limit { try await Task.sleep(for: .milliseconds(1)) }
        #expect(Self.threadCount(pid) > 1, "main never started")
        if milliseconds > 0 { try await Task.sleep(for: .milliseconds(milliseconds)) }
        kill(pid, SIGINT)
        let result = await running.wait(limit: .seconds(20))
        #expect(running.process.terminationReason == .exit, "killed by signal \(running.process.terminationStatus): \(result.stderr)")
        #expect(result.status == 130, "\(result.stderr)")
        #expect(await eventually(within: .seconds(15)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    /// How many threads `pid` has (0 once it is gone).
    static func threadCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task"))?.count ?? 0
    }
}
