import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedHTTP
@testable import TestbedSystem
@testable import TestbedDrivers

/// `image:` services with real podman and real containers (the image built by
/// scripts/container-test-image.sh for the account that runs the tests).
@Suite(.enabled(if: ContainerTestImage.podmanAvailable, "podman is not installed (apt-get install podman runc uidmap slirp4netns)"))
struct ContainerServiceTests {
    /// A busybox httpd that listens on the port Testbed picked (so it runs with published
    /// ports and with the host-network fallback alike) and says hello in its log.
    static func webService(_ name: String, extra: String = "") -> String {
        """
          \(name):
            image: \(ContainerTestImage.name)
            command: [sh, -c, "echo started $GREETING; exec httpd -f -v -p ${\(name).bind}:${\(name).ports.http} -h /www"]
            ports: [http]
            init: true
            stop_grace_period: 2s
            environment: {GREETING: from-the-manifest}
            volumes: ["./www:/www"]
            healthcheck: {http: /index.html, port: http}
        \(extra)
        """
    }

    /// Writes `www/index.html` with `text` beside the stack's manifest.
    static func serve(_ text: String, in stack: TestStack) throws {
        try FileManager.default.createDirectory(atPath: stack.folder + "/www", withIntermediateDirectories: true)
        try text.write(toFile: stack.folder + "/www/index.html", atomically: true, encoding: .utf8)
    }

    /// GET `http://127.0.0.1:PORT/PATH`: the answer's body.
    static func get(_ url: String) async throws -> String {
        let parts = try #require(url.wholeMatch(of: /http:\/\/127\.0\.0\.1:(\d+)(\/.*)/))
        let answer = try await PlainHTTPClient.send(PlainHTTPRequest(method: "GET", target: String(parts.2)),
                                                    to: PlainHTTPEndpoint(host: "127.0.0.1", port: Int(parts.1)!), timeout: .seconds(30))
        return String(decoding: answer.body, as: UTF8.self)
    }

    @Test func aContainerStartsHealthyWithItsValuesLogAndMountAndLeavesNoContainer() async throws {
        try ContainerTestImage.ensure()
        let web = ContainerTestImage.uniqueService()
        let stack = try TestStack("services:\n" + Self.webService(web), files: [:])
        defer { stack.cleanUp() }
        try Self.serve("hello from a container", in: stack)
        let environment = try stack.environment()
        try await environment.start()
        let values = try #require(await environment.values[web])
        #expect(values["host"] == "127.0.0.1")
        let port = try #require(values["ports.http"].flatMap(Int.init))
        #expect(try await Self.get("http://127.0.0.1:\(port)/index.html") == "hello from a container")
        #expect(ContainerTestImage.containers(ofService: web).count == 1)
        let reset = await #expect(throws: EnvironmentError.self) { try await environment.reset(web) }
        #expect(reset?.message.contains("a container service has no data to reset") == true, "\(String(describing: reset))")
        let log = try #require(values["log"])
        #expect(await eventually { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("started from-the-manifest") })
        await environment.stop()
        #expect(ContainerTestImage.containers(ofService: web).isEmpty, "a container outlived the teardown")
    }

    @Test func aVolumeIsReadOnlyUnlessMarkedAndSeedAndTestRunInsideTheContainer() async throws {
        try ContainerTestImage.ensure()
        let name = ContainerTestImage.uniqueService()
        let stack = try TestStack("""
            services:
              \(name):
                image: \(ContainerTestImage.name)
                command: [sleep, "600"]
                init: true
                stop_grace_period: 1s
                volumes: ["./ro:/ro", "./rw:/rw:rw"]
                tmpfs: [/scratch]
                seed:
                  - command: [sh, -c, "echo seeded > /scratch/mark; echo written > /rw/out; touch /ro/x 2>/dev/null && echo WRITABLE > /rw/ro-check || echo read-only > /rw/ro-check"]
                healthcheck: {test: [CMD, test, -f, /scratch/mark], interval: 100ms}
            """)
        defer { stack.cleanUp() }
        for folder in ["ro", "rw"] { try FileManager.default.createDirectory(atPath: stack.folder + "/" + folder, withIntermediateDirectories: true) }
        // Rootless, the container's root is this account: make the rw folder writable for it.
        chmod(stack.folder + "/rw", 0o777)
        let environment = try stack.environment()
        try await environment.start()
        #expect((try? String(contentsOfFile: stack.folder + "/rw/out", encoding: .utf8)) == "written\n")
        #expect((try? String(contentsOfFile: stack.folder + "/rw/ro-check", encoding: .utf8)) == "read-only\n")
        #expect(!FileManager.default.fileExists(atPath: stack.folder + "/scratch/mark"))
        await environment.stop()
        #expect(ContainerTestImage.containers(ofService: name).isEmpty)
    }

