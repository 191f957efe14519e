import Foundation
import Testing
@testable import Testbed

@Suite struct CommandProbeTests {
    private func probe(_ argv: [String]) throws -> CommandProbe {
        CommandProbe(argv: argv, environment: inheritedEnvironment, workingDirectory: nil,
                     logFile: try makeTemporaryDirectory() + "/probe.log")
    }

    @Test func passesWhenTheCommandExitsZero() async throws {
        try await probe(["true"]).attempt(timeout: .seconds(5))
    }

    @Test func failsWithTheStatusAndTheLastLineOfOutput() async throws {
        let error = await #expect(throws: ProbeFailure.self) {
            try await probe(["sh", "-c", "echo first; echo broken; exit 3"]).attempt(timeout: .seconds(5))
        }
        #expect(error?.code == .unexpectedAnswer)
        #expect(error?.message == "command exited with status 3: broken")
    }

    @Test func killsTheCommandOnTimeoutAndLeavesNoProcess() async throws {
        let argv = ["sleep", "60.\(Int.random(in: 100_000...999_999))"]
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ProbeFailure.self) {
            try await probe(argv).attempt(timeout: .milliseconds(200))
        }
        // Far below the 60 s the command would run: the timeout ended it (a bound, not a benchmark).
        #expect(clock.now - start < .seconds(30))
        #expect(error?.code == .timedOut)
        #expect(error?.message == "command timed out after 200 ms: \(argv.joined(separator: " "))")
        #expect(processes(withCommandLine: argv).isEmpty)
        #expect(zombieChildren(named: "sleep").isEmpty)
    }

    @Test func killsWhatASuccessfulCommandLeftBehind() async throws {
        let marker = "7.\(Int.random(in: 100_000...999_999))"
        try await probe(["sh", "-c", "sleep \(marker) & echo ok"]).attempt(timeout: .seconds(5))
        #expect(processes(withCommandLine: ["sleep", marker]).isEmpty)
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
