import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedModel
@testable import TestbedHealth

/// The health gate throws its own error, with a code, and knows nothing of services or
/// manifests; the runtime's mapping keeps the messages users see.
@Suite struct HealthGateTests {
    private let quick = HealthTiming(interval: .milliseconds(5), timeout: .milliseconds(200), deadline: .milliseconds(50))

    @Test func aProbeThatCanNeverWorkFailsAtOnceAsInvalid() async throws {
        let probe = ClosureProbe(summary: "broken") { _ in throw ProbeFailure(.invalidProbe, "no such scheme") }
        let error = await #expect(throws: HealthCheckError.self) {
            _ = try await HealthGate(probe: probe, timing: quick, process: nil).wait()
        }
        #expect(error?.code == .invalidProbe)
        #expect(error?.message == "health check broken cannot work: no such scheme")
    }

    @Test func aProbeThatKeepsFailingEndsAtTheDeadlineWithItsLastError() async throws {
        let probe = ClosureProbe(summary: "never") { _ in throw ProbeFailure(.notYet, "not yet ready") }
        let error = await #expect(throws: HealthCheckError.self) {
            _ = try await HealthGate(probe: probe, timing: quick, process: nil).wait()
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(error?.message.hasPrefix("health check never did not pass within") == true)
        #expect(error?.message.hasSuffix("last error: not yet ready") == true)
    }

    @Test func aServiceThatExitsFailsWithItsStatusAndOutput() async throws {
        let directory = try makeTemporaryDirectory()
        let process = try ServiceProcess(.init(executable: "/bin/sh", arguments: ["-c", "echo going away; exit 3"],
                                               environment: inheritedEnvironment, logFile: directory + "/service.log"))
        _ = await process.waitForExit()
        let probe = ClosureProbe(summary: "never") { _ in throw ProbeFailure(.unreachable, "connection refused") }
        let slow = HealthTiming(interval: .milliseconds(5), timeout: .seconds(1), deadline: .seconds(60))
        let error = await #expect(throws: HealthCheckError.self) {
            _ = try await HealthGate(probe: probe, timing: slow, process: process).wait()
        }
        await process.stop([.kill])
        #expect(error?.code == .exited)
        #expect(error?.exitStatus == .exited(3))
        #expect(error?.message == "exited before it was healthy (exit status 3)")
        #expect(error?.logTail.contains("going away") == true)
        #expect(error?.logFile == directory + "/service.log")
    }

    @Test func theRuntimeNamesTheServiceAndTheCheckLine() {
        let location = Testbed.SourceLocation(file: "app.yml", line: 12, column: 7)
        let deadline = EnvironmentError(HealthCheckError(.deadlineExceeded, "health check tcp 127.0.0.1:1 did not pass"),
                                        service: "api", checkLocation: location)
        #expect(deadline.code == .healthCheckFailed)
        #expect(deadline.description.hasPrefix("service 'api': health check tcp 127.0.0.1:1 did not pass"))
        #expect(deadline.hint == "see the service's log; raise healthcheck.deadline if it is only slow (app.yml:12:7)")
        let exited = EnvironmentError(HealthCheckError(.exited, "exited before it was healthy (exit status 1)"),
                                      service: "api", checkLocation: location)
        #expect(exited.code == .exitedDuringStart)
        let invalid = EnvironmentError(HealthCheckError(.invalidProbe, "bad"), service: "api", checkLocation: location)
        #expect(invalid.code == .healthCheckFailed)
        #expect(invalid.hint == "fix the healthcheck at app.yml:12:7")
    }

    @Test func waitsAreATenthOfTheTimeWaitedBetweenTheIntervalAndTheCapAndAnExplicitIntervalIsKept() {
        let backoff = HealthTiming(interval: .milliseconds(5), maxInterval: .milliseconds(250), timeout: .seconds(1),
                                   deadline: .seconds(60))
        #expect([0, 30, 100, 500, 1_000, 2_500, 10_000].map { backoff.wait(elapsed: .milliseconds($0)) }
                == [5, 5, 10, 50, 100, 250, 250].map { Duration.milliseconds($0) })
        let fixed = HealthTiming(interval: .milliseconds(100), timeout: .seconds(1), deadline: .seconds(60))
        #expect([0, 500, 5_000, 50_000].map { fixed.wait(elapsed: .milliseconds($0)) } == Array(repeating: .milliseconds(100), count: 4))
        // The manifest: no interval means backoff to the default cap; an interval is kept.
        let location = SourceLocation(file: "m.yml", line: 1, column: 1)
        #expect(HealthCheckSpec(probe: .tcp(port: .named("http")), location: location).timing.maxInterval == HealthTiming.defaultMaxInterval)
        #expect(HealthCheckSpec(probe: .tcp(port: .named("http")), interval: .seconds(1), location: location).timing.maxInterval == .seconds(1))
    }

    @Test func anIntervalWrittenInTheManifestIsKeptWithoutBackoff() throws {
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "services:\n  a:\n    command: x\n    ports: [http]\n    healthcheck: {tcp: http, interval: 10ms}\n"
            .write(toFile: folder + "/m.yml", atomically: true, encoding: .utf8)
        let timing = try #require(try ManifestLoader.load(path: folder + "/m.yml").services.first?.healthcheck?.timing)
        #expect([0, 100, 1_000, 10_000].map { timing.wait(elapsed: .milliseconds($0)) } == Array(repeating: .milliseconds(10), count: 4))
    }

    @Test func aProbeThatKeepsFailingBacksOffAndSaysHowOftenItTried() async throws {
        let timing = HealthTiming(interval: .milliseconds(5), maxInterval: .milliseconds(250), timeout: .milliseconds(100),
                                  deadline: .milliseconds(700))
        let probe = ClosureProbe(summary: "never") { _ in throw ProbeFailure(.unreachable, "connection refused") }
        let error = await #expect(throws: HealthCheckError.self) { try await HealthGate(probe: probe, timing: timing).wait() }
        // Waits of a tenth of the time waited fit about 50 attempts in 700 ms (each 10% after
        // the last); at a fixed 5 ms it would be ~140.
        let attempts = Int(error?.message.firstMatch(of: /\((\d+) attempts\)/)?.1 ?? "") ?? 0
        #expect((2...70).contains(attempts), "\(error?.message ?? "")")
        #expect(error?.message.contains("last error: connection refused") == true)
    }
}
