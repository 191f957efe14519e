import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// `TESTBED_TAPES` is read in one place and "replay needs a tape" is checked in one place,
/// when the run is planned: `testbed validate` and a start give the same one problem, at
/// its manifest line, before anything starts.
@Suite struct TapeModeCheckTests {
    /// An HTTP link to an external URL with the given `http:` block (line 5), at line 3.
    private static func stack(http: String) throws -> TestStack {
        try TestStack("""
            services: {}
            links:
              api:
                to: https://example.com/v1
                http: \(http)
            """)
    }

    /// The start's error, which must be a ``ManifestError`` (the plan's): its problems.
    private static func startProblems(_ stack: TestStack, _ variables: [String: String]) async throws -> [String] {
        let environment = try stack.environment(overriding: variables)
        do {
            try await environment.start()
        } catch let error as ManifestError {
            return error.problems.map(\.description)
        }
        await environment.stop()
        Issue.record("the start did not fail")
        return []
    }

    @Test func aBadTapesVariableGivesOneProblemAtTheFirstHTTPLinkInValidateAndStart() async throws {
        let stack = try Self.stack(http: "{tape: api.json}")
        defer { stack.cleanUp() }
        let validate = try ManifestLoader.load(path: stack.path).preflight(environment: ["TESTBED_TAPES": "sometimes"])
        let expected = "\(stack.path):3:3: error: TESTBED_TAPES=sometimes is not a tape mode\n"
            + "    hint: use one of record, replay, record_missing, passthrough, once"
        #expect(validate.map(\.description) == [expected])
        #expect(try await Self.startProblems(stack, ["TESTBED_TAPES": "sometimes"]) == [expected])
        #expect(stack.leftoverRuns.isEmpty)
    }

    @Test func replayWithoutItsTapeFailsOnceAtTheLinksLineInValidateAndStart() async throws {
        let stack = try Self.stack(http: "{tape: missing.json, mode: replay}")
        defer { stack.cleanUp() }
        let validate = try ManifestLoader.load(path: stack.path).preflight(environment: [:]).map(\.description)
        #expect(validate.count == 1)
        #expect(validate.first?.hasPrefix("\(stack.path):5:") == true, "\(validate)")
        #expect(validate.first?.contains(": error: link 'api': mode replay needs the tape ") == true, "\(validate)")
        #expect(validate.first?.contains("missing.json, which does not exist\n    hint: record it first") == true)
        #expect(try await Self.startProblems(stack, [:]) == validate)
        // The variable asks for replay too: the same one problem.
        let once = try Self.stack(http: "{tape: missing.json}")
        defer { once.cleanUp() }
        let replayed = try await Self.startProblems(once, ["TESTBED_TAPES": "replay"])
        #expect(replayed.count == 1 && replayed.first?.contains("mode replay needs the tape") == true, "\(replayed)")
    }

    @Test func theModeTheRunAsksForWinsOverTheVariableAndIsThePlans() throws {
        let stack = try Self.stack(http: "{tape: missing.json, mode: replay}")
        defer { stack.cleanUp() }
        let manifest = try ManifestLoader.load(path: stack.path)
        let run = RunDirectory(path: stack.folder + "/run")
        let chosen = try EnvironmentPlan(manifest: manifest, runDirectory: run, environment: ["TESTBED_TAPES": "sometimes"],
                                         cacheRoot: stack.folder + "/cache", tapeMode: .record)
        chosen.releasePorts()
        #expect(chosen.tapeMode == .record)
        let variable = try EnvironmentPlan(manifest: manifest, runDirectory: run, environment: ["TESTBED_TAPES": "record_missing"],
                                           cacheRoot: stack.folder + "/cache")
        variable.releasePorts()
        #expect(variable.tapeMode == .recordMissing)
    }

    @Test func aBadTapesVariableIsIgnoredWithoutHTTPLinks() async throws {
        let stack = try TestStack("services:\n  app: {command: [sleep, \"30\"]}\n")
        defer { stack.cleanUp() }
        #expect(try ManifestLoader.load(path: stack.path).preflight(environment: ["TESTBED_TAPES": "sometimes"]).isEmpty)
        let environment = try stack.environment(overriding: ["TESTBED_TAPES": "sometimes"])
        try await environment.start()
        await environment.stop()
    }
}
