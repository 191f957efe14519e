import Foundation
@testable import Testbed
import Testing
@testable import TestbedModel
@testable import TestbedTapes

/// Redaction: secrets never reach the tape file; rules that match nothing are reported;
/// an atomic write leaves a good tape untouched when it fails.
@Suite struct TapeRedactionTests {
    static let secret = "s3cr3t-Value-4711"

    static func exchange() -> TapeExchange {
        TapeExchange(
            request: TapeRequest(method: "POST", target: "/pay?token=\(secret)&page=2&token=\(secret)x",
                                 headers: [TapeHeader("authorization", "Bearer \(secret)"),
                                           TapeHeader("Cookie", "sid=\(secret)"),
                                           TapeHeader("X-Api-Key", secret),
                                           TapeHeader("Content-Type", "application/json")],
                                 body: Array(#"{"card": {"number": "\#(secret)", "exp": "12/30"}, "items": [{"token": "\#(secret)"}, {"token": 1}]}"#.utf8)),
            response: TapeResponse(status: 200,
                                   headers: [TapeHeader("Set-Cookie", "sid=\(secret); HttpOnly"),
                                             TapeHeader("Proxy-Authorization", secret)],
                                   body: Array("{\n  \"card\": {\n    \"number\": \"\(secret)\"\n  }\n}\n".utf8)))
    }

    static let rules = TapeRedaction(headers: ["x-api-key"], query: ["token"], json: ["$.card.number", "$.items[*].token"])

    @Test func noSecretReachesTheTapeFile() throws {
        let folder = try TapeFileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.json")
        let redacted = Self.rules.redact(Self.exchange())
        try Tape(exchanges: [redacted]).write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(!text.contains("s3cr3t"))
        #expect(text.contains("REDACTED"))
        #expect(redacted.request.target == "/pay?token=REDACTED&page=2&token=REDACTED")
        #expect(redacted.request.headers.first("Content-Type") == "application/json")
        #expect(redacted.request.headers.first("Authorization") == "REDACTED")
        #expect(redacted.response.headers.first("Set-Cookie") == "REDACTED")
        #expect(String(decoding: redacted.request.body, as: UTF8.self)
                == #"{"card": {"number": "REDACTED", "exp": "12/30"}, "items": [{"token": "REDACTED"}, {"token": "REDACTED"}]}"#)
        #expect(String(decoding: redacted.response.body, as: UTF8.self) == "{\n  \"card\": {\n    \"number\": \"REDACTED\"\n  }\n}\n")
        #expect(Self.rules.unusedRules(in: [Self.exchange()]).isEmpty)
    }

    @Test func defaultsOnlyTouchTheFourHeaders() {
        let redacted = TapeRedaction().redact(Self.exchange())
        #expect(redacted.request.headers.first("X-Api-Key") == Self.secret)
        #expect(redacted.request.headers.first("Cookie") == "REDACTED")
        #expect(redacted.response.headers.first("Proxy-Authorization") == "REDACTED")
        #expect(redacted.request.target == Self.exchange().request.target)
        #expect(redacted.request.body == Self.exchange().request.body)
    }

    @Test func formBodiesAndPlaceholdersAreRedactedToo() {
        var exchange = Self.exchange()
        exchange.request.headers = [TapeHeader("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        exchange.request.body = Array("user=ann&token=\(Self.secret)".utf8)
        let rules = TapeRedaction(query: ["token"], placeholder: "<hidden value>")
        let redacted = rules.redact(exchange)
        #expect(String(decoding: redacted.request.body, as: UTF8.self) == "user=ann&token=%3Chidden%20value%3E")
        #expect(redacted.request.target == "/pay?token=%3Chidden%20value%3E&page=2&token=%3Chidden%20value%3E")
        #expect(redacted.request.headers.first("Content-Type")?.hasPrefix("application/x-www-form") == true)
    }

    @Test func rulesThatMatchNothingAreReported() {
        let rules = TapeRedaction(headers: ["X-Api-Key", "X-Typo"], query: ["token", "tokn"], json: ["$.card.numbr", "$.card.number", "$.card["])
        #expect(rules.unusedRules(in: [Self.exchange()]) == ["header X-Typo", "query tokn", "json $.card.numbr", "json $.card["])
        #expect(rules.invalidPaths == ["$.card["])
        #expect(rules.unusedRules(in: []).count == 7)
    }

    @Test func aFailedWriteLeavesTheGoodTapeUntouched() throws {
        let folder = try TapeFileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("good.json")
        try Tape(exchanges: [Self.exchange()]).write(to: url)
        let before = try Data(contentsOf: url)
        struct Crash: Error {}
        var file = AtomicTapeFile(url: url)
        file.beforeRename = { throw Crash() }
        #expect(throws: TapeError.self) { try file.write(Array(repeating: 0x41, count: 100_000)) }
        #expect(try Data(contentsOf: url) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["good.json"])

        let occupied = folder.appendingPathComponent("dir.json")
        try FileManager.default.createDirectory(at: occupied.appendingPathComponent("inside"), withIntermediateDirectories: true)
        let error = #expect(throws: TapeError.self) { try Tape().write(to: occupied) }
        #expect(error?.code == .unwritable)
        #expect(error?.message.contains("cannot rename") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["dir.json", "good.json"])

        let missing = folder.appendingPathComponent("no/such/t.json")
        let noFolder = #expect(throws: TapeError.self) { try Tape().write(to: missing) }
        #expect(noFolder?.file == missing.path)
        #expect(noFolder?.message.contains("the folder \(folder.path)/no does not exist") == true, "\(String(describing: noFolder))")
    }
}

extension TapeRedactionTests {
    @Test func aPlayerWithTheRedactionMatchesRequestsThatCarryTheSecret() {
        let tape = Tape(exchanges: [Self.rules.redact(Self.exchange())])
        let player = TapePlayer(tape: tape, redaction: Self.rules)
        guard case .hit(_, index: 0) = player.answer(for: Self.exchange().request) else {
            Issue.record("the request with its secrets did not match its redacted recording")
            return
        }
        var other = Self.exchange().request
        other.target = "/pay?token=\(Self.secret)&page=3"
        guard case .miss(let miss) = player.answer(for: other) else { Issue.record("no miss"); return }
        #expect(!miss.description.contains("s3cr3t"))
        #expect(miss.request.target == "/pay?token=REDACTED&page=3")
        #expect(TapePlayer(tape: tape).answer(for: Self.exchange().request).isMiss)
    }
}

extension TapeAnswer {
    var isMiss: Bool {
        if case .miss = self { return true }
        return false
    }
}
