import Foundation
import Testing
@testable import Testbed
@testable import TestbedTesting

/// When `swift test` itself is killed, the test binary it ran lives on in its own process
/// group; TestbedTesting notices that its parent is gone and stops its environments.
///
/// The test runs this test binary again as a child of `sh` (the stand-in for `swift test`),
/// filtered to ``OrphanedRunnerChild``, which starts an environment and sleeps. Killing `sh`
/// with SIGKILL orphans the child; its environment must then stop.
@Suite struct OrphanedRunnerTests {
    @Test func anOrphanedRunnerStopsItsEnvironment() async throws {
        let folder = "/dev/shm/tborphan-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let report = folder + "/child"
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")

        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "\"$0\" --testing-library swift-testing --filter holdsItsEnvironmentUntilKilled >\"$1/log\" 2>&1 & wait",
                           binary, folder]
        var environment = ProcessInfo.processInfo.environment
        environment["TESTBED_ORPHAN_CHILD"] = report
        environment["TESTBED_KEEP_WHEN_ORPHANED"] = nil
        shell.environment = environment
        try shell.run()

        // The child writes "<its pid> <service pid> <run directory>" once its environment runs.
        var fields: [String] = []
        for _ in 0..<1200 where fields.count < 3 {
            try await Task.sleep(for: .milliseconds(100))
            fields = ((try? String(contentsOfFile: report, encoding: .utf8)) ?? "").split(separator: " ").map(String.init)
        }
        guard fields.count == 3, let child = Int32(fields[0]), let service = Int32(fields[1]) else {
            kill(shell.processIdentifier, SIGKILL)
            Issue.record("the child runner did not start its environment: \((try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? "")")
            return
        }
        let runDirectory = fields[2]
        defer { kill(child, SIGKILL) }
        #expect(Collector.isAlive(service) && FileManager.default.fileExists(atPath: runDirectory))

        kill(shell.processIdentifier, SIGKILL)
        for _ in 0..<600 where Collector.isAlive(service) || FileManager.default.fileExists(atPath: runDirectory) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(Collector.isAlive(child), "the runner itself lives on; only its environment stops")
        #expect(!Collector.isAlive(service))
        #expect(!FileManager.default.fileExists(atPath: runDirectory))
    }
}

/// The child side of ``OrphanedRunnerTests``: runs only when that test starts it.
@Suite struct OrphanedRunnerChild {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TESTBED_ORPHAN_CHILD"] != nil, "the child half of an orphan test: its parent test runs it"))
    func holdsItsEnvironmentUntilKilled() async throws {
        let report = ProcessInfo.processInfo.environment["TESTBED_ORPHAN_CHILD"]!
        let folder = URL(fileURLWithPath: report).deletingLastPathComponent().path
        let registry = EnvironmentRegistry { _ in
            try Environment(yaml: """
                name: orphan
                services:
                  sleeper:
                    command: "sh -c 'echo $$$$ > \(folder)/service.pid; exec sleep 600'"
                """, directory: folder, options: Environment.Options(runRoot: folder + "/runs"))
        }
        let shared = try await registry.acquire(manifest: folder + "/orphan.yml")
        var pid = ""
        for _ in 0..<100 where pid.isEmpty {
            pid = ((try? String(contentsOfFile: folder + "/service.pid", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try await Task.sleep(for: .milliseconds(50))
        }
        let run = await shared.environment.runDirectory?.path ?? ""
        try "\(getpid()) \(pid) \(run)".write(toFile: report, atomically: true, encoding: .utf8)
        try await Task.sleep(for: .seconds(600))
        await registry.release(shared)
    }
}
