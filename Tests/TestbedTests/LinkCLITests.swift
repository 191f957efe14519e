import Foundation
import Testing
@testable import Testbed

/// `testbed link` against the run whose test command calls it, and against a detached
/// environment; every fault it adds or removes is in `--report` and `--json` with its time.
@Suite struct LinkCLITests {
    static let manifest = """
        services:
          echo:
            command: [python3, -c, "import socketserver as s, sys\\nclass H(s.BaseRequestHandler):\\n  def handle(self):\\n    while (d := self.request.recv(65536)): self.request.sendall(d)\\ns.ThreadingTCPServer.allow_reuse_address = True\\ns.ThreadingTCPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()", "${echo.ports.tcp}"]
            ports: [tcp]
            healthcheck: {tcp: tcp}
        links:
          front: {to: echo.ports.tcp}
        exports:
          FRONT_PORT: ${front.port}
        """

    /// A shell command that sends a line through the link and prints what came back.
    static let roundTrip = #"python3 -c "import socket, os; c = socket.create_connection(('127.0.0.1', int(os.environ['FRONT_PORT'])), 5); c.sendall(b'ping'); print('echo:', c.recv(4).decode())""#

    @Test func insideARunTheCommandDrivesThatRunsLinks() async throws {
        let stack = try TestStack(Self.manifest)
        defer { stack.cleanUp() }
        let report = stack.folder + "/report.json"
        let link = CLI.binary + " link"
        let script = """
            set -e
            \(link) ls
            \(link) front add latency latency=250 jitter=10 stream=upstream name=slow
            \(link) front add latency latency=-5 || echo "refused: $?"
            \(link) front add latency latency=abc || echo "refused: $?"
            \(link) front add lag || echo "refused: $?"
            \(link) front add latency toxicity=1.5 || echo "refused: $?"
            \(link) nope down || echo "refused: $?"
            \(link) front ls
            \(Self.roundTrip)
            \(link) front remove slow
            \(link) front down
            \(Self.roundTrip) || echo "down: refused"
            \(link) front up
            \(Self.roundTrip)
            \(link) --json front add limit_data bytes=1000
            \(link) front clear
            """
        let result = try await CLI.Running(["run", "--report", report, "--json", stack.path, "--", "sh", "-c", script],
                                           mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot])
            .wait(limit: .seconds(300))  // a safety net for a hung run: 16 CLI calls take a minute on a loaded 2-core machine
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("front        up   127.0.0.1:"), "\(out)")
        #expect(out.contains("front: added slow: latency jitter=10 latency=250 (upstream)"))
        #expect(result.stderr.contains("error: argument 'latency=-5': "), "\(result.stderr)")
        #expect(result.stderr.contains("error: argument 'latency=abc': latency takes a whole number"))
        #expect(result.stderr.contains("error: argument 'lag': unknown fault type 'lag'"))
        #expect(result.stderr.contains("error: argument 'toxicity=1.5': "))
        #expect(result.stderr.contains("no link named 'nope'; links: front"))
        #expect(out.components(separatedBy: "refused: 1").count == 6)
        #expect(out.contains("    slow: latency jitter=10 latency=250 (upstream)"))
        #expect(out.components(separatedBy: "echo: ping").count == 3)
        #expect(out.contains("down: refused"))
        #expect(out.contains(#""type" : "limit_data""#))
        #expect(out.contains("front: removed 1 fault"))

        // --json: one object per event, link events with what happened and when.
        let events = result.stderr.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let actions = events.compactMap { ($0["link"] as? [String: Any])?["action"] as? String }
        #expect(actions == ["created", "fault-added", "fault-removed", "down", "up", "fault-added", "fault-removed", "deleted"])
        // --report: the faults under links.front, each with its time.
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any]
        let entries = try #require((document?["links"] as? [String: Any])?["front"] as? [[String: Any]])
        let added = try #require(entries.first { $0["action"] as? String == "fault-added" })
        #expect((added["fault"] as? [String: Any])?["name"] as? String == "slow")
        #expect(((added["fault"] as? [String: Any])?["attributes"] as? [String: Int]) == ["latency": 250, "jitter": 10])
        #expect((added["time"] as? String)?.hasSuffix("Z") == true && added["ms"] is Double)
        #expect(entries.contains { $0["action"] as? String == "fault-removed" && ($0["fault"] as? [String: Any])?["name"] as? String == "slow" })
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func aDetachedEnvironmentIsFoundByNameOrAsTheOnlyOne() async throws {
        let stack = try TestStack(Self.manifest)
        defer { stack.cleanUp() }
        let name = "links-\(UUID().uuidString.prefix(8))"
        func cli(_ arguments: [String]) async throws -> CLI.Result {
            try await CLI.Running(arguments, mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot, "TESTBED_LINKS_URL": ""]).wait()
        }
        let up = try await cli(["up", "-d", "--name", name, stack.path])
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("TOXIPROXY_URL=http://127.0.0.1:"), "\(up.stdout)")
        let added = try await cli(["link", "--name", name, "front", "add", "timeout", "timeout=0"])
        #expect(added.status == 0, "\(added.stderr)")
        let listed = try await cli(["link", "ls"])  // the only environment running
        #expect(listed.stdout.contains("timeout_downstream: timeout timeout=0 (downstream)"), "\(listed.stdout)\(listed.stderr)")
        let unknown = try await cli(["link", "--name", "nothing-\(name)", "ls"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no detached environment named"), "\(unknown.stderr)")
        let bad = try await cli(["link", "front", "shake"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown action 'shake'"), "\(bad.stderr)")
        _ = try await cli(["down", name])
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func anEnvironmentWithoutLinksSaysSo() async throws {
        let stack = try TestStack("""
            services:
              idle: {command: [sleep, "60"]}
            """)
        defer { stack.cleanUp() }
        let name = "nolinks-\(UUID().uuidString.prefix(8))"
        let env = ["TESTBED_RUN_ROOT": stack.runRoot, "TESTBED_LINKS_URL": ""]
        let up = try await CLI.Running(["up", "-d", "--name", name, stack.path], mark: stack.mark, extra: env).wait()
        #expect(up.status == 0, "\(up.stderr)")
        let listed = try await CLI.Running(["link", "--name", name, "ls"], mark: stack.mark, extra: env).wait()
        #expect(listed.status == 1 && listed.stderr.contains("has no links"), "\(listed.stderr)")
        _ = try await CLI.Running(["down", name], mark: stack.mark, extra: env).wait()
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }
}
