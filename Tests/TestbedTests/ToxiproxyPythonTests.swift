import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// An unmodified Toxiproxy client from PyPI (`toxiproxy-python` 0.1.1) drives a run's links
/// through `TOXIPROXY_URL`: it creates its own proxy, adds latency and sees it, removes it,
/// and takes a manifest link down and up. Skipped only when pip cannot reach PyPI.
@Suite(.serialized) struct ToxiproxyPythonTests {
    /// A virtual environment with the client, kept between runs in the user's cache; the
    /// install fetches the client's dependencies itself.
    static let python = PythonVenv("toxiproxy-python-0.1.1", packages: ["toxiproxy-python==0.1.1"],
                                   download: ["--no-deps"], installFromDownload: false)
    static var venv: String { python.path }
    static var setup: PythonVenv.Setup { python.setup }
    static var reachable: Bool { python.reachable }

    static let script = #"""
        import os, sys, time, urllib.parse, urllib.request
        from toxiproxy import Toxiproxy
        from toxiproxy.api import APIConsumer
        from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

        endpoint = urllib.parse.urlparse(os.environ["TOXIPROXY_URL"])
        server = Toxiproxy()
        server.update_api_consumer(endpoint.hostname, endpoint.port)
        assert server.running()
        print("version", server.version().decode())

        def fetch(port):
            began = time.monotonic()
            body = urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=10).read()
            assert b"hello from the app" in body, body
            return time.monotonic() - began

        def port_of(proxy):
            return int(proxy.listen.rsplit(":", 1)[1])

        # A proxy of the client's own, in front of the app.
        proxy = server.create(upstream=os.environ["APP_ADDRESS"], name="client_made", listen="127.0.0.1:0")
        assert port_of(proxy) > 0, proxy.listen
        fetch(port_of(proxy))
        proxy.add_toxic(type="latency", attributes={"latency": 400})
        assert list(proxy.toxics()) == ["latency_downstream"], proxy.toxics()
        slow = fetch(port_of(proxy))
        assert slow >= 0.4, slow
        print("with latency: %.3f s" % slow)
        proxy.destroy_toxic("latency_downstream")
        assert proxy.toxics() == {}
        fetch(port_of(proxy))

        # Errors come back as the client's exceptions.
        proxy.add_toxic(type="bandwidth", name="thin", attributes={"rate": 1000})
        for call, expected in [
            (lambda: proxy.add_toxic(type="bandwidth", name="thin", attributes={"rate": 5}), ProxyExists),
            (lambda: proxy.add_toxic(type="lag"), InvalidToxic),
            (lambda: proxy.add_toxic(type="latency", attributes={"latency": -1}), InvalidToxic),
            (lambda: APIConsumer.get("/proxies/nope"), NotFound),
            (lambda: APIConsumer.post("/proxies", json={"name": "client_made", "upstream": "127.0.0.1:1"}), ProxyExists),
        ]:
            try:
                call()
                sys.exit("no %s" % expected.__name__)
            except expected:
                pass

        # A link from the manifest is a proxy too.
        front = server.get_proxy("front")
        assert front is not None and front.enabled
        fetch(port_of(front))
        with front.down():
            try:
                fetch(port_of(front))
                sys.exit("the link answered while down")
            except OSError:
                pass
        fetch(port_of(front))
        front.add_toxic(type="timeout", attributes={"timeout": 0})

        # Reset: every toxic gone, every proxy up; destroy removes the client's proxy.
        assert server.reset()
        assert all(p.toxics() == {} for p in server.proxies().values())
        assert server.destroy(server.get_proxy("client_made"))
        assert sorted(server.proxies()) == ["front"], server.proxies()
        print("python client ok")
        """#

    @Test(.enabled(if: reachable, "PyPI is unreachable: pip cannot download toxiproxy-python 0.1.1"))
    func thePyPIToxiproxyClientDrivesLinksUnchanged() async throws {
        if case .failed(let why) = Self.setup { Issue.record(Comment(rawValue: why)); return }
        let stack = try TestStack("""
            services:
              app:
                command: [python3, -c, "import http.server as h, sys\\nclass H(h.BaseHTTPRequestHandler):\\n  def do_GET(s):\\n    s.send_response(200); s.end_headers(); s.wfile.write(b'hello from the app')\\n  def log_message(s, *a): pass\\nh.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()", "${app.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
            links:
              front: {to: app.ports.http}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let url = try #require(await environment.exports["TOXIPROXY_URL"])
        let app = try #require(await environment.values["app"]?["ports.http"])
        let result = try await onThread {
            try shell([Self.venv + "/bin/python", "-c", Self.script], environment: ["TOXIPROXY_URL": url, "APP_ADDRESS": "127.0.0.1:\(app)"])
        }
        await environment.stop()
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("python client ok"))
        // What the client did is in the run's events, with its time.
        let changes = stack.events.all.compactMap(\.link)
        #expect(changes.contains { $0.link == "client_made" && $0.action == .created })
        #expect(changes.contains { $0.link == "client_made" && $0.action == .faultAdded && $0.fault?.type == "latency" })
        #expect(changes.contains { $0.link == "client_made" && $0.action == .faultRemoved && $0.fault?.name == "latency_downstream" })
        #expect(changes.contains { $0.link == "front" && $0.action == .down })
        #expect(changes.contains { $0.link == "front" && $0.action == .up })
    }
}

/// Runs `argv` (looked up on PATH) to the end; returns its status and its output and errors together.
func shell(_ argv: [String], environment extra: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    process.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    process.standardInput = nil
    try withUnblockedSignals { try process.run() }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
