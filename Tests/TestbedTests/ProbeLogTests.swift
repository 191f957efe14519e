import Foundation
import Testing
@testable import Testbed

@Suite struct LogProbeTests {
    private func spawn(_ script: String) throws -> ServiceProcess {
        try ServiceProcess(.init(executable: "sh", arguments: ["-c", script], environment: inheritedEnvironment,
                                 logFile: try makeTemporaryDirectory() + "/service.log"))
    }

    @Test func passesOnceTheProcessPrintsAMatchingLine() async throws {
        let process = try spawn("echo starting; sleep 0.2; echo ready to serve; sleep 5")
        let probe = try LogProbe(pattern: "ready to (serve|accept)", log: process.log)
        let error = await #expect(throws: ProbeFailure.self) { try await probe.attempt(timeout: .seconds(1)) }
        #expect(error?.code == .notYet)
        #expect(error?.message == "no line matched /ready to (serve|accept)/ yet")
        let failure = await pollUntilHealthy(probe, limit: .seconds(30))
        await process.stop([.kill])
        #expect(failure == nil)
        #expect(probe.matchedLine == "ready to serve")
    }

    @Test func matchesLinesPrintedBeforeItWasCreated() async throws {
        let process = try spawn("echo listening on port 5000; sleep 5")
        // Wait for the line to be in the tail before the probe exists.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(5)
        while process.log.lastLines().isEmpty && clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let probe = try LogProbe(pattern: #"^listening on port \d+$"#, log: process.log)
        await process.stop([.kill])
        try await probe.attempt(timeout: .zero)
    }

    @Test func rejectsAnInvalidPatternAtInit() throws {
        let process = try spawn("true")
        let error = #expect(throws: ProbeFailure.self) { try LogProbe(pattern: "ready (", log: process.log) }
        #expect(error?.code == .invalidProbe)
        #expect(error?.message == "log pattern /ready (/ is not a valid regular expression")
    }
}
