import Foundation
@testable import Testbed
import Testing
@testable import TestbedModel
@testable import TestbedTapes

/// The tape file: byte-exact bodies of every kind through a write and a load, readable
/// storage, errors with file and line, newer versions refused, atomic replacement.
@Suite struct TapeFileTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tapes-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        return url
    }

    static func exchange(body: [UInt8], type: String = "application/json") -> TapeExchange {
        TapeExchange(request: TapeRequest(method: "POST", target: "/v1/x?a=1", headers: [TapeHeader("Content-Type", type)], body: body),
                     response: TapeResponse(status: 201, reason: "Made", headers: [TapeHeader("Content-Type", type),
                                                                                  TapeHeader("Set-Cookie", "a=1"),
                                                                                  TapeHeader("Set-Cookie", "b=2")], body: body),
                     recordedAt: Date(timeIntervalSince1970: 1_800_000_000.125), duration: .microseconds(12_345))
    }

    /// Bodies a real server sends, each in the form it must be stored in.
    static let bodies: [(bytes: [UInt8], form: String)] = [
        (Array(#"{"a":1,"b":[1,2.50,{"c":null}],"d":"é\n\"x\""}"#.utf8), #""layout": "compact""#),
        (Array(#"{"z": 1, "a": [true, false], "s": "\u00e9\u0001"}"#.utf8) + [0x0A], #""layout": "spaced+ascii+newline""#),
        (Array("{\n  \"b\": 1,\n  \"a\": {\n    \"x\": [],\n    \"y\": {}\n  }\n}".utf8), #""layout": "indent2""#),
        (Array("[\n    1,\n    1e10,\n    -0.0\n]\n".utf8), #""layout": "indent4+newline""#),
        (Array("{\n\t\"k\": \"v\"\n}".utf8), #""layout": "tab""#),
        (Array(#"{"url":"http:\/\/x"}"#.utf8), #""text": "{\"url\":\"http:\\/\\/x\"}""#),
        (Array(#"{"a" :1}"#.utf8), #""text""#),
        (Array("plain text\r\nwith é and \u{1}".utf8), #""text": "plain text\r\nwith é and \u0001""#),
        ([0x00, 0xFF, 0x10, 0x80, 0x41], #""base64": "AP8QgEE=""#),
        (Array("<html>héllo</html>".utf8), #""text": "<html>héllo</html>""#),
    ]

    @Test(arguments: 0..<bodies.count)
    func bodiesRoundTripByteForByte(_ which: Int) throws {
        let (bytes, form) = Self.bodies[which]
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.json")
        let tape = Tape(exchanges: [Self.exchange(body: bytes)])
        try tape.write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.contains(form))
        let loaded = try Tape.load(from: url)
        #expect(loaded == tape)
        #expect(loaded.exchanges.first?.response.body == bytes)
        try loaded.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == text)
    }

    @Test func theFileIsReadableAndStable() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.json")
        var plain = Self.exchange(body: Array(#"{"id":7,"name":"x"}"#.utf8))
        plain.request.body = []
        try Tape(exchanges: [plain]).write(to: url)
        let expected = """
            {
              "testbed_tape": 1,
              "exchanges": [
                {
                  "request": {
                    "method": "POST",
                    "target": "/v1/x?a=1",
                    "headers": [
                      ["Content-Type", "application/json"]
                    ]
                  },
                  "response": {
                    "status": 201,
                    "reason": "Made",
                    "headers": [
                      ["Content-Type", "application/json"],
                      ["Set-Cookie", "a=1"],
                      ["Set-Cookie", "b=2"]
                    ],
                    "body": {
                      "layout": "compact",
                      "json": {
                        "id": 7,
                        "name": "x"
                      }
                    }
                  },
                  "recorded_at": "2027-01-15T08:00:00.125Z",
                  "duration_ms": 12.345
                }
              ]
            }

            """
        #expect(try String(contentsOf: url, encoding: .utf8) == expected)
        try Tape().write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "{\n  \"testbed_tape\": 1,\n  \"exchanges\": []\n}\n")
        #expect(try Tape.load(from: url) == Tape())
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o077 } == 0, "a tape is private by default (TapeFileSafetyTests)")
    }

    static func loadError(_ text: String) throws -> TapeError? {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("bad.json")
        try text.write(to: url, atomically: false, encoding: .utf8)
        do {
            _ = try Tape.load(from: url)
            return nil
        } catch {
            #expect(error.file == url.path)
            #expect(error.description.hasPrefix(url.path + ":"))
            return error
        }
    }

    @Test func errorsNameTheLine() throws {
        let good = String(decoding: TapeFileWriter.bytes(of: Tape(exchanges: [Self.exchange(body: Array(#"{"id":7}"#.utf8))])),
                          as: UTF8.self)
        let truncated = try Self.loadError(String(good.prefix(good.count - 12)))
        #expect(truncated?.code == .malformed)
        #expect(truncated?.line == good.prefix(good.count - 12).filter { $0 == "\n" }.count + 1)
        let badStatus = try Self.loadError(good.replacingOccurrences(of: "\"status\": 201", with: "\"status\": \"201\""))
        #expect(badStatus?.code == .invalid)
        #expect(badStatus?.line == Self.line(of: "\"status\"", in: good))
        #expect(badStatus?.message.contains("\"status\" must be an HTTP status code") == true)
        let badHeader = try Self.loadError(good.replacingOccurrences(of: "[\"Set-Cookie\", \"a=1\"]", with: "[\"Set-Cookie\"]"))
        #expect(badHeader?.line == Self.line(of: "Set-Cookie", in: good))
        let badLayout = try Self.loadError(good.replacingOccurrences(of: "\"compact\"", with: "\"sideways\""))
        #expect(badLayout?.line == Self.line(of: "\"layout\"", in: good))
        let unknownKey = try Self.loadError(good.replacingOccurrences(of: "\"duration_ms\"", with: "\"duration\""))
        #expect(unknownKey?.message.contains("unknown key \"duration\"") == true)
        #expect(try Self.loadError("")?.code == .malformed)
        #expect(try Self.loadError("{\"exchanges\": []}")?.message.contains("not a Testbed tape") == true)
        #expect(try Self.loadError("just: yaml\n")?.message.contains("nor a VCR.py cassette") == true)
    }

    @Test func aNewerFormatIsRefused() throws {
        let error = try Self.loadError("{\n  \"testbed_tape\": 2,\n  \"exchanges\": [{\"new\": \"shape\"}]\n}\n")
        #expect(error?.code == .newerVersion)
        #expect(error?.line == 2)
        #expect(error?.message.contains("format version 2, written by a newer Testbed") == true)
    }

    /// A hand-edited tape: `json` before its `layout`, escapes the writer would not use.
    @Test func handEditedJSONBodiesStillComeBackInTheirLayout() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.json")
        for body in [#"{"json": {"a": "x\/y\u00e9", "b": [1, {}]}, "layout": "spaced+ascii"}"#,
                     #"{"layout": "spaced+ascii", "json": {"a": "x\/y\u00e9", "b": [1, {}]}}"#] {
            try """
                {"testbed_tape": 1, "exchanges": [
                  {"request": {"method": "GET", "target": "/"}, "response": {"status": 200, "body": \(body)}}]}
                """.write(to: url, atomically: false, encoding: .utf8)
            let loaded = try Tape.load(from: url)
            #expect(loaded.exchanges.first?.response.body == Array(#"{"a": "x/y\u00e9", "b": [1, {}]}"#.utf8), "\(body)")
        }
    }

    /// Testbed writes the version first, and the reader then reads the exchanges in the same
    /// pass; with the version last it checks the rest of the tape first. A tape with more
    /// than one fault reports the same one either way.
    @Test func theFaultReportedDoesNotDependOnWhereTheVersionIs() throws {
        let badStatus = #"{"request": {"method": "GET", "target": "/"}, "response": {"status": "200"}}"#
        let cases: [(exchange: String, rest: String, line: Int, message: String)] = [
            (badStatus, #""extra": 1,"#, 3, "unknown key \"extra\""),
            (badStatus, #""exchanges": [],"#, 3, "\"exchanges\" appears twice"),
            (badStatus, #""extra" 1,"#, 3, "expected ':' after key \"extra\""),
            (badStatus, "", 2, "\"status\" must be an HTTP status code"),
            ("{\"request\": 1,\n\"response\" 2}", "", 3, "expected ':' after key \"response\""),
        ]
        for (exchange, rest, line, message) in cases {
            let tail = rest.isEmpty ? "" : ",\n" + rest.dropLast()
            let first = try Self.loadError("{\"testbed_tape\": 1,\n\"exchanges\": [\(exchange)]\(tail)}")
            let last = try Self.loadError("{\n\"exchanges\": [\(exchange)],\n\(rest) \"testbed_tape\": 1}")
            #expect(first?.line == line, "\(rest)")
            #expect(first?.message.contains(message) == true, "\(String(describing: first))")
            #expect(first?.code == last?.code)
            #expect(first?.line == last?.line)
            #expect(first?.message == last?.message)
        }
    }

    /// Keys are matched by their bytes, but an escaped key means the same as the plain one;
    /// JSON body keys with escapes or non-ASCII text are written back in the body's layout.
    @Test func escapedKeysReadAsTheirText() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("t.json")
        try #"""
            {"testbed_tape": 1, "exchanges": [{"request": {"method": "GET", "target": "/"},
              "response": {"status": 200, "body": {"layout": "compact", "json": {"kéy": "vé", "é": ["\/"]}}}}]}
            """#.write(to: url, atomically: false, encoding: .utf8)
        let loaded = try Tape.load(from: url)
        #expect(loaded.exchanges.first?.request.target == "/")
        #expect(loaded.exchanges.first?.response.body == Array(#"{"kéy":"vé","é":["/"]}"#.utf8))
        try #"{"testbed_tape": 1, "exchanges": [{"requests": {}}]}"#.write(to: url, atomically: false, encoding: .utf8)
        #expect(throws: TapeError.self) { try Tape.load(from: url) }
    }

    static func line(of needle: String, in text: String) -> Int? {
        text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(needle) }.map { $0 + 1 }
    }
}
