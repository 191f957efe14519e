import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedTapes

/// The comparison of `testbed verify` on responses made in code: what breaks the contract,
/// what is only reported, and the words and paths of each report line.
@Suite struct VerifyComparisonTests {
    func json(_ text: String, status: Int = 200, type: String = "application/json") -> TapeResponse {
        TapeResponse(status: status, headers: [TapeHeader("Content-Type", type)], body: Array(text.utf8))
    }

    func messages(_ recorded: TapeResponse, _ current: TapeResponse, _ comparison: ResponseComparison = ResponseComparison()) -> [String] {
        comparison.differences(recorded: recorded, current: current).map { ($0.breaking ? "" : "note: ") + $0.message }
    }

    @Test func sameShapeWithOtherValuesKeepsTheContract() {
        let differences = ResponseComparison().differences(
            recorded: json(#"{"id": 1, "name": "Ada", "tags": ["a"], "price": 5}"#),
            current: json(#"{"id": 2, "name": "Grace", "tags": [], "price": 5.5}"#, type: "application/json; charset=utf-8"))
        #expect(differences.isEmpty)
    }

    @Test func missingFieldsChangedTypesAndNullAreBreakingWithTheirPaths() {
        let recorded = json(#"{"customer": {"name": "Ada", "email": "a@x"}, "items": [{"price": 5}], "total": 5}"#)
        let current = json(#"{"customer": {"full_name": "Ada", "email": null}, "items": [{"price": "5.00"}], "total": 5}"#)
        #expect(messages(recorded, current) == [
            "$.customer.email: recorded string, now null",
            "$.customer.name: missing (recorded string)",
            "note: $.customer.full_name: new field (string)",
            "$.items[0].price: recorded number, now string",
        ])
        #expect(ResponseComparison().differences(recorded: recorded, current: current).filter(\.breaking).map(\.kind)
                == [.becameNull, .missing, .typeChanged])
    }

    @Test func newFieldsBreakOnlyWhenAsked() {
        let recorded = json(#"{"a": 1, "note": null}"#)
        let current = json(#"{"a": 1, "b": true, "note": "hi"}"#)
        let lenient = ResponseComparison().differences(recorded: recorded, current: current)
        #expect(lenient.map(\.kind) == [.nullFilled, .added])
        #expect(!lenient.contains { $0.breaking })
        let strict = ResponseComparison(newFieldsBreak: true).differences(recorded: recorded, current: current)
        #expect(strict.allSatisfy(\.breaking) && strict.count == 2)
    }

    @Test func arrayElementsAreCheckedAgainstTheUnionOfTheRecordedOnes() {
        // `discount` was in one recorded element only: optional. `sku` was in all: required.
        let recorded = json(#"[{"sku": "A", "discount": 1}, {"sku": "B"}]"#)
        #expect(messages(recorded, json(#"[{"sku": "C"}, {"sku": "D", "discount": 2}]"#)).isEmpty)
        let broken = ResponseComparison().differences(recorded: recorded, current: json(#"[{"discount": 1}, {}, {"sku": 7}]"#))
        #expect(broken.map(\.message) == ["$[0].sku: missing (recorded string) (in 2 elements)", "$[2].sku: recorded string, now number"])
        #expect(broken[0].occurrences == 2)
    }

    @Test func statusContentTypeAndRemovedEndpoints() {
        #expect(messages(json(#"{}"#), json(#"{"error": "x"}"#, status: 404)) == ["endpoint removed: recorded 200, now 404"])
        #expect(messages(json(#"{}"#), json(#"{}"#, status: 500)) == ["status: recorded 200, now 500"])
        #expect(messages(json(#"{"a": 1}"#), json("<html></html>", type: "text/html")) == [
            "content type: recorded application/json, now text/html",
            "$: recorded JSON, now a body that is not JSON (13 bytes)",
        ])
        #expect(messages(json(#"{"a": 1}"#), json(#"[1]"#)) == ["$: recorded object, now array"])
    }

    @Test func valuesAreComparedOnlyWhenAskedAndIgnoredPathsStayOut() throws {
        let recorded = json(#"{"id": 1, "items": [{"id": 7, "qty": 2}], "at": "2024-01-01"}"#)
        let current = json(#"{"id": 2, "items": [{"id": 8, "qty": 3}], "at": "2025-01-01"}"#)
        #expect(messages(recorded, current).isEmpty)
        #expect(messages(recorded, current, ResponseComparison(compareValues: true)) == [
            "$.at: recorded \"2024-01-01\", now \"2025-01-01\"", "$.id: recorded 1, now 2",
            "$.items[0].id: recorded 7, now 8", "$.items[0].qty: recorded 2, now 3",
        ])
        let ignored = try ["$.id", "at", "$.items[*].id"].map { try JSONPath(parsing: $0) }
        #expect(messages(recorded, current, ResponseComparison(ignored: ignored, compareValues: true)) == ["$.items[0].qty: recorded 2, now 3"])
    }

    @Test func learningMarksWhatDiffersBetweenTwoAnswers() {
        let one = json(#"{"id": "a1", "at": 1, "items": [{"id": 1, "sku": "A"}, {"id": 2, "sku": "B"}], "same": true}"#)
        let two = json(#"{"id": "b2", "at": 2, "items": [{"id": 3, "sku": "A"}, {"id": 4, "sku": "B"}], "same": true}"#)
        #expect(VolatileFields.learn(one, two).map(\.description) == ["$.at", "$.id", "$.items[*].id"])
        #expect(VolatileFields.learn(one, one).isEmpty)
    }

    @Test func pathsParseAndCover() throws {
        let pattern = try JSONPath(parsing: #"$.items[*]["unit price"]"#)
        #expect(pattern.description == #"$.items[*]["unit price"]"#)
        #expect(pattern.covers(try JSONPath(parsing: #"$.items[3]["unit price"].amount"#)))
        #expect(!pattern.covers(try JSONPath(parsing: "$.items[3].price")))
        #expect(try JSONPath(parsing: "$.*.id").covers(try JSONPath(parsing: "$.a.id")))
        #expect(throws: JSONPathError.self) { try JSONPath(parsing: "$.items[x]") }
        #expect(throws: JSONPathError.self) { try JSONPath(parsing: "$.a..b") }
    }

    @Test func nonJSONBodiesAreComparedOnlyWithValues() {
        let recorded = TapeResponse(status: 200, headers: [TapeHeader("Content-Type", "text/plain")], body: Array("one".utf8))
        let current = TapeResponse(status: 200, headers: [TapeHeader("Content-Type", "text/plain")], body: Array("two!".utf8))
        #expect(ResponseComparison().differences(recorded: recorded, current: current).isEmpty)
        #expect(ResponseComparison(compareValues: true).differences(recorded: recorded, current: current).map(\.kind) == [.body])
    }

    @Test func theJSONReportRoundTrips() throws {
        let report = VerifyReport(tape: "t.json", provider: "http://127.0.0.1:1", exchanges: [
            .init(index: 0, method: "GET", target: "/a", recordedStatus: 200, status: 404,
                  differences: [ContractDifference(.removedEndpoint, recorded: "200", current: "404", breaking: true)]),
            .init(index: 1, method: "GET", target: "/b", recordedStatus: 200, status: nil,
                  differences: [ContractDifference(.unreachable, current: "refused", breaking: true)]),
        ])
        let data = try JSONEncoder().encode(report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["broken"] as? Bool == true)
        let exchanges = try #require(object["exchanges"] as? [[String: Any]])
        #expect(exchanges[0]["recorded_status"] as? Int == 200)
        #expect(exchanges[1]["status"] is NSNull)
        #expect(try JSONDecoder().decode(VerifyReport.self, from: data) == report)
        #expect(report.text.contains("BROKEN  GET /a → 404"))
        #expect(report.text.hasSuffix("2 exchanges: 0 kept the contract, 2 broke it (2 breaking differences, 0 notes)"))
    }
}