    @Test func aFileTemplateIsRenderedAndMountedReadOnlyAtItsTargetAndTheURLIsAValue() async throws {
        try ContainerTestImage.ensure()
        let name = ContainerTestImage.uniqueService()
        let stack = try TestStack("""
            services:
              \(name):
                image: \(ContainerTestImage.name)
                command: [sh, -c, "cat /etc/app.conf; touch /etc/app.conf 2>/dev/null || echo conf-is-read-only; exec sleep 600"]
                init: true
                stop_grace_period: 1s
                ports: [http]
                url: http://${\(name).host}:${\(name).ports.http}/v1
                files:
                  conf: {template: app.conf.in, target: /etc/app.conf, mode: "0644"}
                healthcheck: {log: conf-is-read-only}
            exports:
              CONF: ${\(name).files.conf}
            """, files: ["app.conf.in": "listen=${\(name).bind}:${\(name).ports.http}\n"])
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let values = try #require(await environment.values[name])
        let port = try #require(values["ports.http"])
        #expect(values["url"] == "http://127.0.0.1:\(port)/v1")
        let log = try String(contentsOfFile: try #require(values["log"]), encoding: .utf8)
        #expect(log.contains("listen=") && log.contains(":\(port)"), "\(log)")
        #expect(await environment.exports["CONF"] == values["dir"].map { $0 + "/conf" })
        await environment.stop()
        #expect(ContainerTestImage.containers(ofService: name).isEmpty)
    }

    @Test func parallelRunsOfOneContainerStackGetTheirOwnPortsAndContainers() async throws {
        try ContainerTestImage.ensure()
        let web = ContainerTestImage.uniqueService()
        let stack = try TestStack("services:\n" + Self.webService(web))
        defer { stack.cleanUp() }
        try Self.serve("one of four", in: stack)
        let environments = try (0..<4).map { _ in try stack.environment() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for environment in environments { group.addTask { try await environment.start() } }
            try await group.waitForAll()
        }
        var ports: Set<String> = []
        for environment in environments {
            let port = try #require(await environment.values[web]?["ports.http"])
            ports.insert(port)
            #expect(try await Self.get("http://127.0.0.1:\(port)/index.html") == "one of four")
        }
        #expect(ports.count == 4, "ports collided: \(ports)")
        #expect(ContainerTestImage.containers(ofService: web).count == 4)
        await withTaskGroup(of: Void.self) { group in
            for environment in environments { group.addTask { await environment.stop() } }
        }
        #expect(ContainerTestImage.containers(ofService: web).isEmpty)
    }

    @Test func aLinkWithAFaultFrontsAContainer() async throws {
        try ContainerTestImage.ensure()
        let web = ContainerTestImage.uniqueService()
        let stack = try TestStack("services:\n" + Self.webService(web) + """

            links:
              slow-\(web): {to: \(web).ports.http, faults: [{type: latency, latency: 400}]}
            """)
        defer { stack.cleanUp() }
        try Self.serve("through the link", in: stack)
        let environment = try stack.environment()
        try await environment.start()
        let link = try #require(await environment.values["slow-\(web)"])
        let direct = try #require(await environment.values[web]?["ports.http"])
        #expect(link["port"] != direct)
        let began = ContinuousClock.now
        #expect(try await Self.get("http://127.0.0.1:\(link["port"] ?? "")/index.html") == "through the link")
        #expect(ContinuousClock.now - began >= .milliseconds(400), "the latency fault did not act")
        await environment.stop()
        #expect(ContainerTestImage.containers(ofService: web).isEmpty)
    }

    @Test func aFixedContainerPortIsPublishedOnLoopbackOrRefusedNamingTheTunDevice() async throws {
        try ContainerTestImage.ensure()
        let web = ContainerTestImage.uniqueService()
        let yaml = """
            services:
              \(web):
                image: \(ContainerTestImage.name)
                command: [httpd, -f, -p, "80", -h, /www]
                ports: {http: 80}
                init: true
                stop_grace_period: 1s
                volumes: ["./www:/www"]
                healthcheck: {http: /index.html, port: http}
            """
        let stack = try TestStack(yaml)
        defer { stack.cleanUp() }
        try Self.serve("port 80 inside", in: stack)
        if ContainerTestImage.publishesPorts {
            let environment = try stack.environment()
            try await environment.start()
            let port = try #require(await environment.values[web]?["ports.http"])
            #expect(try await Self.get("http://127.0.0.1:\(port)/index.html") == "port 80 inside")
            let mapping = ShortCommand.run([ContainerTestImage.podman!, "port", ContainerTestImage.containers(ofService: web).first ?? "-"],
                                              environment: ProcessInfo.processInfo.environment).output
            #expect(mapping.contains("127.0.0.1:\(port)") && !mapping.contains("0.0.0.0"), "\(mapping)")
            await environment.stop()
        }
        // The fallback (rootless podman without /dev/net/tun), forced: a clear error at the port's line.
        let forced = try stack.environment(overriding: ["TESTBED_CONTAINER_NETWORK": "host"])
        let error = await #expect(throws: ManifestError.self) { try await forced.start() }
        let text = error?.description ?? ""
        #expect(text.contains("stack.yml:5:13:") && text.contains("/dev/net/tun") && text.contains("ports: [http]"), "\(text)")
        #expect(ContainerTestImage.containers(ofService: web).isEmpty)
    }

    @Test func theHostNetworkFallbackServesAPortTestbedPicked() async throws {
        try ContainerTestImage.ensure()
        let web = ContainerTestImage.uniqueService()
        let stack = try TestStack("services:\n" + Self.webService(web))
        defer { stack.cleanUp() }
        try Self.serve("host network", in: stack)
        let environment = try stack.environment(overriding: ["TESTBED_CONTAINER_NETWORK": "host"])
        try await environment.start()
        let port = try #require(await environment.values[web]?["ports.http"])
        #expect(try await Self.get("http://127.0.0.1:\(port)/index.html") == "host network")
        await environment.stop()
        #expect(ContainerTestImage.containers(ofService: web).isEmpty)
    }
}
