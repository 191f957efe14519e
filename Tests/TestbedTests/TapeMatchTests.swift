import Foundation
import Testbed
import Testing
import TestbedModel
import TestbedTapes

/// TapePlayer: what matches, in what order identical requests replay, and what a miss says.
@Suite struct TapeMatchTests {
    static func exchange(_ method: String, _ target: String, body: String = "", headers: [TapeHeader] = [],
                         answer: String) -> TapeExchange {
        TapeExchange(request: TapeRequest(method: method, target: target, headers: headers, body: Array(body.utf8)),
                     response: TapeResponse(status: 200, body: Array(answer.utf8)))
    }

    static func request(_ method: String, _ target: String, body: String = "", headers: [TapeHeader] = []) -> TapeRequest {
        TapeRequest(method: method, target: target, headers: headers, body: Array(body.utf8))
    }

    static func answered(_ answer: TapeAnswer) -> String? {
        guard case .hit(let exchange, _) = answer else { return nil }
        return String(decoding: exchange.response.body, as: UTF8.self)
    }

    static func miss(_ answer: TapeAnswer) -> TapeMiss? {
        guard case .miss(let miss) = answer else { return nil }
        return miss
    }

    @Test func queryOrderDoesNotMatterButValuesDo() {
        let player = TapePlayer(tape: Tape(exchanges: [Self.exchange("GET", "/items?page=2&size=10", answer: "p2")]))
        #expect(Self.answered(player.answer(for: Self.request("GET", "/items?size=10&page=2"))) == "p2")
        #expect(Self.answered(player.answer(for: Self.request("GET", "/items?size=10&page=%32"))) == "p2")
        let miss = Self.miss(player.answer(for: Self.request("GET", "/items?page=3&size=10")))
        #expect(miss?.closest == 0)
        #expect(miss?.differences == [#"query 'page': recorded "2", got "3""#])
        #expect(Self.miss(player.answer(for: Self.request("POST", "/items?page=2&size=10")))?.differences
                == ["method: recorded GET, got POST"])
        #expect(player.misses.count == 2)
    }

    @Test func jsonBodiesCompareAsData() {
        let tape = Tape(exchanges: [Self.exchange("POST", "/charges", body: #"{"amount":100,"currency":"EUR"}"#, answer: "ok")])
        let player = TapePlayer(tape: tape)
        let reordered = "{\n  \"currency\": \"EUR\",\n  \"amount\": 100.0\n}"
        #expect(Self.answered(player.answer(for: Self.request("POST", "/charges", body: reordered))) == "ok")
        let miss = Self.miss(player.answer(for: Self.request("POST", "/charges", body: #"{"amount":250,"currency":"EUR","x":null}"#)))
        #expect(miss?.differences == ["body $.amount: recorded 100, got 250", "body $.x: recorded none, got null"])
        #expect(miss?.description.contains("exchange [0] (POST /charges)") == true)
    }

    @Test func textBodiesCompareByteForByte() {
        let player = TapePlayer(tape: Tape(exchanges: [Self.exchange("POST", "/form", body: "a=1&b=2", answer: "ok")]))
        #expect(Self.answered(player.answer(for: Self.request("POST", "/form", body: "a=1&b=2"))) == "ok")
        let miss = Self.miss(player.answer(for: Self.request("POST", "/form", body: "b=2&a=1")))
        #expect(miss?.differences == [#"body: recorded 7 bytes "a=1&b=2", got 7 bytes "b=2&a=1""#])
    }

    @Test func identicalRequestsReplayInOrderThenRepeatTheLast() {
        let tape = Tape(exchanges: [
            Self.exchange("GET", "/job", answer: "pending"),
            Self.exchange("GET", "/other", answer: "other"),
            Self.exchange("GET", "/job", answer: "running"),
            Self.exchange("GET", "/job", answer: "done"),
        ])
        let player = TapePlayer(tape: tape)
        let answers = (0..<5).map { _ in Self.answered(player.answer(for: Self.request("GET", "/job"))) }
        #expect(answers == ["pending", "running", "done", "done", "done"])
        #expect(player.unusedExchanges == [1])
        #expect(player.misses.isEmpty)
    }

    @Test func rulesAddHeadersAndIgnoreQueryAndJSONPaths() {
        let recorded = Self.exchange("POST", "/pay?ts=1&id=7", body: #"{"nonce":"a","items":[{"id":1,"n":2}]}"#,
                                     headers: [TapeHeader("X-Api-Version", "1")], answer: "ok")
        let rules = TapeMatchRules(headers: ["x-api-version"], ignoredQuery: ["ts"], ignoredJSON: ["$.nonce", "$.items[*].id"])
        let player = TapePlayer(tape: Tape(exchanges: [recorded]), rules: rules)
        let same = Self.request("POST", "/pay?id=7&ts=99", body: #"{"items":[{"n":2,"id":5}],"nonce":"b"}"#,
                                headers: [TapeHeader("X-API-VERSION", "1")])
        #expect(Self.answered(player.answer(for: same)) == "ok")
        var otherVersion = same
        otherVersion.headers = [TapeHeader("X-Api-Version", "2")]
        #expect(Self.miss(player.answer(for: otherVersion))?.differences == [#"header 'x-api-version': recorded "1", got "2""#])
        let plain = TapePlayer(tape: Tape(exchanges: [recorded]))
        let differences = Self.miss(plain.answer(for: same))?.differences ?? []
        #expect(differences.contains(#"query 'ts': recorded "1", got "99""#))
        #expect(differences.contains(#"body $.nonce: recorded "a", got "b""#))
        #expect(differences.contains("body $.items[0].id: recorded 1, got 5"))
    }

    @Test func bodiesCanBeLeftOut() {
        let player = TapePlayer(tape: Tape(exchanges: [Self.exchange("POST", "/log", body: "one", answer: "ok")]),
                                rules: TapeMatchRules(body: false))
        #expect(Self.answered(player.answer(for: Self.request("POST", "/log", body: "two"))) == "ok")
    }

    @Test func theClosestIsTheSamePathWithFewestDifferences() {
        let tape = Tape(exchanges: [
            Self.exchange("GET", "/a?x=1&y=2", answer: "0"),
            Self.exchange("GET", "/b?x=1&y=3", answer: "1"),
            Self.exchange("GET", "/b?x=9&y=9", answer: "2"),
        ])
        let player = TapePlayer(tape: tape)
        let miss = Self.miss(player.answer(for: Self.request("GET", "/b?x=1&y=2")))
        #expect(miss?.closest == 1)
        #expect(miss?.differences == [#"query 'y': recorded "3", got "2""#])
        let elsewhere = Self.miss(player.answer(for: Self.request("GET", "/c")))
        #expect(elsewhere?.differences.first == #"path: recorded "/a", got "/c""#)
        let empty = Self.miss(TapePlayer(tape: Tape()).answer(for: Self.request("GET", "/")))
        #expect(empty?.closest == nil)
        #expect(empty?.description == "no recorded exchange matches GET /: the tape is empty.")
    }

    @Test func recordedExchangesCountAsUsedAndAnswerLaterRequests() {
        let player = TapePlayer(tape: Tape(exchanges: [Self.exchange("GET", "/old", answer: "old")]))
        #expect(Self.miss(player.answer(for: Self.request("GET", "/new"))) != nil)
        player.record(Self.exchange("GET", "/new", answer: "new"))
        #expect(Self.answered(player.answer(for: Self.request("GET", "/new"))) == "new")
        #expect(player.tape.exchanges.count == 2)
        #expect(player.unusedExchanges == [0])
    }

    /// The player keys a route's exchanges only when the route is first asked for: an
    /// exchange recorded before that still comes after the route's older exchanges.
    @Test func anExchangeRecordedBeforeItsRouteIsAskedForComesAfterTheTapesOwn() {
        let player = TapePlayer(tape: Tape(exchanges: [
            Self.exchange("GET", "/job", answer: "pending"),
            Self.exchange("GET", "/other", answer: "other"),
            Self.exchange("GET", "/job", answer: "running"),
        ]))
        player.record(Self.exchange("GET", "/job", answer: "done"))
        let answers = (0..<2).map { _ in Self.answered(player.answer(for: Self.request("GET", "/job"))) }
        #expect(answers == ["done", "done"])
        #expect(player.unusedExchanges == [0, 1, 2])
        #expect(Self.answered(player.answer(for: Self.request("get", "/other"))) == "other")
    }

    /// Routes follow the keys' comparison: the method in any case, the path as text (a path
    /// with `é` precomposed matches one with `e` and a combining accent), and a `?` that a
    /// combining mark follows is not the start of the query.
    @Test func routesCompareAsTheKeysDo() {
        let player = TapePlayer(tape: Tape(exchanges: [
            Self.exchange("GET", "/caf\u{E9}?q=1", answer: "precomposed"),
            Self.exchange("GET", "/a?\u{301}b=1", answer: "accented"),
        ]))
        #expect(Self.answered(player.answer(for: Self.request("get", "/cafe\u{301}?q=1"))) == "precomposed")
        #expect(TapeRequest(method: "GET", target: "/a?\u{301}b=1").path == "/a?\u{301}b=1")
        #expect(TapeRequest(method: "GET", target: "/a?\u{301}b=1").query == nil)
        #expect(Self.answered(player.answer(for: Self.request("GET", "/a?\u{301}b=1"))) == "accented")
        #expect(Self.miss(player.answer(for: Self.request("GET", "/a?b=1")))?.closest == 1)
        #expect(TapeRequest(method: "GET", target: "/v1/x?a=1?b").query == "a=1?b")
    }

    @Test func concurrentRequestsEachGetOneTurn() async {
        let exchanges = (0..<200).map { Self.exchange("GET", "/n", answer: String($0)) }
        let player = TapePlayer(tape: Tape(exchanges: exchanges))
        let answers = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<200 { group.addTask { Self.answered(player.answer(for: Self.request("GET", "/n"))) } }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(Set(answers.compactMap { $0 }) == Set((0..<200).map(String.init)))
        #expect(player.unusedExchanges.isEmpty)
    }
}
