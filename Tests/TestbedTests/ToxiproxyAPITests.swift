import Foundation
import NIOCore
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedLinks

/// The Toxiproxy-compatible endpoint over real links: routes, status codes and JSON shapes
/// as Toxiproxy documents them, bad input answered with 4xx, and other users refused.
@Suite struct ToxiproxyAPITests {
    /// A link set with its endpoint, and an echo server to forward to.
    struct Fixture {
        let links = LinkSet()
        let server: ToxiproxyServer
        let client: ToxiproxyClient
        let echo: ToxiproxyEcho

        init() async throws {
            echo = try ToxiproxyEcho()
            server = try await ToxiproxyServer.start(links: links, port: try PortAllocator().reserve())
            client = try ToxiproxyClient(url: server.url)
        }

        func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> (status: Int, json: Any?) {
            let answer = try await client.request(method, path, body: body.map { Data($0.utf8) })
            return (answer.status, answer.body.isEmpty ? nil : try JSONSerialization.jsonObject(with: answer.body))
        }

        func close() async {
            await links.deleteAll()
            await server.stop()
            echo.stop()
        }
    }

    @Test func proxiesAndToxicsFollowToxiproxysRoutesAndShapes() async throws {
        let f = try await Fixture()
        let version = try await f.call("GET", "/version")
        #expect(version.status == 200 && (version.json as? [String: String])?["version"]?.hasPrefix("2.") == true)

        let created = try await f.call("POST", "/proxies", #"{"name":"api","listen":"localhost:0","upstream":"127.0.0.1:\#(f.echo.port)"}"#)
        #expect(created.status == 201)
        let proxy = try #require(created.json as? [String: Any])
        #expect(proxy["name"] as? String == "api" && proxy["enabled"] as? Bool == true)
        #expect((proxy["toxics"] as? [Any])?.isEmpty == true)
        let listen = try #require(proxy["listen"] as? String)
        let port = try #require(Int(listen.split(separator: ":").last ?? ""))
        #expect(port > 0)
        #expect(try await onThread { try ToxiproxyEcho.roundTrip(port: port, "hello") } == "hello")

        let toxic = try await f.call("POST", "/proxies/api/toxics",
                                     #"{"type":"latency","stream":"upstream","attributes":{"latency":40}}"#)
        #expect(toxic.status == 200)
        let added = try #require(toxic.json as? [String: Any])
        #expect(added["name"] as? String == "latency_upstream" && added["toxicity"] as? Double == 1)
        #expect((added["attributes"] as? [String: Int]) == ["latency": 40, "jitter": 0])

        let updated = try await f.call("POST", "/proxies/api/toxics/latency_upstream", #"{"attributes":{"jitter":5},"toxicity":0.5}"#)
        #expect(((updated.json as? [String: Any])?["attributes"] as? [String: Int]) == ["latency": 40, "jitter": 5])
        #expect((updated.json as? [String: Any])?["toxicity"] as? Double == 0.5)
        #expect(try await f.call("GET", "/proxies/api/toxics").json.map { ($0 as? [Any])?.count } == 1)
        #expect(try await f.call("GET", "/proxies/api/toxics/latency_upstream").status == 200)
        let all = try #require(try await f.call("GET", "/proxies").json as? [String: [String: Any]])
        #expect(all.keys.sorted() == ["api"] && (all["api"]?["toxics"] as? [Any])?.count == 1)

        #expect(try await f.call("DELETE", "/proxies/api/toxics/latency_upstream").status == 204)
        #expect(try await f.call("GET", "/proxies/api/toxics/latency_upstream").status == 404)

        // Disabled: the port refuses connections; enabled again, it forwards.
        let down = try await f.call("POST", "/proxies/api", #"{"enabled":false}"#)
        #expect(down.status == 200 && (down.json as? [String: Any])?["enabled"] as? Bool == false)
        #expect((try? await onThread { try ToxiproxyEcho.roundTrip(port: port, "x") }) == nil)
        #expect(try await f.call("PATCH", "/proxies/api", #"{"enabled":true}"#).status == 200)
        #expect(try await onThread { try ToxiproxyEcho.roundTrip(port: port, "again") } == "again")

        // Reset: every proxy up, every toxic gone.
        _ = try await f.call("POST", "/proxies/api/toxics", #"{"type":"timeout","attributes":{"timeout":0}}"#)
        _ = try await f.call("POST", "/proxies/api", #"{"enabled":false}"#)
        #expect(try await f.call("POST", "/reset").status == 204)
        let after = try #require(try await f.call("GET", "/proxies/api").json as? [String: Any])
        #expect(after["enabled"] as? Bool == true && (after["toxics"] as? [Any])?.isEmpty == true)

        #expect(try await f.call("DELETE", "/proxies/api").status == 204)
        #expect(try await f.call("GET", "/proxies/api").status == 404)
        #expect((try? await onThread { try ToxiproxyEcho.roundTrip(port: port, "x") }) == nil)
        await f.close()
    }

    @Test func populateCreatesOrKeepsProxiesAndAnswersWithThem() async throws {
        let f = try await Fixture()
        let list = #"[{"name":"a","upstream":"127.0.0.1:\#(f.echo.port)"},{"name":"b","listen":"127.0.0.1:0","upstream":"127.0.0.1:\#(f.echo.port)","enabled":false}]"#
        let first = try await f.call("POST", "/populate", list)
        #expect(first.status == 201)
        let proxies = try #require((first.json as? [String: Any])?["proxies"] as? [[String: Any]])
        #expect(proxies.map { $0["name"] as? String } == ["a", "b"])
        #expect(proxies.map { $0["enabled"] as? Bool } == [true, false])
        // The same list again leaves the proxies where they are.
        let second = try await f.call("POST", "/populate", list)
        let again = try #require((second.json as? [String: Any])?["proxies"] as? [[String: Any]])
        #expect(again.map { $0["listen"] as? String } == proxies.map { $0["listen"] as? String })
        let missing = try await f.call("POST", "/populate", #"[{"name":"c"}]"#)
        #expect(missing.status == 400 && ((missing.json as? [String: Any])?["error"] as? String)?.contains("upstream") == true)
        await f.close()
    }

    @Test func badInputGetsA4xxWithAJSONErrorAndTheEndpointKeepsServing() async throws {
        let f = try await Fixture()
        let upstream = "127.0.0.1:\(f.echo.port)"
        _ = try await f.call("POST", "/proxies", #"{"name":"db","upstream":"\#(upstream)"}"#)
        _ = try await f.call("POST", "/proxies/db/toxics", #"{"type":"latency","attributes":{"latency":10}}"#)
        let cases: [(String, String, String?, Int, String)] = [
            ("POST", "/proxies", #"{"name":"db","upstream":"\#(upstream)"}"#, 409, "exists"),
            ("POST", "/proxies", #"{"name":"x"}"#, 400, "upstream"),
            ("POST", "/proxies", #"{"upstream":"\#(upstream)"}"#, 400, "name"),
            ("POST", "/proxies", #"{"name":"x","listen":"0.0.0.0:0","upstream":"\#(upstream)"}"#, 400, "loopback"),
            ("POST", "/proxies", #"{"name":"x","upstream":"127.0.0.1:\#(f.server.port)"}"#, 400, "Toxiproxy endpoint"),
            ("POST", "/proxies", #"{"name": }"#, 400, "bad request body"),
            ("POST", "/proxies", "not json", 400, "bad request body"),
            ("GET", "/proxies/nope", nil, 404, "nope"),
            ("POST", "/proxies/nope/toxics", #"{"type":"latency"}"#, 404, "nope"),
            ("POST", "/proxies/db/toxics", #"{"type":"latency","attributes":{"latency":10}}"#, 409, "latency_downstream"),
            ("POST", "/proxies/db/toxics", #"{"type":"lag"}"#, 400, "lag"),
            ("POST", "/proxies/db/toxics", #"{"type":"latency","attributes":{"latency":-5}}"#, 400, "latency"),
            ("POST", "/proxies/db/toxics", #"{"type":"latency","attributes":{"latncy":5}}"#, 400, "latncy"),
            ("POST", "/proxies/db/toxics", #"{"type":"latency","toxicity":1.5}"#, 400, "toxicity"),
            ("POST", "/proxies/db/toxics", #"{"type":"latency","stream":"sideways"}"#, 400, "sideways"),
            ("POST", "/proxies/db/toxics", #"{"attributes":{}}"#, 400, "type"),
            ("POST", "/proxies/db/toxics", "{", 400, "bad request body"),
            ("GET", "/proxies/db/toxics/nope", nil, 404, "nope"),
            ("DELETE", "/proxies/db/toxics/nope", nil, 404, "nope"),
            ("POST", "/proxies/db/toxics/latency_downstream", #"{"attributes":{"latency":-1}}"#, 400, "latency"),
            ("GET", "/nothing", nil, 404, "no such endpoint"),
            ("PUT", "/proxies", nil, 405, "PUT"),
            ("POST", "/populate", #"{"name":"x"}"#, 400, "array"),
        ]
        for (method, path, body, status, words) in cases {
            let answer = try await f.call(method, path, body)
            let error = answer.json as? [String: Any]
            #expect(answer.status == status, "\(method) \(path) \(body ?? "")")
            #expect(error?["status"] as? Int == status, "\(method) \(path)")
            #expect((error?["error"] as? String)?.contains(words) == true, "\(method) \(path): \(error ?? [:])")
        }
        // Nothing changed, and the endpoint still answers.
        let db = try #require(try await f.call("GET", "/proxies/db").json as? [String: Any])
        #expect((db["toxics"] as? [[String: Any]])?.map { $0["name"] as? String } == ["latency_downstream"])
        #expect(try await f.call("GET", "/proxies").json.map { ($0 as? [String: Any])?.count } == 1)
        await f.close()
    }

    /// The endpoint's accepted sockets have TCP_NODELAY, not SO_DEBUG (the SOL_SOCKET option
    /// of the same number, which only root may set: a normal user's endpoint failed every
    /// connection).
    @Test func acceptedConnectionsHaveNoDelay() async throws {
        let f = try await Fixture()
        let client = try TestClient(port: f.server.port)
        #expect(await eventually { !f.server.openChannels.isEmpty }, "the endpoint accepted the connection")
        for channel in f.server.openChannels {
            #expect(try await channel.getOption(ChannelOptions.tcpOption(.tcp_nodelay)).get() != 0)
            #expect(try await channel.getOption(ChannelOptions.socketOption(.init(rawValue: SO_DEBUG))).get() == 0)
        }
        try await client.send("GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try await client.receive(12) == "HTTP/1.1 200", "the endpoint answers (as root and as anyone else)")
        #expect(try await f.call("GET", "/version").status == 200, "and keeps listening")
        await f.close()
    }

    @Test func stopClosesTheEndpointAndEveryProxyClientsMade() async throws {
        let f = try await Fixture()
        _ = try await f.call("POST", "/proxies", #"{"name":"mine","upstream":"127.0.0.1:\#(f.echo.port)"}"#)
        let port = try #require(f.links.all.first?.listen.port)
        await f.close()
        #expect((try? await f.call("GET", "/version")) == nil)
        #expect((try? await onThread { try ToxiproxyEcho.roundTrip(port: port, "x") }) == nil)
    }

    /// Another local user's connection is refused with 403 (run as a throwaway account).
    @Test(.enabled(if: UnixUser.isRoot, "needs root to add a user")) func anotherUserIsRefused() async throws {
        let f = try await Fixture()
        let name = "tbt-toxi-\(UUID().uuidString.prefix(6).lowercased())"
        #expect(try await run(["/usr/sbin/useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]) == 0)
        defer { _ = try? Process.run(URL(fileURLWithPath: "/usr/sbin/userdel"), arguments: [name]).waitUntilExit() }
        let user = try #require(UnixUser.named(name))
        let fetch = """
            import sys, urllib.request, urllib.error
            try:
                urllib.request.urlopen(sys.argv[1] + "/proxies"); print("status 200")
            except urllib.error.HTTPError as e:
                print("status", e.code, e.read().decode())
            """
        let output = try await capture(user.commandPrefix + ["/usr/bin/python3", "-c", fetch, f.server.url])
        #expect(output.contains("status 403"), "\(output)")
        #expect(output.contains("forbidden: user \(user.uid)"), "\(output)")
        // The same request as this user works.
        let own = try await capture(["/usr/bin/python3", "-c", fetch, f.server.url])
        #expect(own.contains("status 200"), "\(own)")
        await f.close()
    }

    @Test func toxiproxyTrueServesTheEndpointWithoutLinksAndItsProxiesEndWithTheRun() async throws {
        let echo = try ToxiproxyEcho()
        defer { echo.stop() }
        let stack = try TestStack("""
            toxiproxy: true
            services:
              idle: {command: [sleep, "60"]}
            exports:
              ENDPOINT: ${run.toxiproxy_url}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let exports = await environment.exports
        let url = try #require(exports["TOXIPROXY_URL"])
        #expect(exports["ENDPOINT"] == url && exports["TESTBED_LINKS_URL"] == url)
        let client = try ToxiproxyClient(url: url)
        let made = try await client.send("POST", "/proxies", body: Data(#"{"name":"mine","upstream":"127.0.0.1:\#(echo.port)"}"#.utf8))
        let port = try #require(try JSONDecoder().decode(ProxyDescription.self, from: made).listen.split(separator: ":").last.flatMap { Int($0) })
        #expect(try await onThread { try ToxiproxyEcho.roundTrip(port: port, "hi") } == "hi")
        await environment.stop()
        #expect((try? await client.request("GET", "/version")) == nil)
        #expect((try? await onThread { try ToxiproxyEcho.roundTrip(port: port, "x") }) == nil)
        #expect(stack.events.all.contains { $0.link?.link == "mine" && $0.link?.action == .deleted })

        // Without links and without the opt-in there is no endpoint.
        let plain = try TestStack("services:\n  idle: {command: [sleep, \"60\"]}\n")
        defer { plain.cleanUp() }
        let other = try plain.environment()
        try await other.start()
        #expect(await other.exports["TOXIPROXY_URL"] == nil)
        await other.stop()
    }

    @Test func peerTableLinesParse() {
        let peer = PeerOwner.Endpoint(address: [127, 0, 0, 1], port: 0xD431)
        let local = PeerOwner.Endpoint(address: [127, 0, 0, 1], port: 0x2118)
        let v4 = "   3: 0100007F:D431 0100007F:2118 01 00000000:00000000 00:00000000 00000000  1001        0 73452 1 0000000000000000 20 4 30 10 -1"
        #expect(PeerOwner.match(Substring(v4), peer: peer, local: local) == 1001)
        // A closed client's time-wait entry claims root: it must not match.
        let timeWait = v4.replacingOccurrences(of: " 01 ", with: " 06 ").replacingOccurrences(of: "1001", with: "   0")
        #expect(PeerOwner.match(Substring(timeWait), peer: peer, local: local) == nil)
        let mapped = "   0: 0000000000000000FFFF00000100007F:D431 0000000000000000FFFF00000100007F:2118 01 00000000:00000000 00:00000000 00000000  1002        0 1 1"
        #expect(PeerOwner.match(Substring(mapped), peer: peer, local: local) == 1002)
        #expect(PeerOwner.match(Substring(v4), peer: local, local: peer) == nil)
    }
}

/// Runs blocking work on a thread of its own, off the two-thread concurrency pool that the
/// endpoint's tasks need.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

private func run(_ argv: [String]) async throws -> Int32 {
    try await onThread {
        let process = try Process.run(URL(fileURLWithPath: argv[0]), arguments: Array(argv.dropFirst()))
        process.waitUntilExit()
        return process.terminationStatus
    }
}

private func capture(_ argv: [String]) async throws -> String {
    try await onThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try withUnblockedSignals { try process.run() }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

/// A TCP echo server on 127.0.0.1 (a thread per connection), to forward links to.
final class ToxiproxyEcho: @unchecked Sendable {
    // @unchecked: `fd` is written once in init and read by the accept thread and stop().
    let port: Int
    private let fd: Int32

    init() throws {
        let listener = try PortAllocator.bindLoopback(port: 0)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        fd = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        listen(listener, 64)
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                Thread.detachNewThread {
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let count = read(client, &buffer, buffer.count)
                        if count <= 0 || write(client, buffer, count) != count { break }
                    }
                    close(client)
                }
            }
        }
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    /// Sends `text` through `port` and returns what came back (blocking, 5 s limit).
    static func roundTrip(port: Int, _ text: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var limit = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw POSIXError(.EPIPE) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < bytes.count {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { throw POSIXError(.ECONNRESET) }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
