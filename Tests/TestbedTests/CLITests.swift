import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// The built `testbed` binary, run as a user would run it.
struct CLI {
    static var binary: String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("testbed").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot + "/.build/debug/testbed"
    }

    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// A started `testbed` process whose services carry `mark` in their environment.
    final class Running: @unchecked Sendable {
        // @unchecked: the Process is only touched from the test's task.
        let process: Process
        let out: String, err: String

        /// - Parameter user: run as this account (through setpriv) instead of the test's own.
        /// - Parameter executable: run this program with `arguments` instead of `testbed` (a wrapper such as `unshare`).
        init(_ arguments: [String], mark: String, extra: [String: String] = [:], workingDirectory: String? = nil,
             user: UnixUser? = nil, executable: String? = nil) throws {
            process = Process()
            if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
            if let executable {
                process.executableURL = URL(fileURLWithPath: executable)
                process.arguments = arguments
            } else if let user {
                process.executableURL = URL(fileURLWithPath: user.commandPrefix[0])
                process.arguments = Array(user.commandPrefix.dropFirst()) + [CLI.binary] + arguments
            } else {
                process.executableURL = URL(fileURLWithPath: CLI.binary)
                process.arguments = arguments
            }
            var environment = ProcessInfo.processInfo.environment
            let parts = mark.split(separator: "=", maxSplits: 1).map(String.init)
            environment[parts[0]] = parts[1]
            environment["NO_COLOR"] = "1"
            // Runs of the tests stay out of the user's own run root.
            environment["TESTBED_RUN_ROOT"] = "/dev/shm/tbt-cli-\(geteuid())"
            for (key, value) in extra { environment[key] = value }
            process.environment = environment
            out = NSTemporaryDirectory() + "testbed-cli-\(UUID().uuidString).out"
            err = out + ".err"
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            _ = FileManager.default.createFile(atPath: err, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: out)
            process.standardError = FileHandle(forWritingAtPath: err)
            process.standardInput = nil
            try withUnblockedSignals { try process.run() }
        }

        /// What it has printed on stderr so far.
        var stderrSoFar: String { (try? String(contentsOfFile: err, encoding: .utf8)) ?? "" }

        /// Waits for the exit, up to `limit` or ``hangGuard``, whichever is longer; then
        /// terminates the process (a hang).
        func wait(limit: Duration = .seconds(60)) async -> Result {
            let deadline = ContinuousClock.now + max(limit, hangGuard)
            while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            if process.isRunning { process.terminate() }
            while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
            defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: err) }
            return Result(status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
                          stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
        }
    }

    static func run(_ arguments: [String], mark: String = "TESTBED_TEST_MARK=none") async throws -> Result {
        await (try Running(arguments, mark: mark)).wait()
    }
}

@Suite struct CLITests {
    @Test func runPassesTheCommandsExitStatusAndExports() async throws {
        let stack = try TestStack("""
            services:
              web:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
            exports:
              WEB_PORT: ${web.ports.http}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", stack.path, "--", "sh", "-c", "echo port=$WEB_PORT; exit 7"], mark: stack.mark)
        #expect(result.status == 7, "\(result.stderr)")
        #expect(result.stdout.range(of: #"port=\d+"#, options: .regularExpression) != nil)
        #expect(result.stderr.contains("ready in"))
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func runExitsWith125WhenTheEnvironmentFails() async throws {
        let stack = try TestStack("""
            services:
              broken:
                command: "echo cannot bind; exit 1"
                ports: [http]
                healthcheck: {tcp: http}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", stack.path, "--", "true"], mark: stack.mark)
        #expect(result.status == 125)
        #expect(result.stderr.contains("service 'broken': exited before it was healthy (exit status 1)"))
        #expect(result.stderr.contains("| cannot bind"))
        let kept = try #require(result.stderr.components(separatedBy: "run directory kept at ").last?
            .split(separator: "\n").first.map(String.init))
        #expect(FileManager.default.fileExists(atPath: kept + "/logs/broken.log"))
        try? FileManager.default.removeItem(atPath: kept)
    }

