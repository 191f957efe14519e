import Foundation
import Testing
@testable import Testbed

/// What an HTTP link's recording leaves on disk and says: tapes that diff clean (issue #27),
/// private by default, with a warning for credentials that redaction missed (issue #23).
@Suite(.serialized) struct HTTPLinkTapeRecordingTests {
    static func manifest(upstream: String, extra: String = "") -> String {
        """
        name: recording
        services: {}
        links:
          api:
            to: \(upstream)
            http:
              tape: tapes/api.json
        \(extra.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
        exports:
          API_URL: ${api.url}
        """
    }

    /// Runs `command` under `testbed run` with plain progress output (what a user reads).
    func run(_ stack: TestStack, _ command: String, options: [String] = []) async throws -> CLI.Result {
        try await CLI.Running(["run"] + options + ["--report", stack.folder + "/report.json", stack.path, "--", "sh", "-c", command],
                              mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
    }

    @Test func recordingTheSameTrafficTwiceWritesTheSameBytes() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try TestStack(Self.manifest(upstream: upstream.url, extra: "mode: record\nvolatile_headers: [X-Request-Id]"))
        defer { stack.cleanUp() }
        // Each run's client sends its own request id; the link listens on a new port each run.
        let client = #"curl -s -H "X-Request-Id: $$-$(date +%s%N)" "$API_URL/items?a=1" && "#
            + #"curl -s -H 'Content-Type: application/json' -d '{"x": 1}' "$API_URL/echo""#
        let first = try await run(stack, client)
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let tapePath = stack.folder + "/tapes/api.json"
        let recorded = try Data(contentsOf: URL(fileURLWithPath: tapePath))
        try await Task.sleep(for: .milliseconds(1100))  // a new second: the upstream's Date changes
        let second = try await run(stack, client)
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        let again = try Data(contentsOf: URL(fileURLWithPath: tapePath))
        let text = String(decoding: again, as: UTF8.self)
        #expect(again == recorded, "the re-recorded tape differs:\n\(String(decoding: recorded, as: UTF8.self))\n---\n\(text)")
        #expect(!text.lowercased().contains("\"host\""), "the link's own host and port are not stored")
        #expect(text.contains("\"Date\""), "the upstream's Date is kept (as first recorded)")
        #expect(text.contains("X-Request-Id"))

        // Replay still matches without a Host on the tape.
        await upstream.stop()
        let replayed = try await run(stack, client, options: ["--tapes", "replay"])
        #expect(replayed.status == 0, "\(replayed.stderr)")
        #expect(replayed.stdout.contains(#"{"query": {"a": "1"}}"#), "\(replayed.stdout)")
    }

    @Test func onceSaysWhetherItRecordedOrReplayedAndHowMuch() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try TestStack(Self.manifest(upstream: upstream.url))
        defer { stack.cleanUp() }
        let client = #"curl -s "$API_URL/items?a=1" && curl -s "$API_URL/items?b=2" && curl -s "$API_URL/items?a=1""#
        let tapePath = stack.folder + "/tapes/api.json"
        let first = try await run(stack, client)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("tape-written recorded 3 exchanges → \(tapePath)"), "\(first.stderr)")
        #expect(!first.stderr.contains("tape-replayed"))
        let second = try await run(stack, client)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("tape-replayed replayed 3 of 3 exchanges (3 requests answered) from \(tapePath)"),
                "\(second.stderr)")
        #expect(!second.stderr.contains("tape-written"))
        let report = try String(contentsOfFile: stack.folder + "/report.json", encoding: .utf8)
        #expect(report.contains("tape-replayed"), "\(report)")
        // Part of the tape used: the count says so.
        let partial = try await run(stack, #"curl -s "$API_URL/items?b=2""#)
        #expect(partial.stderr.contains("replayed 1 of 3 exchanges (1 request answered)"), "\(partial.stderr)")
    }

    @Test func tapesArePrivateByDefaultAndWarnOfCredentialsLeftInClear() async throws {
        let upstream = try await HTTPUpstreamServer()
        let client = #"curl -s -H "X-Api-Key: KEY-SECRET-7" -H "X-Trace: 1" -H "Authorization: Bearer T" "$API_URL/items?a=1""#
        let stack = try TestStack(Self.manifest(upstream: upstream.url))
        defer { stack.cleanUp() }
        let recorded = try await run(stack, client)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        #expect(TapeFileSafetyTests.mode(stack.folder + "/tapes/api.json") == 0o600 & ~TapeFileSafetyTests.umask)
        let warning = recorded.stderr.split(separator: "\n").first { $0.contains("tape-written") }.map(String.init) ?? ""
        #expect(warning.contains("like a credential reached the tape in clear: X-Api-Key"), "\(recorded.stderr)")
        #expect(!warning.contains("X-Trace") && !warning.contains("Authorization"), "\(warning)")

        // Redacted and shared: no warning, and the tape is readable by others.
        let shared = try TestStack(Self.manifest(upstream: upstream.url, extra: "tape_shared: true\nredact: {headers: [x-api-key]}"))
        defer { shared.cleanUp() }
        let quiet = try await run(shared, client)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(!quiet.stderr.contains("in clear"), "\(quiet.stderr)")
        #expect(TapeFileSafetyTests.mode(shared.folder + "/tapes/api.json") == 0o644 & ~TapeFileSafetyTests.umask)
    }

    @Test func newTapeKeysAreCheckedWithTheirLine() async throws {
        let stack = try TestStack("""
            services: {}
            links:
              api:
                to: https://example.com/v1
                http:
                  tape: t.json
                  tape_shared: sometimes
                  volatile_headers: ["Bad Header"]
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["validate", stack.path], mark: stack.mark)
        #expect(result.status != 0)
        #expect(result.stderr.contains("stack.yml:7:") && result.stderr.contains("tape_shared"), "\(result.stderr)")
        #expect(result.stderr.contains("stack.yml:8:") && result.stderr.contains("'Bad Header' is not an HTTP header name"),
                "\(result.stderr)")
    }
}
