import Foundation
import Testing
@testable import Testbed

/// The health gate throws its own error, with a code, and knows nothing of services or
/// manifests; the runtime's mapping keeps the messages users see.
@Suite struct HealthGateTests {
    private let quick = HealthGate.Timing(interval: .milliseconds(5), timeout: .milliseconds(200),
                                          startPeriod: .zero, deadline: .milliseconds(50))

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
        let slow = HealthGate.Timing(interval: .milliseconds(5), timeout: .seconds(1), startPeriod: .zero, deadline: .seconds(60))
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
}