    @Test func runReports127ForAMissingCommand() async throws {
        let stack = try TestStack("services:\n  a: {command: sleep 600}\n")
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", stack.path, "--", "no-such-program-anywhere"], mark: stack.mark)
        #expect(result.status == 127)
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func validateReportsProblemsWithLocations() async throws {
        let stack = try TestStack("services:\n  a:\n    command: x\n    depends_on: [b]\n")
        defer { stack.cleanUp() }
        let bad = try await CLI.run(["validate", stack.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("stack.yml:4:"))
        let good = try await CLI.run(["validate", CLI.packageRoot + "/environments/web.yml"])
        #expect(good.status == 0, "\(good.stderr)")
    }

    @Test func aManifestProblemAtTheStartIsPrintedWithOneErrorPrefix() async throws {
        let stack = try TestStack("services:\n  a:\n    command: [echo, \"${TESTBED_CLI_SURELY_UNSET}\"]\n")
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", stack.path, "--", "true"], mark: stack.mark)
        #expect(result.status == 125)
        #expect(result.stderr.contains("\(stack.path):3:"), "\(result.stderr)")
        #expect(!result.stderr.contains("error: \(stack.path)"), "\(result.stderr)")
        #expect(!result.stderr.contains("service 'a': service 'a'"), "\(result.stderr)")
    }

    @Test func validateFindsWhatRunWouldReject() async throws {
        let stack = try TestStack("""
            services:
              a:
                command: [echo, "${TESTBED_CLI_SURELY_UNSET}"]
                working_dir: no-such-folder
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["validate", stack.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(stack.path):3:"), "\(result.stderr)")
        #expect(result.stderr.contains("TESTBED_CLI_SURELY_UNSET is not set"), "\(result.stderr)")
        #expect(result.stderr.contains("\(stack.path):4:"), "\(result.stderr)")
    }

    @Test func fixturePathsReadVariablesOfTheCaller() async throws {
        let stack = try TestStack("""
            services:
              db:
                sqlite: {}
                seed:
                  - sql: ${TESTBED_TEST_FIXTURES}/schema.sql
            exports:
              DB_PATH: ${db.path}
            """, files: ["schema.sql": "CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);"])
        defer { stack.cleanUp() }
        let running = try CLI.Running(["run", stack.path, "--", "sh", "-c", "test -s \"$DB_PATH\""], mark: stack.mark,
                                      extra: ["TESTBED_TEST_FIXTURES": stack.folder])
        let result = await running.wait()
        #expect(result.status == 0, "\(result.stderr)")
        let validated = try CLI.Running(["validate", stack.path], mark: stack.mark, extra: ["TESTBED_TEST_FIXTURES": "/nonexistent"])
        let invalid = await validated.wait()
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("/nonexistent/schema.sql does not exist"), "\(invalid.stderr)")
    }

    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func aSignalMidRunLeavesNoProcessOfTheRun(signal: Int32) async throws {
        let stack = try TestStack("""
            services:
              web:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
              forker:
                command: "sleep 600 & echo ready; wait"
                healthcheck: {log: ready}
            """)
        defer { stack.cleanUp() }
        let running = try CLI.Running(["run", stack.path, "--", "sleep", "600"], mark: stack.mark)
        #expect(await eventually(within: .seconds(20)) { running.stderrSoFar.contains("ready in") })
        try await Task.sleep(for: .milliseconds(100))
        kill(running.process.processIdentifier, signal)
        let result = await running.wait(limit: .seconds(20))
        #expect(result.status == 128 + signal, "\(result.stderr)")
        #expect(await eventually(within: .seconds(15)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalMidStartLeavesNoProcessOfTheRun(signal: Int32) async throws {
        let stack = try TestStack("""
            services:
              up:
                command: "echo up; exec sleep 600"
                healthcheck: {log: up}
              never:
                command: "sleep 600 & exec sleep 600"
                ports: [http]
                healthcheck: {tcp: http, deadline: 60s}
                depends_on: [up]
            """)
        defer { stack.cleanUp() }
        let running = try CLI.Running(["run", stack.path, "--", "true"], mark: stack.mark)
        #expect(await eventually(within: .seconds(20)) { running.stderrSoFar.contains("never    spawned") })
        kill(running.process.processIdentifier, signal)
        let result = await running.wait(limit: .seconds(20))
        #expect(result.status == 128 + signal, "\(result.stderr)")
        #expect(await eventually(within: .seconds(15)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }
}
