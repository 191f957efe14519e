import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedHealth

/// The runtime against real processes: ordering, parallelism, health, teardown.
@Suite struct EnvironmentTests {
    @Test func startsInDependencyOrderAndExportsValues() async throws {
        let stack = try TestStack("""
            services:
              web:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
                ports: [http]
                healthcheck: {http: /, port: http}
              job:
                command: "echo job saw $$WEB_PORT"
                environment: {WEB_PORT: "${web.ports.http}"}
                depends_on: {web: {condition: service_healthy}}
              app:
                command: exec sleep 600
                depends_on: {job: {condition: service_completed_successfully}}
            exports:
              WEB_URL: http://127.0.0.1:${web.ports.http}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let exports = await environment.exports
        let port = try #require(await environment.values["web"]?["ports.http"])
        #expect(exports["WEB_URL"] == "http://127.0.0.1:\(port)")
        #expect(exports["TESTBED_RUN_DIR"] != nil)
        let webHealthy = try #require(stack.events.time("web", .healthy))
        let jobStarted = try #require(stack.events.time("job", .spawned))
        let jobDone = try #require(stack.events.time("job", .completed))
        let appStarted = try #require(stack.events.time("app", .spawned))
        #expect(webHealthy <= jobStarted)
        #expect(jobDone <= appStarted)
        let log = try String(contentsOfFile: exports["TESTBED_RUN_DIR"]! + "/logs/job.log", encoding: .utf8)
        #expect(log.contains("job saw \(port)"))
        #expect(await eventually { stack.liveProcesses.count == 2 })
        await environment.stop()
        #expect(await eventually { stack.liveProcesses.isEmpty })
        #expect(stack.leftoverRuns.isEmpty)
    }

    @Test func independentServicesStartInParallel() async throws {
        // Each service needs 400 ms before it is healthy; in sequence that would be 800 ms.
        let stack = try TestStack("""
            services:
              a:
                command: "sleep 0.4; echo ready; exec sleep 600"
                healthcheck: {log: ready}
              b:
                command: "sleep 0.4; echo ready; exec sleep 600"
                healthcheck: {log: ready}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        await environment.stop()
        let aSpawned = try #require(stack.events.time("a", .spawned)), bSpawned = try #require(stack.events.time("b", .spawned))
        let aHealthy = try #require(stack.events.time("a", .healthy)), bHealthy = try #require(stack.events.time("b", .healthy))
        // Both were spawned before either became healthy: they really ran side by side.
        #expect(max(aSpawned, bSpawned) < min(aHealthy, bHealthy))
    }

    @Test(arguments: ["tcp", "http", "command", "log"])
    func eachHealthCheckKindPasses(kind: String) async throws {
        let check = switch kind {
        case "tcp": "{tcp: http}"
        case "http": "{http: /, port: http}"
        case "command": "{command: [/usr/bin/python3, -c, \"import socket; socket.create_connection(('127.0.0.1', ${web.ports.http}))\"]}"
        default: "{log: 'Serving HTTP'}"
        }
        let stack = try TestStack("""
            services:
              web:
                command: [/usr/bin/python3, -u, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
                ports: [http]
                healthcheck: \(check)
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        let port = try #require(Int(await environment.values["web"]?["ports.http"] ?? ""))
        try await TCPProbe(port: port).attempt(timeout: .seconds(1))
        await environment.stop()
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test(arguments: ["tcp", "http", "command", "log"])
    func eachHealthCheckKindFailsWithItsLastError(kind: String) async throws {
        // The service runs but never becomes healthy in the way the check asks.
        let check = switch kind {
        case "tcp": "{tcp: other, deadline: 4s}"
        case "http": "{http: /missing, port: http, deadline: 4s}"
        case "command": "{command: 'echo not yet; exit 3', deadline: 4s}"
        default: "{log: 'never printed', deadline: 4s}"
        }
        let stack = try TestStack("""
            services:
              web:
                command: [/usr/bin/python3, -u, -m, http.server, --bind, 127.0.0.1, "${web.ports.http}"]
                ports: [http, other]
                healthcheck: \(check)
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let error = await #expect(throws: EnvironmentError.self) { try await environment.start() }
        #expect(error?.code == .healthCheckFailed)
        #expect(error?.service == "web")
        let expected = ["tcp": "refused", "http": "404", "command": "status 3", "log": "never printed"][kind]!
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(error?.runDirectory != nil)
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func aServiceThatExitsBeforeHealthyFailsAtOnceWithItsLog() async throws {
        let stack = try TestStack("""
            services:
              broken:
                command: "echo 'config error: no such table'; exit 4"
                ports: [http]
                healthcheck: {tcp: http, deadline: 600s}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let error = await #expect(throws: EnvironmentError.self) { try await environment.start() }
        // The exit ended the start, not the health check's deadline (that error would be
        // health-check-failed): no timed assertion, which a loaded machine would break.
        #expect(error?.code == .exitedDuringStart, "\(stack.timeline)")
        #expect(error?.message.contains("exit status 4") == true)
        #expect(error?.logTail.contains("config error: no such table") == true)
    }

    @Test func aFailingDependencyTearsDownWhatHadStarted() async throws {
        let stack = try TestStack("""
            services:
              cache:
                command: "echo up; exec sleep 600"
                healthcheck: {log: up}
              migrate:
                command: "echo migration 7 failed; exit 1"
                depends_on: {cache: {condition: service_healthy}}
              app:
                command: sleep 600
                depends_on: {migrate: {condition: service_completed_successfully}}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let error = await #expect(throws: EnvironmentError.self) { try await environment.start() }
        #expect(error?.code == .jobFailed)
        #expect(error?.service == "migrate")
        #expect(error?.logTail == ["migration 7 failed"])
        #expect(stack.events.time("app", .spawned) == nil)
        #expect(stack.events.time("cache", .stopped) != nil)
        #expect(await eventually { stack.liveProcesses.isEmpty })
        // The run directory is kept for inspection after a failed start.
        let kept = try #require(error?.runDirectory)
        #expect(FileManager.default.fileExists(atPath: kept + "/logs/migrate.log"))
    }

    @Test func aServiceThatForksLeavesNoChildBehind() async throws {
        let stack = try TestStack("""
            services:
              forker:
                command: "sleep 600 & sleep 600 & echo forked; wait"
                healthcheck: {log: forked}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        #expect(await eventually { stack.liveProcesses.count == 3 })
        await environment.stop()
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func aServiceIgnoringItsStopSignalIsKilledAfterTheGracePeriod() async throws {
        let stack = try TestStack("""
            services:
              stubborn:
                command: "trap '' TERM; echo ready; while true; do sleep 0.05; done"
                stop_grace_period: 200ms
                healthcheck: {log: ready}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        await environment.stop()
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func aServiceDyingAfterReadyIsReported() async throws {
        let stack = try TestStack("""
            services:
              flaky:
                command: "echo ready; for i in $(seq 12000); do [ -e crash ] && break; sleep 0.01; done; echo crashing; exit 9"
                healthcheck: {log: ready}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        try await environment.start()
        // The service dies only once the test has seen it ready, however slow the machine.
        #expect(FileManager.default.createFile(atPath: stack.folder + "/crash", contents: nil))
        let failure = await environment.waitForFailure()
        #expect(failure.code == .serviceDied)
        #expect(failure.message.contains("exit status 9"))
        #expect(failure.logTail.last == "crashing")
        await environment.stop()
    }

    @Test func exitOfAServiceWhoseChildLingersIsNoticed() async throws {
        // The shell exits at once but its background child keeps Foundation's exit socket open.
        let stack = try TestStack("""
            services:
              leaky:
                command: "sleep 600 & exit 5"
                ports: [http]
                healthcheck: {tcp: http, deadline: 600s}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let error = await #expect(throws: EnvironmentError.self) { try await environment.start() }
        // Noticed, not waited out: the deadline's error would be health-check-failed.
        #expect(error?.code == .exitedDuringStart, "\(stack.timeline)")
        #expect(error?.message.contains("exit status 5") == true)
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func stopDuringStartInterruptsAndCleansUp() async throws {
        let stack = try TestStack("""
            services:
              slow:
                command: "exec sleep 600"
                ports: [http]
                healthcheck: {tcp: http, deadline: 60s}
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let start = Task { try await environment.start() }
        #expect(await eventually(within: .seconds(20)) { stack.liveProcesses.count >= 1 }, "\(stack.timeline)")
        await environment.stop()
        let result = await start.result
        #expect(throws: EnvironmentError.self) { try result.get() }
        #expect(await eventually { stack.liveProcesses.isEmpty })
        #expect(stack.leftoverRuns.isEmpty)
    }

    @Test func unresolvableValuesFailBeforeAnythingStarts() async throws {
        let stack = try TestStack("""
            services:
              a:
                command: [echo, "${TESTBED_DEFINITELY_NOT_SET_ANYWHERE}"]
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment()
        let error = await #expect(throws: ManifestError.self) { try await environment.start() }
        #expect(error?.problems.first?.location.line == 3)
        #expect(stack.events.time("a", .spawned) == nil)
        #expect(stack.leftoverRuns.isEmpty)
    }
}
