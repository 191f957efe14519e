import Foundation
import Testing
@testable import Testbed
@testable import TestbedTapes

/// HTTP links with tapes, through `testbed run` with real clients (python's http.client and
/// urllib, curl) and a real upstream process of the test's own.
@Suite(.serialized) struct HTTPLinkTapeTests {
    /// A stack that is only a link to the upstream's URL, with a strict tape.
    static func manifest(upstream: String, mode: String? = nil, strict: Bool = true) -> String {
        """
        name: tapes
        services: {}
        links:
          api:
            to: \(upstream)
            http:
              tape: tapes/api.json
              \(mode.map { "mode: \($0)" } ?? "")
              strict: \(strict)
              redact: {headers: [X-Api-Key], query: [token], json: [$.card.number]}
        exports:
          API_URL: ${api.url}
        """
    }

    /// curl's part of the client: status and body of a gzip and a chunked answer.
    static let curl = #"for p in /gzip /chunked /items?a=1; do curl -s --compressed -o /tmp/tb-curl-$$ -w "curl $p %{http_code} " "$API_URL$p"; sha256sum < /tmp/tb-curl-$$; done; rm -f /tmp/tb-curl-$$"#

    func run(_ stack: TestStack, _ command: String, extra: [String: String] = [:], options: [String] = []) async throws -> CLI.Result {
        try await CLI.Running(["run"] + options + ["--json", "--report", stack.folder + "/report.json", stack.path, "--", "sh", "-c", command],
                              mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot].merging(extra) { $1 }).wait()
    }

    @Test func recordThenReplayWithTheUpstreamStoppedGivesTheSameAnswers() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try TestStack(Self.manifest(upstream: upstream.url))
        defer { stack.cleanUp() }
        try FileManager.default.createDirectory(atPath: stack.folder + "/tapes", withIntermediateDirectories: true)
        let client = "python3 \(HTTPFixtures.client) \"$API_URL\" && \(Self.curl)"

        // No tape yet: the default mode (once) records.
        let recorded = try await run(stack, client)
        #expect(recorded.status == 0, "\(recorded.stdout)\n\(recorded.stderr)")
        #expect(recorded.stdout.contains("GET /count -> 200"), "\(recorded.stdout)")
        #expect(recorded.stdout.contains("keep-alive: one connection"))
        #expect(recorded.stdout.contains("curl /gzip 200"))
        #expect(recorded.stderr.contains("tape-written"), "\(recorded.stderr)")
        let tapePath = stack.folder + "/tapes/api.json"
        let tape = try String(contentsOfFile: tapePath, encoding: .utf8)
        for secret in ["TOP-SECRET-TOKEN", "SESSION-SECRET-42", "KEY-SECRET-7", "QUERY-SECRET-9", "4111-1111"] {
            #expect(!tape.contains(secret), "the tape holds \(secret)")
        }
        #expect(tape.contains("squeeze squeeze"), "the gzip body is kept decoded")
        #expect(tape.contains("first,second,third"), "the chunked body is kept whole")

        // The upstream is gone: the tape (once → replay) answers the same, byte for byte.
        await upstream.stop()
        let replayed = try await run(stack, client)
        #expect(replayed.status == 0, "\(replayed.stdout)\n\(replayed.stderr)")
        #expect(replayed.stdout == recorded.stdout)
        #expect(replayed.stdout.contains("{\"count\": 3}"), "repeated requests replay their answers in order")
        #expect(!replayed.stderr.contains("tape-written"), "replay leaves the tape alone")
        #expect(try String(contentsOfFile: tapePath, encoding: .utf8) == tape)
    }

    @Test func strictReplayFailsTheRunOnAnUnexpectedRequestAndSaysWhy() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try TestStack(Self.manifest(upstream: upstream.url, mode: "record"))
        defer { stack.cleanUp() }
        let recorded = try await run(stack, "python3 \(HTTPFixtures.client) \"$API_URL\"")
        #expect(recorded.status == 0, "\(recorded.stderr)")
        await upstream.stop()

        // TESTBED_TAPES=replay overrides the manifest's record; /itemz is not on the tape.
        let miss = try await run(stack, "python3 \(HTTPFixtures.client) \"$API_URL\" '/itemz?a=1'", extra: ["TESTBED_TAPES": "replay"])
        #expect(miss.status == 1, "\(miss.stdout)\n\(miss.stderr)")
        #expect(miss.stdout.contains("GET /itemz?a=1 -> 599 Tape Miss"), "\(miss.stdout)")
        #expect(miss.stdout.contains("/items"), "the body names the closest recorded request")
        #expect(miss.stderr.contains("tape-miss"))
        #expect(miss.stderr.contains("1 request had no recorded answer"), "\(miss.stderr)")
        let document = try String(contentsOfFile: stack.folder + "/report.json", encoding: .utf8)
        #expect(document.contains("tape-miss") && document.contains("tape-strict-failed"), "\(document)")

        // Only part of the tape used: the unused exchanges fail a strict run too.
        let partial = try await run(stack, "curl -s \"$API_URL/items?a=1&b=2\"", extra: ["TESTBED_TAPES": "replay"])
        #expect(partial.status == 1)
        #expect(partial.stderr.contains("recorded exchanges were never used"), "\(partial.stderr)")
        #expect(partial.stderr.replacingOccurrences(of: "\\/", with: "/").contains("unused: #0 GET /count"), "\(partial.stderr)")
    }

    @Test func recordMissingAnswersFromTheTapeAndAppendsTheRest() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try TestStack(Self.manifest(upstream: upstream.url, mode: "record_missing", strict: false))
        defer { stack.cleanUp() }
        let first = try await run(stack, "curl -s \"$API_URL/count\"")
        #expect(first.status == 0 && first.stdout == #"{"count": 1}"#, "\(first.stdout)\n\(first.stderr)")
        // /count is answered from the tape (still 1), /items goes to the upstream and is appended.
        let second = try await run(stack, "curl -s \"$API_URL/count\"; curl -s \"$API_URL/items?x=1\"")
        #expect(second.stdout == #"{"count": 1}{"query": {"x": "1"}}"#, "\(second.stdout)\n\(second.stderr)")
        await upstream.stop()
        let replayed = try await run(stack, "curl -s \"$API_URL/items?x=1\"", options: ["--tapes", "replay"])
        #expect(replayed.stdout == #"{"query": {"x": "1"}}"#, "\(replayed.stdout)\n\(replayed.stderr)")
    }

    @Test func badTapeSettingsAreLocatedErrors() async throws {
        let stack = try TestStack("""
            services: {}
            links:
              api:
                to: ftp://example.com/x
                http: {tape: t.json}
              other:
                to: https://example.com/v1
                http: {tape: missing.json, mode: replay, match: {ignore_json: ["$.a[x]"]}, redact: {headerz: [A]}}
              third:
                to: https://example.com
                http: {tape: t.json, mode: replay_all}
            """)
        defer { stack.cleanUp() }
        let result = try await CLI.run(["validate", stack.path], mark: stack.mark)
        #expect(result.status != 0)
        let text = result.stderr
        #expect(text.contains("stack.yml:4:"), "\(text)")
        #expect(text.contains("only http and https are supported"), "\(text)")
        #expect(text.contains("'$.a[x]' is not a JSON path: at character 4"), "\(text)")
        #expect(text.contains("headerz"))
        #expect(text.contains("unknown mode 'replay_all'"))

        let missing = try TestStack("""
            services: {}
            links:
              api:
                to: https://example.com/v1
                http: {tape: missing.json, mode: replay}
            """)
        defer { missing.cleanUp() }
        let validate = try await CLI.run(["validate", missing.path], mark: missing.mark)
        #expect(validate.status != 0)
        #expect(validate.stderr.contains("stack.yml:5:") && validate.stderr.contains("mode replay needs the tape"), "\(validate.stderr)")
        let run = try await CLI.Running(["run", missing.path, "--", "true"], mark: missing.mark,
                                        extra: ["TESTBED_RUN_ROOT": missing.runRoot]).wait()
        #expect(run.status == 125)
        #expect(run.stderr.contains("mode replay needs the tape"), "\(run.stderr)")
        // A truncated tape: validate and the start both name the tape's file and line.
        try "{\n  \"testbed_tape\": 1,\n  \"exchanges\": [\n    {\"request\": ".write(toFile: missing.folder + "/missing.json",
                                                                                    atomically: true, encoding: .utf8)
        let truncated = try await CLI.run(["validate", missing.path], mark: missing.mark)
        #expect(truncated.status != 0)
        #expect(truncated.stderr.contains("stack.yml:5:") && truncated.stderr.contains("missing.json:"), "\(truncated.stderr)")
        let truncatedRun = try await CLI.Running(["run", missing.path, "--", "true"], mark: missing.mark,
                                                 extra: ["TESTBED_RUN_ROOT": missing.runRoot]).wait()
        #expect(truncatedRun.status == 125)
        #expect(truncatedRun.stderr.contains("missing.json:"), "\(truncatedRun.stderr)")
        try FileManager.default.removeItem(atPath: missing.folder + "/missing.json")
        let badMode = try await CLI.Running(["run", missing.path, "--", "true"], mark: missing.mark,
                                            extra: ["TESTBED_RUN_ROOT": missing.runRoot, "TESTBED_TAPES": "sometimes"]).wait()
        #expect(badMode.status == 125)
        #expect(badMode.stderr.contains("TESTBED_TAPES=sometimes is not a tape mode"), "\(badMode.stderr)")
    }
}
