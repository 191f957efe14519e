import Foundation
@testable import Testbed
import Testing
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedTapes

/// The one JSON model (`JSONValue`, read with `JSONCursor`, written with `JSONLayout`) and
/// the one path grammar (`JSONPath`) that fixtures, tapes and verify share.
@Suite struct JSONModelTests {
    static func parse(_ text: String) throws -> JSONValue {
        try JSONValue(parsing: Array(text.utf8))
    }

    static func path(_ text: String) throws -> JSONPath {
        try JSONPath(parsing: text)
    }

    // MARK: The path grammar

    @Test(arguments: [
        ("$.items[*].id", "items[*].id"),
        ("$.id", "id"),
        ("$.id", ".id"),
        ("$[0].name", "[0].name"),
        (#"$["content-type"]"#, "['content-type']"),
        ("$.a.*", "a.*"),
        ("$", ""),
        ("$.card.number", "  card.number "),
    ])
    func aPathReadsTheSameWithAndWithoutTheDollar(written: String, short: String) throws {
        #expect(try Self.path(written) == Self.path(short))
        #expect(try Self.path(short).description == Self.path(written).description)
    }

    @Test func pathsKeepEveryStepTheyName() throws {
        #expect(try Self.path(#"$.a["b.c"][2][*].*['d]e']"#).components
                == [.field("a"), .field("b.c"), .index(2), .anyIndex, .anyField, .field("d]e")])
        #expect(try Self.path("$").components.isEmpty)
        #expect(try Self.path(#"$["0abc"].x"#).description == #"$["0abc"].x"#)
    }

    @Test(arguments: [
        ("$.a..b", 4, "a '.' must be followed by a field name"),
        ("$.items[x]", 8, "'[x]' is neither an index"),
        ("$.a[", 4, "'[' is never closed"),
        ("$x", 2, "unexpected 'x'"),
        ("$.a[-1]", 4, "neither an index"),
        ("  $.a.", 6, "a '.' must be followed by a field name"),
    ])
    func aBadPathSaysWhereItGoesWrong(text: String, position: Int, message: String) throws {
        let error = #expect(throws: JSONPathError.self) { try JSONPath(parsing: text) }
        #expect(error?.position == position, "\(text)")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix("invalid JSON path '\(text)' at character \(position): ") == true)
    }

