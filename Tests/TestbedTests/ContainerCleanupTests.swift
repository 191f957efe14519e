import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedDrivers

/// A container outlives a killed `testbed` (the engine's monitor runs it): the watchdog, or
/// `testbed gc` when the watchdog died too, removes it; and bad container manifests are
/// refused at their line before anything starts.
@Suite(.enabled(if: ContainerTestImage.podmanAvailable, "podman is not installed (apt-get install podman runc uidmap slirp4netns)"))
struct ContainerCleanupTests {
    static func manifest(_ name: String) -> String {
        """
        services:
          \(name):
            image: \(ContainerTestImage.name)
            command: [sh, -c, "echo up; exec sleep 600"]
            init: true
            healthcheck: {log: up}
        """
    }

    /// The watchdog of the `testbed` process `pid`: the `/bin/sh` whose list is `.owners/PID`.
    static func watchdog(of pid: Int32) -> Int32? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let candidate = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if words.contains("testbed-watchdog"), words.last?.hasSuffix("/.owners/\(pid)") == true { return candidate }
        }
        return nil
    }

    /// Starts `testbed run` of `stack` until it is ready and its container `service` runs,
    /// then SIGKILLs it (and its watchdog first when `withWatchdog`); returns the killed pid.
    @discardableResult
    static func startAndKill(_ stack: TestStack, service: String, withWatchdog: Bool) async throws -> Int32 {
        let running = try CLI.Running(["run", stack.path, "--", "sleep", "600"], mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot])
        #expect(await eventually(within: .seconds(30)) { running.stderrSoFar.contains("ready in") }, "\(running.stderrSoFar)")
        #expect(ContainerTestImage.containers(ofService: service).count == 1, "nothing to clean up: the test proves nothing")
        let pid = running.process.processIdentifier
        if withWatchdog { kill(try #require(watchdog(of: pid), "no watchdog found for \(pid)"), SIGKILL) }
        kill(pid, SIGKILL)
        _ = await running.wait()
        return pid
    }

    @Test func sigkillOfTestbedRunLeavesNoContainerOnceTheWatchdogRan() async throws {
        try ContainerTestImage.ensure()
        let name = ContainerTestImage.uniqueService()
        let stack = try TestStack(Self.manifest(name))
        defer { stack.cleanUp() }
        try await Self.startAndKill(stack, service: name, withWatchdog: false)
        #expect(await eventually(within: CrashSafetyTests.cleanupLimit) { ContainerTestImage.containers(ofService: name).isEmpty },
                "left: \(ContainerTestImage.containers(ofService: name))")
    }

    @Test func gcRemovesTheContainerOfARunWhoseTestbedAndWatchdogWereKilled() async throws {
        try ContainerTestImage.ensure()
        let name = ContainerTestImage.uniqueService()
        let stack = try TestStack(Self.manifest(name))
        defer { stack.cleanUp() }
        try await Self.startAndKill(stack, service: name, withWatchdog: true)
        // The engine's CLI (its group was the watchdog's to stop) and the test command die
        // with gc; the container itself is only removed by the listed cleanup command.
        try await Task.sleep(for: .milliseconds(300))
        #expect(ContainerTestImage.containers(ofService: name).count == 1, "nothing left to collect: the test proves nothing")
        let gc = try await CLI.Running(["gc"], mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(gc.status == 0, "\(gc.stdout)\(gc.stderr)")
        #expect(await eventually(within: .seconds(20)) { ContainerTestImage.containers(ofService: name).isEmpty },
                "left: \(ContainerTestImage.containers(ofService: name))\n\(gc.stdout)")
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func gcFindsALeftoverContainerByItsLabelsAndLeavesALiveRunsContainerAlone() async throws {
        try ContainerTestImage.ensure()
        let (dead, live) = (ContainerTestImage.uniqueService(), ContainerTestImage.uniqueService())
        let stack = try TestStack(Self.manifest(dead))
        let other = try TestStack(Self.manifest(live))
        defer { stack.cleanUp(); other.cleanUp() }
        let environment = try other.environment()
        try await environment.start()
        let pid = try await Self.startAndKill(stack, service: dead, withWatchdog: true)
        // The owner's list is lost too: only the container's labels are left to find it by.
        unlink(stack.runRoot + "/.owners/\(pid)")
        #expect(ContainerTestImage.containers(ofService: dead).count == 1, "nothing left to collect: the test proves nothing")
        let gc = try await CLI.Running(["gc"], mark: stack.mark, extra: ["TESTBED_RUN_ROOT": stack.runRoot]).wait()
        #expect(gc.status == 0, "\(gc.stdout)\(gc.stderr)")
        #expect(ContainerTestImage.containers(ofService: dead).isEmpty, "left: \(ContainerTestImage.containers(ofService: dead))\n\(gc.stdout)")
        #expect(ContainerTestImage.containers(ofService: live).count == 1, "gc removed a live run's container")
        await environment.stop()
        #expect(ContainerTestImage.containers(ofService: live).isEmpty)
        // The test command and the engine's CLI of the killed run: stopped by nobody but their own exit.
        for process in stack.liveProcesses { kill(process, SIGKILL) }
    }

    @Test func validateNamesAMissingImageAndTheCommandThatFetchesIt() async throws {
        let stack = try TestStack("services:\n  web:\n    image: localhost/no-such-image:404\n    ports: {http: 80}\n")
        defer { stack.cleanUp() }
        let result = try await CLI.run(["validate", stack.path])
        #expect(result.status != 0)
        let text = result.stdout + result.stderr
        #expect(text.contains("stack.yml:3:12: error: service 'web': the image 'localhost/no-such-image:404' is not in podman's storage"), "\(text)")
        #expect(text.contains("podman pull localhost/no-such-image:404") && text.contains("podman load -i"), "\(text)")
    }

    /// `run` does not ask the engine for the image first (that would cost every start a
    /// spawn); the container's default check (its first port) sees the engine give up and
    /// fails the start with the engine's own words, and nothing is left.
    @Test func aRunWhoseImageIsMissingFailsTheStartWithTheEnginesError() async throws {
        let web = ContainerTestImage.uniqueService()
        let stack = try TestStack("services:\n  \(web):\n    image: localhost/no-such-image:404\n    ports: {http: 80}\n")
        defer { stack.cleanUp() }
        let result = try await CLI.run(["run", stack.path, "--", "true"])
        let text = result.stdout + result.stderr
        #expect(result.status != 0, "\(text)")
        #expect(text.contains("exited before it was healthy") && text.contains("no-such-image"), "\(text)")
        #expect(ContainerTestImage.containers(ofService: web).isEmpty)
    }

    @Test func validateRefusesAContainerPortWhereNothingCanBePublished() async throws {
        try ContainerTestImage.ensure()
        let stack = try TestStack("services:\n  web:\n    image: \(ContainerTestImage.name)\n    ports: {http: 80}\n")
        defer { stack.cleanUp() }
        let forced = await (try CLI.Running(["validate", stack.path], mark: stack.mark, extra: ["TESTBED_CONTAINER_NETWORK": "host"])).wait()
        let text = forced.stdout + forced.stderr
        #expect(forced.status != 0 && text.contains("stack.yml:4:13: error: service 'web': port 'http' maps container port 80")
                && text.contains("/dev/net/tun"), "\(text)")
        let plain = await (try CLI.Running(["validate", stack.path], mark: stack.mark)).wait()
        #expect((plain.status == 0) == ContainerTestImage.publishesPorts, "\(plain.stdout)\(plain.stderr)")
    }

    @Test func badContainerKeysAreRefusedAtTheirLineAndColumn() throws {
        let cases: [(yaml: String, at: String, message: String)] = [
            ("    ports: [\"8080:80\"]\n", "stack.yml:4:13:", "ports are named, not numbered"),
            ("    volumes: [data:/data]\n", "stack.yml:4:15:", "named volumes are not supported"),
            ("    volumes: [./x:relative]\n", "stack.yml:4:15:", "must be an absolute path inside the container"),
            ("    seed: [{sql: x.sql}]\n", "stack.yml:4:", "only 'command' seed steps"),
            ("    healthcheck: {sql: SELECT 1}\n", "stack.yml:4:", "an sql check needs a postgres or sqlite service"),
            ("    network_mode: bridge\n", "stack.yml:4:19:", "network_mode 'bridge' is not supported"),
            ("    files: {a: {content: x, target: etc/a}}\n", "stack.yml:4:37:", "must be an absolute path inside the container"),
            ("    privileged: true\n", "stack.yml:4:5:", "never runs a privileged container"),
            ("    comand: [x]\n", "stack.yml:4:5:", "did you mean 'command'"),
        ]
        let process = try TestStack("services:\n  web:\n    command: x\n    files: {a: {content: x, target: /a}}\n")
        defer { process.cleanUp() }
        let refused = #expect(throws: ManifestError.self) { try ManifestLoader.load(path: process.path) }
        #expect(refused?.description.contains("only a container ('image:') mounts a file at a target") == true, "\(String(describing: refused))")
        for item in cases {
            let stack = try TestStack("services:\n  web:\n    image: localhost/x:1\n" + item.yaml)
            defer { stack.cleanUp() }
            let error = #expect(throws: ManifestError.self) { try ManifestLoader.load(path: stack.path) }
            let text = error?.description ?? ""
            #expect(text.contains(item.at) && text.contains(item.message), "\(item.yaml): \(text)")
        }
    }
}
