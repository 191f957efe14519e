import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel

/// `start_timeout`: a start that hangs — a seed query, a seed command, a one-shot job —
/// ends with an error naming what was running, and nothing is left running.
@Suite struct StartDeadlineTests {
    @Test func aSeedQueryThatHangsIsCancelledAndItsStepNamed() async throws {
        let stack = try TestStack("""
            services:
              db:
                postgres: {}
                start_timeout: 3s
                seed:
                  - sql: slow.sql
            """, files: ["slow.sql": "CREATE TABLE t (id int);\nSELECT pg_sleep(3600);\n",
                         "warm.yml": "services:\n  db:\n    postgres: {}\n"])
        defer { stack.cleanUp() }
        // A cached initialized cluster first, so the deadline is spent in the seed, not in initdb.
        let warm = try Environment(path: stack.folder + "/warm.yml", options: .init(
            runRoot: stack.runRoot, cacheRoot: stack.folder + "/cache"))
        try await warm.start()
        await warm.stop()
        let error = try await stack.startFailure()
        #expect(error.code == .startTimeout, "\(error)")
        #expect(error.message.contains("start_timeout of 3.0 seconds"), "\(error.message)")
        #expect(error.message.contains("the seed step at "), "\(error.message)")
        #expect(error.message.contains("stack.yml:6:9 ("), "\(error.message)")
        #expect(error.message.contains("slow.sql:2"), "\(error.message)")
        #expect(error.hint?.contains("stack.yml:2:") == true, "\(error.hint ?? "")")
    }

    @Test func aSeedCommandThatHangsIsStopped() async throws {
        let stack = try TestStack("""
            services:
              notes:
                sqlite: {}
                start_timeout: 2s
                seed:
                  - command: "echo started; exec sleep 600"
            """)
        defer { stack.cleanUp() }
        let error = try await stack.startFailure()
        #expect(error.code == .startTimeout, "\(error)")
        #expect(error.message.contains("stack.yml:6:9 (/bin/sh -c echo started"), "\(error.message)")
        #expect(await eventually(within: .seconds(5)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    @Test func aOneShotJobThatHangsIsStopped() async throws {
        let stack = try TestStack("""
            services:
              migrate:
                command: "exec sleep 600"
                oneshot: true
                start_timeout: 2s
                stop_grace_period: 100ms
            """)
        defer { stack.cleanUp() }
        let error = try await stack.startFailure()
        #expect(error.code == .startTimeout, "\(error)")
        #expect(error.message.contains("still running: the one-shot job"), "\(error.message)")
        #expect(await eventually(within: .seconds(5)) { stack.liveProcesses.isEmpty }, "left: \(stack.liveProcesses)")
    }

    @Test func theManifestSetsTheDeadlineOrGetsTheDefault() throws {
        let manifest = try ManifestLoader.parse(yaml: """
            services:
              a: {command: x, start_timeout: 90s}
              b: {command: x}
            """, path: "m.yml", directory: "/tmp")
        #expect(manifest.service(named: "a")?.startTimeout == .seconds(90))
        #expect(manifest.service(named: "b")?.startTimeout == ServiceSpec.defaultStartTimeout)
        #expect(throws: ManifestError.self) {
            try ManifestLoader.parse(yaml: "services:\n  a: {command: x, start_timeout: 0s}\n", path: "m.yml", directory: "/tmp")
        }
    }
}

extension StartDeadlineTests {
    @Test func anSQLiteStatementThatNeverEndsIsInterrupted() async throws {
        let stack = try TestStack("""
            services:
              notes:
                sqlite: {}
                start_timeout: 2s
                seed:
                  - sql: forever.sql
            """, files: ["forever.sql": "CREATE TABLE n (x);\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c;\n"])
        defer { stack.cleanUp() }
        let error = try await stack.startFailure()
        #expect(error.code == .startTimeout, "\(error)")
        #expect(error.message.contains("stack.yml:6:9 ("), "\(error.message)")
        #expect(error.message.contains("forever.sql"), "\(error.message)")
    }
}
