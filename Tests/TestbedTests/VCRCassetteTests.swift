import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedTapes

/// VCR.py cassettes: one that vcrpy itself records against a local server loads as a tape
/// with the same requests and byte-identical bodies; hand-written ones cover `!!binary`,
/// repeated headers and errors with a line. The vcrpy test is skipped only when pip cannot
/// reach PyPI.
@Suite(.serialized) struct VCRCassetteTests {
    /// A virtual environment with vcrpy and requests, kept between runs in the user's cache.
    static let python = PythonVenv("vcrpy-9.4.2", packages: ["vcrpy==9.4.2", "requests==2.34.2"])
    static var venv: String { python.path }
    static var setup: PythonVenv.Setup { python.setup }
    static var reachable: Bool { python.reachable }

    /// A local server and a client that records a cassette with vcrpy (argv[1]).
    static let recorder = #"""
        import http.server, json, sys, threading
        import requests, vcr

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self, status, body, kind, reason=None):
                self.send_response(status, reason)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Trace", "one")
                self.send_header("X-Trace", "two")
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                if self.path.startswith("/hello"):
                    self.answer(200, json.dumps({"greeting": "héllo", "path": self.path}).encode(), "application/json")
                elif self.path == "/binary":
                    self.answer(200, bytes(range(256)), "application/octet-stream")
                else:
                    self.answer(404, b"no such page\n", "text/plain; charset=utf-8")
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.answer(201, body, "application/json", "Made It")
            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d" % server.server_address[1]
        with vcr.use_cassette(sys.argv[1], record_mode="all"):
            with requests.Session() as session:
                session.headers["Accept-Encoding"] = "identity"
                assert session.get(base + "/hello?b=2&a=1").status_code == 200
                assert session.post(base + "/charges", json={"amount": 100, "currency": "EUR"}).status_code == 201
                assert session.get(base + "/binary").content == bytes(range(256))
                assert session.get(base + "/missing").status_code == 404
        server.shutdown()
        print("recorded")
        """#

    @Test(.enabled(if: reachable, "PyPI is unreachable: pip cannot download vcrpy 9.4.2 and requests 2.34.2"))
    func aCassetteRecordedByVcrpyLoadsAsATape() async throws {
        if case .failed(let why) = Self.setup { Issue.record(Comment(rawValue: why)); return }
        let folder = try TapeFileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cassette = folder.appendingPathComponent("cassette.yaml")
        let result = try await onThread { try shell([Self.venv + "/bin/python", "-c", Self.recorder, cassette.path]) }
        #expect(result.status == 0, "\(result.output)")
        let text = try String(contentsOf: cassette, encoding: .utf8)
        #expect(text.contains("interactions:") && text.contains("!!binary"), "vcrpy wrote:\n\(text)")

        let tape = try Tape.load(from: cassette)
        #expect(tape.exchanges.map(\.request.method) == ["GET", "POST", "GET", "GET"])
        #expect(tape.exchanges.map(\.request.target) == ["/hello?b=2&a=1", "/charges", "/binary", "/missing"])
        #expect(tape.exchanges.map(\.response.status) == [200, 201, 200, 404])
        #expect(tape.exchanges.map(\.response.reason) == [nil, "Made It", nil, nil])
        let bodies = tape.exchanges.map(\.response.body)
        #expect(bodies[0] == Array(#"{"greeting": "h\u00e9llo", "path": "/hello?b=2&a=1"}"#.utf8))
        #expect(bodies[1] == Array(#"{"amount": 100, "currency": "EUR"}"#.utf8))
        #expect(bodies[2] == (0...255).map { UInt8($0) })
        #expect(bodies[3] == Array("no such page\n".utf8))
        #expect(tape.exchanges[1].request.body == bodies[1])
        #expect(tape.exchanges[0].response.headers.filter { $0.matches("x-trace") }.map(\.value) == ["one", "two"])
        #expect(tape.exchanges[1].request.headers.first("Content-Type") == "application/json")

        // Converted, written as a Testbed tape and replayed: the same exchanges, byte for byte.
        let converted = folder.appendingPathComponent("tape.json")
        try tape.write(to: converted)
        #expect(try Tape.load(from: converted) == tape)
        let player = TapePlayer(tape: tape)
        let answer = player.answer(for: TapeRequest(method: "POST", target: "/charges", body: Array(#"{"currency":"EUR","amount":100}"#.utf8)))
        guard case .hit(let exchange, index: 1) = answer else { Issue.record("no hit: \(answer)"); return }
        #expect(exchange.response.body == bodies[1])
    }

    static func load(_ yaml: String) throws -> Tape {
        let folder = try TapeFileTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("cassette.yml")
        try yaml.write(to: url, atomically: false, encoding: .utf8)
        return try Tape.load(from: url)
    }

    @Test func aHandWrittenCassetteKeepsBinaryBodiesAndRepeatedHeaders() throws {
        let tape = try Self.load("""
            interactions:
            - request:
                body: !!binary |
                  AP8Q
                headers:
                  Accept: ['*/*']
                method: put
                uri: https://api.example.com:8443?q=1#frag
              response:
                body: {string: ''}
                headers:
                  Set-Cookie: [a=1, b=2]
                status: {code: 204, message: No Content}
            - request: {body: null, headers: {}, method: GET, uri: 'http://h/x/y'}
              response:
                body:
                  string: !!binary |
                    aGVs
                    bG8=
                headers: {}
                status: {code: 299, message: Odd}
            version: 1
            """)
        #expect(tape.exchanges.count == 2)
        let first = tape.exchanges[0]
        #expect(first.request.method == "PUT")
        #expect(first.request.target == "/?q=1")
        #expect(first.request.body == [0x00, 0xFF, 0x10])
        #expect(first.response.headers == [TapeHeader("Set-Cookie", "a=1"), TapeHeader("Set-Cookie", "b=2")])
        #expect(first.response.reason == nil)
        #expect(first.response.body.isEmpty)
        #expect(tape.exchanges[1].request.target == "/x/y")
        #expect(tape.exchanges[1].response.reason == "Odd")
        #expect(tape.exchanges[1].response.body == Array("hello".utf8))
    }

    @Test func badCassettesNameTheLine() throws {
        let broken = #expect(throws: TapeError.self) { try Self.load("interactions:\n- request: {method: GET\nversion: 1\n") }
        #expect(broken?.code == .malformed)
        #expect(broken?.line != nil)
        let noStatus = #expect(throws: TapeError.self) {
            try Self.load("interactions:\n- request: {method: GET, uri: 'http://h/'}\n  response:\n    body: {string: x}\nversion: 1\n")
        }
        #expect(noStatus?.code == .invalid)
        #expect(noStatus?.line == 4)
        #expect(noStatus?.message.contains("status") == true)
        let newer = #expect(throws: TapeError.self) { try Self.load("interactions: []\nversion: 2\n") }
        #expect(newer?.code == .newerVersion)
        #expect(newer?.line == 2)
    }
}

extension VCRCassetteTests {
    /// vcrpy's `serializer="json"` writes the same cassette as JSON.
    @Test func aJSONCassetteIsReadToo() throws {
        let tape = try Self.load("""
            {"interactions": [{"request": {"body": "{\\"a\\": 1}", "headers": {"Content-Type": ["application/json"]},
              "method": "POST", "uri": "http://127.0.0.1:9/x?y=1"},
              "response": {"body": {"string": "ok"}, "headers": {}, "status": {"code": 200, "message": "OK"}}}],
             "version": 1}
            """)
        #expect(tape.exchanges.map(\.request.target) == ["/x?y=1"])
        #expect(tape.exchanges.first?.request.body == Array(#"{"a": 1}"#.utf8))
        #expect(tape.exchanges.first?.response.body == Array("ok".utf8))
    }
}
