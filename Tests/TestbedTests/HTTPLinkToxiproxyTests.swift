import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedLinks

/// HTTP faults through the run's Toxiproxy endpoint (`TOXIPROXY_URL`), on an HTTP link in
/// front of a real upstream process; curl is the client of the link.
@Suite(.serialized) struct HTTPLinkToxiproxyTests {
    /// A call to the endpoint: the status and the JSON object answered (empty for none).
    static func call(_ client: ToxiproxyClient, _ method: String, _ path: String,
                     _ body: String? = nil) async throws -> (status: Int, json: [String: Any]) {
        let answer = try await client.request(method, path, body: body.map { Data($0.utf8) })
        let json = answer.body.isEmpty ? [:] : try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        return (answer.status, json ?? [:])
    }

    @Test func aToxicUpdateChangesEveryAttributeOfAnHTTPFaultWithTheChecksOfAnAdd() async throws {
        let stack = try TestStack(HTTPLinkFaultTests.manifest())
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        do {
            try await Self.updates(environment)
        } catch {
            await environment.stop()
            throw error
        }
        await environment.stop()
    }

    static func updates(_ environment: Environment) async throws {
        let exports = await environment.exports
        let api = try #require(exports["API_URL"])
        let client = try ToxiproxyClient(url: try #require(exports["TOXIPROXY_URL"]))
        func curl(_ arguments: String...) async throws -> String {
            try await runCommand(["curl", "-s"] + arguments).replacingOccurrences(of: "\r", with: "")
        }

        let added = try await call(client, "POST", "/proxies/api/toxics", #"""
            {"name": "busy", "type": "http_status", "attributes": {"status": 503, "method": "POST", "path": "/echo",
             "body": "busy", "headers": {"Retry-After": "2"}}}
            """#)
        #expect(added.status == 200, "\(added.json)")
        let before = try await curl("-i", "-X", "POST", "-d", "{}", api + "/echo")
        #expect(before.hasPrefix("HTTP/1.1 503") && before.contains("Retry-After: 2") && before.hasSuffix("\nbusy"), "\(before)")

        // Every attribute changes: status, body, method, path, a header's value, a new header.
        let updated = try await call(client, "POST", "/proxies/api/toxics/busy", #"""
            {"attributes": {"status": 429, "body": "slow down", "method": "get", "path": "/items*",
             "headers": {"Retry-After": "9", "X-Why": "quota"}}, "toxicity": 1}
            """#)
        #expect(updated.status == 200, "\(updated.json)")
        let attributes = updated.json["attributes"] as? [String: Any] ?? [:]
        #expect(attributes["status"] as? Int == 429 && attributes["body"] as? String == "slow down")
        #expect(attributes["method"] as? String == "GET" && attributes["path"] as? String == "/items*")
        #expect(attributes["headers"] as? [String: String] == ["Retry-After": "9", "X-Why": "quota"], "\(attributes)")
        let items = try await curl("-i", api + "/items?x=1")
        #expect(items.hasPrefix("HTTP/1.1 429") && items.contains("Retry-After: 9") && items.contains("X-Why: quota"), "\(items)")
        #expect(items.hasSuffix("\nslow down"), "\(items)")
        #expect(try await curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "{}", api + "/echo") == "200",
                "POST /echo no longer matches")

        // PATCH with part of the attributes: the rest stays; `*` matches any method.
        let patched = try await call(client, "PATCH", "/proxies/api/toxics/busy", #"{"attributes": {"method": "*", "path": "/count"}}"#)
        let after = patched.json["attributes"] as? [String: Any] ?? [:]
        #expect(patched.status == 200 && after["method"] == nil && after["path"] as? String == "/count", "\(patched.json)")
        #expect(after["status"] as? Int == 429 && after["body"] as? String == "slow down")
        #expect(try await curl("-w", " %{http_code}", api + "/count") == "slow down 429")
        #expect(try await curl("-o", "/dev/null", "-w", "%{http_code}", api + "/items") == "200")

        // Another type: a cut body moved to /big and shortened.
        _ = try await call(client, "POST", "/proxies/api/toxics", #"{"type": "http_cut_body", "attributes": {"bytes": 500, "path": "/nothing"}}"#)
        let cut = try await call(client, "POST", "/proxies/api/toxics/http_cut_body", #"{"attributes": {"bytes": 50, "path": "/big"}}"#)
        #expect(cut.status == 200, "\(cut.json)")
        let big = try await runCommand(["sh", "-c", "curl -s \"$0/big\" | wc -c", api])
        #expect(big.trimmingCharacters(in: .whitespacesAndNewlines) == "50", "\(big)")

        // A bad update is refused with the message an add of the same attributes gets, and changes nothing.
        func sorted(_ json: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: json, options: .sortedKeys), as: UTF8.self)
        }
        let kept = try sorted(try await call(client, "GET", "/proxies/api/toxics/busy").json)
        let bad: [(attributes: String, words: String)] = [
            (#""path": "items""#, "must start with '/'"),
            (#""method": "G E T""#, "is not an HTTP method"),
            (#""latency": 5"#, "has no numeric attribute 'latency'"),
            (#""status": "503""#, "'status' is a whole number"),
            (#""status": 700"#, "out of range"),
            (#""status": 1.5"#, "must be a whole number"),
            (#""headers": {"Bad Name": "x"}"#, "header name 'Bad Name' is not valid"),
        ]
        for (fragment, words) in bad {
            let update = try await call(client, "POST", "/proxies/api/toxics/busy", #"{"attributes": {\#(fragment)}}"#)
            let full = fragment.contains("\"status\"") ? fragment : #""status": 429, "# + fragment
            let add = try await call(client, "POST", "/proxies/api/toxics",
                                     #"{"name": "busy", "type": "http_status", "attributes": {\#(full)}}"#)
            let message = update.json["error"] as? String ?? ""
            #expect(update.status == 400 && message.contains(words), "\(fragment): \(update.json)")
            #expect(add.status == 400 && add.json["error"] as? String == message, "\(fragment): add \(add.json), update \(message)")
        }
        let unchanged = try sorted(try await call(client, "GET", "/proxies/api/toxics/busy").json)
        #expect(unchanged == kept && kept.contains("slow down"), "\(unchanged)")
    }

    @Test func anUpdateChecksTextAttributesAsAnAddDoes() throws {
        let tcp = Fault.latency(.milliseconds(10))
        let refused = #expect(throws: LinkError.self) { try tcp.updated(attributes: [:], text: ["path": "/x"]) }
        #expect(refused?.message.contains("has no attribute 'path' that takes text") == true, "\(String(describing: refused))")
        let status = Fault.httpStatus(503, headers: [TapeHeader("Retry-After", "2")], path: "/a")
        let moved = try status.updated(attributes: ["status": 502], text: ["path": "/b*", "header.X-Why": "down"])
        #expect(moved.attributes == ["status": 502])
        #expect(moved.text == ["path": "/b*", "header.Retry-After": "2", "header.X-Why": "down"])
        #expect(throws: LinkError.self) { try status.updated(attributes: [:], text: ["path": "b"]) }
    }
}
