import Foundation
import Testing
@testable import Testbed
@testable import TestbedDrivers

/// Figures, not assertions: `TESTBED_BENCH=1 swift test --filter PostgresBenchmark`.
/// Seed data: `python3 /work/shared/bench/gen_seed.py /tmp/testbed-bench-data`
/// (or set TESTBED_BENCH_DATA).
@Suite("Postgres benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil, "an opt-in benchmark: set TESTBED_BENCH=1"))
struct PostgresBenchmark {
    static let runs = Int(ProcessInfo.processInfo.environment["TESTBED_BENCH_RUNS"] ?? "") ?? 15
    static let data = ProcessInfo.processInfo.environment["TESTBED_BENCH_DATA"] ?? "/tmp/testbed-bench-data"

    @Test func warmStartQueryStopAndReset() async throws {
        let run = try PostgresTestRun()
        let seed = [PostgresTestRun.sql("all.sql", path: Self.data + "/all.sql")]
        let clock = ContinuousClock()

        let coldOptions = try run.options("cold", seed: seed)
        let cold = try await clock.measure {
            let orders = try await run.withCluster(coldOptions) { cluster, _ in try cluster.count("orders") }
            #expect(orders == 50_000)
        }
        if let keep = ProcessInfo.processInfo.environment["TESTBED_BENCH_KEEP"] {
            try? FileManager.default.copyItem(atPath: run.cacheRoot, toPath: keep)
        }
        print("cold start (initdb + seed + cache) + query + stop: \(Self.ms(cold)) ms")

        var warm: [Duration] = []
        var ready: [Duration] = []
        for index in 0..<Self.runs {
            var options = try run.options("warm\(index)", seed: seed)
            let began = clock.now
            let phases = ClusterEventLog()
            options.report = { phase, detail in phases.append(phase, "@\(Self.ms(clock.now - began)) \(detail ?? "")") }
            let cluster = try PostgresCluster(options)
            _ = try await cluster.start()
            ready.append(clock.now - began)
            let stopBegan = clock.now
            let connection = try PGConnection(conninfo: cluster.values["url"]!)
            let count = try connection.query("SELECT count(*) FROM orders")
            connection.close()
            await cluster.stop()
            warm.append(clock.now - began)
            if index == Self.runs - 1 {
                let marks = phases.entries.withLock { $0.map { "\($0.phase) \($0.detail!)" } }
                print("last warm start, ms since start: \(marks.joined(separator: ", ")); stop took \(Self.ms(clock.now - stopBegan))")
            }
            #expect(count == [["50000"]])
        }
        print("warm start (seed cached) until ready: median \(Self.median(ready)) ms over \(Self.runs)")
        print("warm start + query + stop: median \(Self.median(warm)) ms (min \(Self.ms(warm.min()!)), max \(Self.ms(warm.max()!)))")

        let cachedPath = try FileManager.default.contentsOfDirectory(atPath: run.cacheRoot + "/postgres")
            .first { $0.hasPrefix("seeded-") && $0.hasSuffix(".pack") }!
        var copies: [Duration] = []
        for index in 0..<Self.runs {
            let target = run.root + "/copy\(index)"
            copies.append(try clock.measure {
                try ClusterPack.unpack(run.cacheRoot + "/postgres/" + cachedPath, to: target, owner: nil)
            })
            ClusterFiles.remove(target)
        }
        let packSize = (try FileManager.default.attributesOfItem(atPath: run.cacheRoot + "/postgres/" + cachedPath)[.size] as? Int ?? 0) / 1_000_000
        print("unpack of the seeded cluster (\(packSize) MB pack): median \(Self.median(copies)) ms")

        try await run.withCluster(run.options("reset", seed: seed)) { cluster, _ in
            let rounds = Int(ProcessInfo.processInfo.environment["TESTBED_BENCH_RESETS"] ?? "") ?? 50
            func dirty() throws {
                let connection = try cluster.connection()
                try connection.execute("DELETE FROM orders WHERE id % 2 = 0")
                connection.close()
            }
            var ready: [Duration] = []
            var backToBack: [Duration] = []
            var classic: [Duration] = []
            var clonesReady: [Duration] = []
            var clonesBackToBack: [Duration] = []
            try await cluster.prepareResets()  // the template and spare, made ahead
            for _ in 0..<rounds {
                try dirty()
                await cluster.spares.settle()
                ready.append(try await clock.measure { try await cluster.reset() })
            }
            #expect(try cluster.count("orders") == 50_000)
            var afterDelete: [Duration] = []
            for _ in 0..<rounds {
                try dirty()
                afterDelete.append(try await clock.measure { try await cluster.reset() })
            }
            for _ in 0..<rounds {
                backToBack.append(try await clock.measure { try await cluster.reset() })
            }
            #expect(try cluster.count("orders") == 50_000)
            await cluster.spares.settle()
            for _ in 0..<rounds {
                try dirty()
                let admin = try cluster.connect("postgres")
                classic.append(try clock.measure {
                    try cluster.connector.replace(cluster.spec.databases[0], useSpare: nil, strategy: .fileCopy, admin: admin)
                })
                admin.close()
            }
            #expect(try cluster.count("orders") == 50_000)
            for index in 0..<rounds {
                await cluster.spares.settle()
                clonesReady.append(try await clock.measure { try await cluster.cloneDatabase(named: "clone\(index)") })
            }
            for index in 0..<rounds {
                clonesBackToBack.append(try await clock.measure { try await cluster.cloneDatabase(named: "clone_b\(index)") })
            }
            func fine(_ values: [Duration]) -> String {
                let sorted = values.sorted()
                return String(format: "median %.1f ms (min %.1f, max %.1f)", sorted[sorted.count / 2].milliseconds,
                              sorted[0].milliseconds, sorted[sorted.count - 1].milliseconds)
            }
            print("reset, spare ready (waited for between resets): \(fine(ready)) over \(rounds)")
            print("reset, right after a DELETE, not waiting for the spare: \(fine(afterDelete))")
            print("reset, back to back (nothing between): \(fine(backToBack))")
            print("reset, drop + create from template (the old way): \(fine(classic))")
            print("cloneDatabase, spare ready: \(fine(clonesReady)); back to back: \(fine(clonesBackToBack))")
        }
    }

    static func ms(_ duration: Duration) -> Int { Int(duration.milliseconds.rounded()) }
    static func median(_ values: [Duration]) -> Int { ms(values.sorted()[values.count / 2]) }
    static func size(_ path: String) -> Int {
        let files = FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []
        let bytes = files.reduce(0) { total, file in
            total + ((try? FileManager.default.attributesOfItem(atPath: path + "/" + file)[.size] as? Int) ?? 0)
        }
        return bytes / 1_000_000
    }
}