    @Test func bothWildcardsReachEveryMemberAndElement() throws {
        for wildcard in ["$.*", "$[*]"] {
            var object = try Self.parse(#"{"a": 1, "b": 2}"#)
            #expect(try Self.path(wildcard).apply(.replace("x"), to: &object) == 2)
            var array = try Self.parse("[1, 2, 3]")
            #expect(try Self.path(wildcard).apply(.erase, to: &array) == 3)
            #expect(array.compactText == "[null,null,null]")
            #expect(try Self.path(wildcard).covers(Self.path("$[4]")))
            #expect(try Self.path(wildcard).covers(Self.path("$.name")))
        }
    }

    @Test func tapeRulesTakePathsWithAndWithoutTheDollarButNotTheWholeBody() throws {
        #expect(TapeMatchRules(ignoredJSON: ["nonce", "$.items[*].id", "items[0]"]).invalidPaths.isEmpty)
        #expect(TapeMatchRules(ignoredJSON: ["$", "", "$.a[x]"]).invalidPaths == ["$", "", "$.a[x]"])
        let exchange = TapeExchange(request: TapeRequest(method: "POST", target: "/pay", body: Array(#"{"card": {"number": "4111"}}"#.utf8)),
                                    response: TapeResponse(status: 200))
        let redacted = TapeRedaction(json: ["card.number"]).redact(exchange)
        #expect(String(decoding: redacted.request.body, as: UTF8.self) == #"{"card": {"number": "REDACTED"}}"#)
        #expect(TapeRedaction(json: ["card.number"]).unusedRules(in: [exchange]).isEmpty)
    }

    // MARK: The model

    @Test func aDocumentRoundTripsThroughTheCompactWriter() throws {
        let text = #"{"s":"tab\tquote\" back\\ nl\n é \u0001","n":[0,-1.5e-3,12.50,1E+2],"t":true,"f":false,"z":null,"o":{},"a":[]}"#
        let value = try Self.parse(text)
        #expect(value.compactText == text)
        #expect(try Self.parse(value.compactText) == value)
        let pretty = try Self.parse("\u{FEFF}  {\n  \"a\" : [ 1 , { \"b\" : \"\\u00e9\\ud83d\\ude00\" } ]\n}\n")
        #expect(pretty.compactText == #"{"a":[1,{"b":"é😀"}]}"#)
    }

    @Test func objectsKeepTheirKeyOrderAndRepeatedKeys() throws {
        let value = try Self.parse(#"{"z": 1, "a": 2, "m": {"y": 0, "b": 0}, "z": 3}"#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["z", "a", "m", "z"])
        #expect(value.compactText == #"{"z":1,"a":2,"m":{"y":0,"b":0},"z":3}"#)
        #expect(value.membersByKey?["z"] == .number("3"))
        #expect(value.canonical.compactText == #"{"a":2,"m":{"b":0,"y":0},"z":3}"#)
        #expect(try Self.parse(#"{"b": [1], "a": 2}"#).canonical == Self.parse(#"{"a": 2, "b": [1]}"#).canonical)
    }

    @Test func numbersStayAsWrittenUntilComparedAsData() throws {
        for number in ["12.50", "1e2", "-0", "123456789012345678901234567890", "0.1", "1E-7"] {
            #expect(try Self.parse("[\(number)]").compactText == "[\(number)]")
        }
        #expect(try Self.parse("[1e2, 12.50, 100.0, 9007199254740993]").canonical.compactText == "[100,12.5,100,9007199254740993]")
        #expect(try Self.parse("12").isSameData(as: Self.parse("1.2e1")))
        #expect(try !Self.parse("12").isSameData(as: Self.parse("\"12\"")))
    }

    @Test func aLayoutGivesBackTheBytesItWasDetectedFrom() throws {
        for text in ["{\"a\": 1, \"b\": [1, 2]}\n", "{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}", "[\"\\u00e9\"]", "{\"k\":\"\\b\\f\"}"] {
            let bytes = Array(text.utf8)
            let value = try JSONValue(parsing: bytes)
            let layout = try #require(JSONLayout.detect(value, bytes: bytes), "\(text)")
            #expect(layout.bytes(of: value) == bytes)
            var cursor = JSONCursor(bytes: bytes)
            #expect(try layout.rewrite(from: &cursor) == bytes, "\(text)")
        }
        #expect(JSONLayout.detect(try Self.parse("{ \"a\":1}"), bytes: Array("{ \"a\":1}".utf8)) == nil)
    }

    @Test(arguments: [
        ("{\n  \"a\": 1,\n}", 3, "expected a quoted key"),
        ("[1,\n 2\n", 3, "unexpected end of file"),
        ("[01]", 1, "malformed number"),
        ("\"a\nb\"", 1, "line break inside a string"),
        ("", 1, "no JSON value"),
        ("[1] [2]", 1, "after the end of the JSON value"),
        ("[\"\\x\"]", 1, "invalid escape"),
    ])
    func syntaxErrorsNameTheirLine(text: String, line: Int, message: String) throws {
        let error = #expect(throws: JSONSyntaxError.self) { try Self.parse(text) }
        #expect(error?.line == line, "\(text)")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func aFixtureReportsASyntaxErrorBeforeAShapeErrorFoundEarlier() throws {
        let error = #expect(throws: FixtureError.self) {
            try JSONFixture(bytes: Array("[\n  5,\n  {\"a\": tru}\n]".utf8), file: "f.json", table: "t")
        }
        #expect(error?.line == 3)
        #expect(error?.message.hasPrefix("malformed JSON") == true)
    }
}
