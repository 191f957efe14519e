import Foundation
import Testing
@testable import Testbed

/// A service that is not ready says, every few seconds, what it waits for and the last
/// result; a health check that cannot pass gets a hint that fits why.
@Suite struct ProgressReportTests {
    /// Reports after 50 ms of an activity, then every 100 ms: the default is 2.5 s and 5 s.
    static let quick = Environment.ProgressTiming(first: .milliseconds(50), every: .milliseconds(100))

    @Test func aWaitingHealthCheckReportsItsLastResultAndASteady404HintsAtThePath() async throws {
        // http.server answers 404 for a path that is not a file of its folder.
        let stack = try TestStack("""
            services:
              api:
                command: [/usr/bin/python3, -m, http.server, --bind, 127.0.0.1, "${api.ports.http}"]
                ports: [http]
                healthcheck: {http: /healthz, port: http, deadline: 6s}
            """)
        defer { stack.cleanUp() }
        let error = try await stack.startFailure(progress: Self.quick)
        #expect(error.code == .healthCheckFailed, "\(error)")
        let reports = stack.events.all.filter { $0.phase == .progress && $0.service == "api" }
        #expect(reports.count >= 2, "\(stack.timeline)")
        let last = try #require(reports.last?.progress)
        #expect(last.activity == .waiting)
        #expect(last.lastResult == "GET /healthz → 404 (expected 200)", "\(stack.timeline)")
        #expect(last.limitSetting == "healthcheck.deadline" && last.limit == .seconds(6))
        #expect(reports.last?.detail?.hasPrefix("waiting ") == true)
        #expect(reports.last?.detail?.contains(": GET /healthz → 404 (expected 200) (gives up at 6 s: healthcheck.deadline)") == true,
                "\(reports.last?.detail ?? "")")
        // Reports stop with the activity: none after the failure.
        let failedAt = try #require(stack.events.all.first { $0.phase == .failed }?.elapsed)
        #expect(reports.allSatisfy { $0.elapsed <= failedAt })
        #expect(error.hint?.contains("GET /healthz gets 404: check the path in the healthcheck at ") == true, "\(error)")
    }

    @Test func connectionRefusedWhileTheServiceListensElsewhereNamesThePortItOpened() async throws {
        let stack = try TestStack("""
            services:
              api:
                command: [/usr/bin/python3, -c, "import socket, time\\ns = socket.socket()\\ns.bind(('127.0.0.1', 0))\\ns.listen()\\nprint('listening on', s.getsockname()[1], flush=True)\\ntime.sleep(600)"]
                ports: [http]
                healthcheck: {tcp: http, deadline: 1500ms}
            """)
        defer { stack.cleanUp() }
        let error = try await stack.startFailure(progress: Self.quick)
        #expect(error.code == .healthCheckFailed, "\(error)")
        let opened = try #require(error.logTail.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.first,
                                  "\(error)")
        #expect(error.hint?.contains("but the service listens on \(opened): make it listen on ${api.ports.http}") == true,
                "\(error)")
        let progress = try #require(stack.events.all.last { $0.phase == .progress }?.progress)
        #expect(progress.lastResult?.hasPrefix("connection refused on 127.0.0.1:") == true, "\(stack.timeline)")
        #expect(await eventually { stack.liveProcesses.isEmpty })
    }

    @Test func aSeedReportsItsStepAndTheStartTimeoutThatStopsIt() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
                seed: [fixtures/orders.sql]
            """, files: ["orders.sql": "CREATE TABLE orders (id int);\nSELECT pg_sleep(0.8);\n"])
        defer { stack.cleanUp() }
        try FileManager.default.createDirectory(atPath: stack.folder + "/fixtures", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: stack.folder + "/orders.sql", toPath: stack.folder + "/fixtures/orders.sql")
        let environment = try stack.environment(progress: Self.quick)
        try await environment.start()
        await environment.stop()
        let reports = stack.events.all.compactMap { $0.phase == .progress ? $0 : nil }
        let seeding = try #require(reports.last { $0.progress?.activity == .seeding }, "\(stack.timeline)")
        #expect(seeding.progress?.subject == "fixtures/orders.sql")
        #expect(seeding.detail?.hasPrefix("seeding ") == true)
        #expect(seeding.detail?.hasSuffix(": fixtures/orders.sql (stops at 5 min: start_timeout)") == true, "\(seeding.detail ?? "")")
        // Nothing reports after the seed is done.
        let seededAt = try #require(stack.events.all.first { $0.phase == .seeded }?.elapsed)
        #expect(reports.filter { $0.progress?.activity == .seeding }.allSatisfy { $0.elapsed <= seededAt })
    }

    @Test func aOneShotJobReportsThatItRuns() async throws {
        let stack = try TestStack("""
            services:
              migrate:
                command: "sleep 0.5"
                oneshot: true
                start_timeout: 90s
            """)
        defer { stack.cleanUp() }
        let environment = try stack.environment(progress: Self.quick)
        try await environment.start()
        await environment.stop()
        let running = try #require(stack.events.all.last { $0.progress?.activity == .running }, "\(stack.timeline)")
        #expect(running.detail?.hasSuffix("(stops at 90 s: start_timeout)") == true, "\(running.detail ?? "")")
    }
}
