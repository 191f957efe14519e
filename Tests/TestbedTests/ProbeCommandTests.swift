import Foundation
import Testing
@testable import Testbed
@testable import TestbedHealth

@Suite struct CommandProbeTests {
    private func probe(_ argv: [String]) throws -> CommandProbe {
        CommandProbe(argv: argv, environment: inheritedEnvironment, workingDirectory: nil,
                     logFile: try makeTemporaryDirectory() + "/probe.log")
    }

    @Test func passesWhenTheCommandExitsZero() async throws {
        let marker = "ran \(UUID().uuidString)"
        let passing = try probe(["sh", "-c", "echo '\(marker)'; exit 0"])
        await #expect(throws: Never.self) { try await passing.attempt(timeout: .seconds(60)) }
        // It passed because the command ran and exited 0, not without running it.
        let log = try String(contentsOfFile: passing.logFile, encoding: .utf8)
        #expect(log.contains(marker), "\(log)")
    }

    @Test func failsWithTheStatusAndTheLastLineOfOutput() async throws {
        let error = await #expect(throws: ProbeFailure.self) {
            try await probe(["sh", "-c", "echo first; echo broken; exit 3"]).attempt(timeout: .seconds(60))
        }
        #expect(error?.code == .unexpectedAnswer)
        #expect(error?.message == "exit status 3: broken")
    }

    @Test func killsTheCommandOnTimeoutAndLeavesNoProcess() async throws {
        let argv = ["sleep", "600.\(Int.random(in: 100_000...999_999))"]
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ProbeFailure.self) {
            try await probe(argv).attempt(timeout: .milliseconds(200))
        }
        // Far below the 600 s the command would run: the timeout ended it (a bound, not a
        // benchmark; a loaded machine can take tens of seconds for the spawn and the kill).
        #expect(clock.now - start < .seconds(300))
        #expect(error?.code == .timedOut)
        #expect(error?.message == "command timed out after 200 ms: \(argv.joined(separator: " "))")
        #expect(processes(withCommandLine: argv).isEmpty)
        #expect(zombieChildren(named: "sleep").isEmpty)
    }

    @Test func killsWhatASuccessfulCommandLeftBehind() async throws {
        // The leftover would outlive the test by minutes, so finding none proves it was killed.
        let marker = "600.\(Int.random(in: 100_000...999_999))"
        let started = try probe(["sh", "-c", "sleep \(marker) & echo \"started $!\""])
        try await started.attempt(timeout: .seconds(60))
        let log = try String(contentsOfFile: started.logFile, encoding: .utf8)
        #expect(log.hasPrefix("started "), "the command did not start its background sleep: \(log)")
        let leftovers = processes(withCommandLine: ["sleep", marker])
        #expect(leftovers.isEmpty)
        for pid in leftovers.compactMap(Int32.init) { kill(pid, SIGKILL) }
    }

    @Test func reportsACommandThatCannotStart() async throws {
        let error = await #expect(throws: ProbeFailure.self) {
            try await probe(["no-such-command-testbed"]).attempt(timeout: .seconds(1))
        }
        #expect(error?.code == .invalidProbe)
        #expect(error?.message.contains("no-such-command-testbed") == true)
        await #expect(throws: ProbeFailure.self) { try await probe([]).attempt(timeout: .seconds(1)) }
    }
}

@Suite struct ClosureProbeTests {
    @Test func passesTheTimeoutAndTheOutcomeThrough() async throws {
        let ok = ClosureProbe(summary: "sql SELECT 1") { timeout in
            #expect(timeout == .milliseconds(300))
        }
        try await ok.attempt(timeout: .milliseconds(300))
        #expect(ok.summary == "sql SELECT 1")
        let failing = ClosureProbe(summary: "sql") { _ in throw ProbeFailure(.unexpectedAnswer, "relation missing") }
        let error = await #expect(throws: ProbeFailure.self) { try await failing.attempt(timeout: .seconds(1)) }
        #expect(error?.message == "relation missing")
    }
}
