import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedHealth

@Suite struct LogProbeTests {
    private func spawn(_ script: String) throws -> ServiceProcess {
        try ServiceProcess(.init(executable: "sh", arguments: ["-c", script], environment: inheritedEnvironment,
                                 logFile: try makeTemporaryDirectory() + "/service.log"))
    }

    @Test func passesOnceTheProcessPrintsAMatchingLine() async throws {
        // The matching line waits for a file the test creates after the first attempt, so
        // that attempt sees only "starting" however slowly the machine runs.
        let gate = try makeTemporaryDirectory() + "/gate"
        let process = try spawn("echo starting; for i in $(seq 12000); do [ -e '\(gate)' ] && break; sleep 0.01; done; "
                                + "echo ready to serve; sleep 60")
        let probe = try LogProbe(pattern: "ready to (serve|accept)", log: process.log)
        let error = await #expect(throws: ProbeFailure.self) { try await probe.attempt(timeout: .seconds(1)) }
        #expect(error?.code == .notYet)
        #expect(error?.message == "no line matching /ready to (serve|accept)/ yet")
        #expect(FileManager.default.createFile(atPath: gate, contents: nil))
        let failure = await pollUntilHealthy(probe)
        await process.stop([.kill])
        #expect(failure == nil)
        #expect(probe.matchedLine == "ready to serve")
    }

    @Test func matchesLinesPrintedBeforeItWasCreated() async throws {
        let process = try spawn("echo listening on port 5000; sleep 60")
        // Wait for the line to be in the tail before the probe exists.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while process.log.lastLines().isEmpty && clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let printedBefore = process.log.lastLines()
        let probe = try LogProbe(pattern: #"^listening on port \d+$"#, log: process.log)
        await process.stop([.kill])
        #expect(printedBefore == ["listening on port 5000"])
        try await probe.attempt(timeout: .zero)
        #expect(probe.matchedLine == "listening on port 5000")
    }

    @Test func rejectsAnInvalidPatternAtInit() throws {
        let process = try spawn("true")
        let error = #expect(throws: ProbeFailure.self) { try LogProbe(pattern: "ready (", log: process.log) }
        #expect(error?.code == .invalidProbe)
        #expect(error?.message == "log pattern /ready (/ is not a valid regular expression")
    }
}
