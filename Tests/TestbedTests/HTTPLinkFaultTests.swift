import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// HTTP faults on an HTTP link in front of a service of the stack (passthrough), driven by
/// the manifest, `testbed link` inside the run, and the Swift API; curl is the client.
@Suite(.serialized) struct HTTPLinkFaultTests {
    static func manifest(faults: String = "[]") -> String {
        """
        services:
          upstream:
            command: [python3, \(HTTPFixtures.upstream), "${run.dir}/upstream.port", "${upstream.ports.http}"]
            ports: [http]
            healthcheck: {tcp: http}
        links:
          api:
            to: upstream.ports.http
            http: {mode: passthrough}
            seed: 7
            faults: \(faults)
        exports:
          API_URL: ${api.url}
        """
    }

    @Test func manifestAndCLIFaultsHitOnlyMatchingRequests() async throws {
        let stack = try TestStack(Self.manifest(faults: """
            [{type: http_status, status: 503, method: POST, path: /echo, body: busy, headers: {Retry-After: "2"}}]
            """))
        defer { stack.cleanUp() }
        let link = CLI.binary + " link"
        let script = """
            curl -s -i -X POST -d '{}' "$API_URL/echo" | tr -d '\\r'
            echo; echo "items: $(curl -s -o /dev/null -w '%{http_code}' "$API_URL/items")"
            \(link) api add http_latency latency=400 path=/count
            start=$(date +%s%N); curl -s "$API_URL/count" >/dev/null; end=$(date +%s%N)
            echo "count took $(( (end - start) / 1000000 )) ms"
            \(link) api add http_cut_body bytes=100 path=/big
            curl -s "$API_URL/big" -o /tmp/tb-big-$$; echo "cut: curl $? got $(wc -c < /tmp/tb-big-$$)"; rm -f /tmp/tb-big-$$
            \(link) api add http_expired_token path=/login*
            curl -s -i "$API_URL/login" | tr -d '\\r' | grep -i -E '^HTTP|^www-authenticate|invalid_token'
            \(link) api add http_status status=500 toxicity=0.5 path=/items name=flaky
            for i in $(seq 40); do curl -s -o /dev/null -w '%{http_code}\\n' "$API_URL/items"; done | sort | uniq -c
            \(link) api add latency latency=10 || echo "tcp fault refused: $?"
            \(link) api ls
            \(link) api clear
            echo "after clear: $(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$API_URL/echo")"
            """
        let result = try await CLI.Running(["run", "--report", stack.folder + "/report.json", stack.path, "--", "sh", "-c", script],
                                           mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait(limit: .seconds(120))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("HTTP/1.1 503"), "\(out)")
        #expect(out.contains("Retry-After: 2"))
        #expect(out.contains("\nbusy"))
        #expect(out.contains("items: 200"), "GET /items does not match the POST /echo fault")
        let took = out.firstMatch(of: /count took (\d+) ms/).flatMap { Int($0.1) } ?? 0
        #expect(took >= 400, "latency on /count: \(took) ms")
        #expect(out.contains("cut: curl 18 got 100"), "curl sees a partial body (exit 18)")
        #expect(out.contains("HTTP/1.1 401"))
        #expect(out.lowercased().contains("www-authenticate: bearer error=\"invalid_token\""))
        let ok = out.firstMatch(of: /(\d+) 200\n/).flatMap { Int($0.1) } ?? 0
        let failed = out.firstMatch(of: /(\d+) 500\n/).flatMap { Int($0.1) } ?? 0
        #expect(ok + failed == 40 && ok > 0 && failed > 0, "toxicity 0.5 hits some requests: \(ok) ok, \(failed) failed")
        #expect(result.stderr.contains("link 'api' is an HTTP link: fault 'latency_downstream' (latency) is a TCP fault"),
                "\(result.stderr)")
        #expect(out.contains("tcp fault refused: 1"))
        #expect(out.contains("flaky: http_status path=/items status=500 (toxicity 0.5)"), "\(out)")
        #expect(out.contains("after clear: 200"))
        let report = try String(contentsOfFile: stack.folder + "/report.json", encoding: .utf8)
        #expect(report.contains("http_expired_token") && report.contains("fault-removed"))
    }

    @Test func swiftAPIAddsTypedHTTPFaultsAndRefusesTCPOnes() async throws {
        let stack = try TestStack(Self.manifest())
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let url = try #require(await environment.values["api"]?["url"])
        let link = try environment.link("api")
        #expect(link.isHTTP)
        #expect(throws: LinkError.self) { try link.add(.latency(.milliseconds(10))) }
        let answer = try await link.with(.httpStatus(429, body: "slow down", headers: [TapeHeader("Retry-After", "5")],
                                                     method: "GET", path: "/items")) {
            try await runCommand(["curl", "-s", "-i", url + "/items"])
        }
        #expect(answer.contains("HTTP/1.1 429") && answer.contains("Retry-After: 5") && answer.contains("slow down"), "\(answer)")
        let after = try await runCommand(["curl", "-s", url + "/items?z=1"])
        #expect(after.contains(#""z": "1""#), "\(after)")
        await environment.stop()

        let tcp = try TestStack("""
            services:
              upstream:
                command: [python3, \(HTTPFixtures.upstream), "${run.dir}/upstream.port", "${upstream.ports.http}"]
                ports: [http]
                healthcheck: {tcp: http}
            links:
              raw:
                to: upstream.ports.http
                faults: [{type: http_status, status: 503}]
            """)
        defer { tcp.cleanUp() }
        let validate = try await CLI.run(["validate", tcp.path], mark: tcp.mark)
        #expect(validate.status != 0)
        #expect(validate.stderr.contains("stack.yml:7:") && validate.stderr.contains("is an HTTP fault, and the link is a TCP link"),
                "\(validate.stderr)")
    }

    @Test func anUpgradeIsPassedThroughUnrecorded() async throws {
        let upstream = try await HTTPUpstreamServer()
        let stack = try TestStack("""
            services: {}
            links:
              api:
                to: \(upstream.url)
                http: {tape: tapes/ws.json, mode: record}
            exports:
              API_PORT: ${api.port}
            """)
        defer { stack.cleanUp() }
        let client = #"""
            import os, socket
            c = socket.create_connection(("127.0.0.1", int(os.environ["API_PORT"])), 10)
            c.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head: head += c.recv(1)
            print(head.split(b"\r\n")[0].decode())
            c.sendall(b"hello through the splice")
            got = b""
            while len(got) < 24: got += c.recv(100)
            print(got.decode())
            """#
        try client.write(toFile: stack.folder + "/ws.py", atomically: true, encoding: .utf8)
        let result = try await CLI.Running(["run", stack.path, "--", "python3", stack.folder + "/ws.py"], mark: stack.mark,
                                           extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("HTTP/1.1 101"), "\(result.stdout)")
        #expect(result.stdout.contains("HELLO THROUGH THE SPLICE"))
        let tape = (try? String(contentsOfFile: stack.folder + "/tapes/ws.json", encoding: .utf8)) ?? ""
        #expect(!tape.contains("/ws"), "the upgrade is not recorded")
    }
}
