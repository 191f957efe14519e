import Foundation
import Synchronization
import Testing
@testable import Testbed
import TestbedTesting
@testable import TestbedModel

/// Strict tapes under the `.testbed(…)` trait, and the library's `checkTapes()`: a real
/// upstream process (`Fixtures/http/upstream.py`) recorded through a real HTTP link, then
/// replayed with the upstream stopped; curl is the client.
@Suite(.serialized) struct TapeTraitTests {
    /// A stack that is only a strict HTTP link to `upstream`, taped on `tapes/api.json`.
    static func stack(upstream: String) throws -> TestStack {
        let stack = try TestStack("""
            name: strict-trait
            services: {}
            links:
              api:
                to: \(upstream)
                http: {tape: tapes/api.json, strict: true}
            """)
        try FileManager.default.createDirectory(atPath: stack.folder + "/tapes", withIntermediateDirectories: true)
        return stack
    }

    /// Runs `body` in the trait's scope — as Swift Testing runs a suite in it — with every
    /// HTTP link in `mode`; hands `body` the scope's environment.
    static func underTrait(_ stack: TestStack, mode: TapeMode,
                           _ body: @escaping @Sendable (Environment) async throws -> Void) async throws {
        let registry = EnvironmentRegistry { path in
            var options = Environment.Options(runRoot: stack.runRoot, cacheRoot: stack.folder + "/cache")
            options.tapeMode = mode
            return try Environment(path: path, options: options)
        }
        let trait: TestbedTrait = .testbed(stack.path, registry: registry)
        try await trait.provideScope(for: Test.current!, testCase: nil) {
            try await body(try TestbedContext.current)
        }
    }

    /// `GET path` through the link `api` of the scope's environment: the body, a space, the status.
    static func get(_ path: String) async throws -> String {
        let port = try TestbedContext.link("api").listen.port
        return try await runCommand(["curl", "-s", "-w", " %{http_code}", "http://127.0.0.1:\(port)\(path)"])
    }

    /// Records `/items?a=1` and `/count` through the link, then stops the upstream.
    static func recordTape(_ stack: TestStack, _ upstream: HTTPUpstreamServer) async throws {
        try await underTrait(stack, mode: .record) { _ in
            let items = try await get("/items?a=1")
            let count = try await get("/count")
            #expect(items == #"{"query": {"a": "1"}} 200"# && count == #"{"count": 1} 200"#, "\(items) \(count)")
        }
        #expect(FileManager.default.fileExists(atPath: stack.folder + "/tapes/api.json"))
        await upstream.stop()
    }

    @Test func aStrictMissUnderTheTraitIsAnIssueWithTheRunsTextAndCheckTapesThrowsIt() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try Self.stack(upstream: upstream.url)
        defer { stack.cleanUp() }
        try await Self.recordTape(stack, upstream)

        // /itemz is not on the tape, and neither recorded exchange is used.
        let used = Mutex<Environment?>(nil)
        let issues = Mutex<[String]>([])
        try await withKnownIssue("a strict tape with a miss fails the suite") {
            try await Self.underTrait(stack, mode: .replay) { environment in
                used.withLock { $0 = environment }
                let miss = try await Self.get("/itemz?a=1")
                #expect(miss.hasSuffix(" 599") && miss.contains("no recorded exchange matches GET /itemz?a=1"), "\(miss)")
                // Before the stop the links have not reported: the check refuses to answer.
                let early = await #expect(throws: EnvironmentError.self) { try await environment.checkTapes() }
                #expect(early?.code == .stillRunning)
            }
        } matching: { issue in
            let text = issue.comments.map(\.rawValue).joined(separator: "\n")
            guard text.hasPrefix("link 'api' (strict tape ") else { return false }
            issues.withLock { $0.append(text) }
            return true
        }
        let recorded = issues.withLock { $0 }
        #expect(recorded.count == 1, "\(recorded)")
        let text = recorded.first ?? ""
        #expect(text.hasPrefix("link 'api' (strict tape \(stack.folder)/tapes/api.json): "
                               + "1 request had no recorded answer and 2 recorded exchanges were never used"), "\(text)")
        #expect(text.contains("\n  miss: no recorded exchange matches GET /itemz?a=1; the closest is exchange [0] (GET /items?a=1)"),
                "the miss names the closest recorded request: \(text)")
        #expect(text.contains("\n  unused: #0 GET /items?a=1") && text.contains("\n  unused: #1 GET /count"), "\(text)")

        // The library's check throws the same text, and the report holds the details.
        let environment = try #require(used.withLock { $0 })
        let error = await #expect(throws: LinkError.self) { try await environment.checkTapes() }
        #expect(error?.code == .tapeFailed)
        #expect(error?.message == text)
        let report = try #require(environment.links.tapeReports.first)
        #expect(report.mode == .replay && report.misses.count == 1 && report.unused.count == 2)
    }

    @Test func aCleanStrictReplayUnderTheTraitRecordsNoIssue() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try Self.stack(upstream: upstream.url)
        defer { stack.cleanUp() }
        try await Self.recordTape(stack, upstream)

        // Every recorded exchange used, nothing missed: an issue here would fail this test.
        let used = Mutex<Environment?>(nil)
        try await Self.underTrait(stack, mode: .replay) { environment in
            used.withLock { $0 = environment }
            let count = try await Self.get("/count")
            let items = try await Self.get("/items?a=1")
            #expect(count == #"{"count": 1} 200"# && items == #"{"query": {"a": "1"}} 200"#, "\(count) \(items)")
        }
        let environment = try #require(used.withLock { $0 })
        let report = try #require(environment.links.tapeReports.first, "the link reported its tape")
        #expect(report.strict && report.mode == .replay && report.misses.isEmpty && report.unused.isEmpty)
        #expect(report.failure == nil)
        try await environment.checkTapes()
    }
}
