import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedLinks

/// The HTTP link's pieces that need no network: upstream URLs, HTTP faults (matching, JSON,
/// validation), body decoding, modes.
@Suite struct HTTPLinkUnitTests {
    @Test func upstreamURLsParseAndBadOnesSayWhy() throws {
        let url = try HTTPUpstreamURL(parsing: "https://api.example.com/v1/")
        #expect(url.scheme == "https" && url.host == "api.example.com" && url.port == 443 && url.basePath == "/v1")
        #expect(url.url(for: "/charges?id=7") == "https://api.example.com:443/v1/charges?id=7")
        let local = try HTTPUpstreamURL(parsing: "http://[::1]:8080")
        #expect(local.host == "::1" && local.port == 8080 && local.basePath == "")
        for (text, why) in [("ftp://x", "only http and https"), ("http://", "no host"), ("http://h:99999", "bad port"),
                            ("http://h/a?b=1", "query"), ("http://user:pw@h", "user info"), ("api.example.com", "no scheme")] {
            #expect {
                try HTTPUpstreamURL(parsing: text)
            } throws: { error in
                "\(error)".contains(why)
            }
        }
    }

    @Test func httpFaultsMatchMethodAndPathAndRoundTripThroughJSON() throws {
        let fault = Fault.httpStatus(503, body: "busy", headers: [TapeHeader("Retry-After", "2")], method: "post",
                                     path: "/charges*", toxicity: 0.5)
        guard case .http(let http) = fault.kind else { Issue.record("not an HTTP fault"); return }
        #expect(http.matches(method: "POST", target: "/charges/7?x=1"))
        #expect(!http.matches(method: "GET", target: "/charges"))
        #expect(!http.matches(method: "POST", target: "/refunds"))
        #expect(fault.name == "http_status")
        let data = try JSONEncoder().encode(fault)
        let decoded = try JSONDecoder().decode(Fault.self, from: data)
        #expect(decoded.type == "http_status" && decoded.attributes == ["status": 503])
        #expect(decoded.text == ["method": "POST", "path": "/charges*", "body": "busy", "header.Retry-After": "2"])
        #expect(decoded == fault)
        let parsed = try Fault(type: "http_status", attributes: ["status": 503],
                               text: ["method": "POST", "path": "/charges*", "body": "busy", "header.Retry-After": "2"],
                               toxicity: 0.5)
        #expect(parsed == fault)
        #expect(fault.summary == "http_status: http_status body=busy header.Retry-After=2 method=POST path=/charges* status=503 (toxicity 0.5)")
    }

    @Test func badHTTPFaultsAreRefusedWithTheReason() {
        let cases: [(String, [String: Int], [String: String], String)] = [
            ("http_status", [:], [:], "needs a status"),
            ("http_status", ["status": 700], [:], "out of range"),
            ("http_latency", ["latency": 5], ["body": "x"], "has no attribute 'body'"),
            ("http_cut_body", ["bytes": 3], ["path": "charges"], "must start with '/'"),
            ("latency", ["latency": 5], ["path": "/x"], "has no attribute 'path' that takes text"),
            ("http_teapot", [:], [:], "unknown fault type 'http_teapot'"),
        ]
        for (type, numbers, text, why) in cases {
            #expect {
                try Fault(type: type, attributes: numbers, text: text)
            } throws: { error in
                "\(error)".contains(why)
            }
        }
    }

    @Test func gzipAndDeflateBodiesAreDecodedByRealEncoders() async throws {
        let plain = Array(String(repeating: "tapes keep plain bodies; ", count: 200).utf8)
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(plain).write(to: URL(fileURLWithPath: folder + "/body"))
        _ = try await runCommand(["gzip", "-k", folder + "/body"])
        let gzipped = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/body.gz")))
        #expect(HTTPBodyCoding.decode(gzipped, encoding: "gzip") == plain)
        _ = try await runCommand(["python3", "-c", "import sys, zlib; open(sys.argv[1] + '.z', 'wb').write(zlib.compress(open(sys.argv[1], 'rb').read()))",
                            folder + "/body"])
        let zlibbed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/body.z")))
        #expect(HTTPBodyCoding.decode(zlibbed, encoding: "deflate") == plain)
        #expect(HTTPBodyCoding.decode(Array(gzipped.dropLast(10)), encoding: "gzip") == nil, "a truncated body is not decoded")
        #expect(HTTPBodyCoding.decode(plain, encoding: "br") == nil)
        #expect(HTTPBodyCoding.decode(plain, encoding: "identity") == plain)
    }

    @Test func onceRecordsWithoutATapeAndReplaysWithOne() {
        #expect(TapeMode.once.resolved(tapeExists: false) == .record)
        #expect(TapeMode.once.resolved(tapeExists: true) == .replay)
        #expect(TapeMode(rawValue: "record_missing") == .recordMissing)
        #expect(!TapeMode.replay.forwards && TapeMode.recordMissing.readsTape && TapeMode.recordMissing.writesTape)
    }
}
