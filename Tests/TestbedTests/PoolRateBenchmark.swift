import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedSystem
@testable import TestbedSeed
@testable import TestbedDrivers

/// The sustained rate of fresh seeded databases for parallel tests: 8 consumers check out,
/// use and check in databases as fast as they can, so the pool's refill (clones of the
/// template) is measured, not only hand-outs from a full pool; the clock stops when every
/// checked-in database is dropped. Prints; asserts nothing about time.
///
///     TESTBED_BENCH=1 swift test --filter PoolRateBenchmark
///     TESTBED_BENCH=1 TESTBED_BENCH_BIGSEED=/tmp/testbed-bigseed/seed.sql swift test --filter PoolRateBenchmark
///
/// The second form adds the 4,000,000-order seed that scripts/bench_bigseed.sh writes.
@Suite("Pool hand-out rate", .serialized, .enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil, "an opt-in benchmark: set TESTBED_BENCH=1"))
struct PoolRateBenchmark {
    static let consumers = 8

    /// Checks out `total` databases with 8 consumers (each runs one query on its database)
    /// and prints the rate.
    static func measure(_ label: String, seed: [PlannedSeedStep], total: Int, size: Int, creations: Int,
                        drops: Int = 2) async throws {
        let run = try PostgresTestRun()
        _ = try await run.withCluster(run.options("fill", seed: seed)) { _, _ in 0 }
        try await run.withCluster(run.options("rate", seed: seed)) { cluster, _ in
            let pool = try await DatabasePool(cluster: cluster, service: "db",
                                              options: .init(size: size, concurrentCreations: creations, concurrentDrops: drops))
            try await pool.prepared()
            let clock = ContinuousClock()
            let cpuBefore = try Self.cpuSeconds(cluster: cluster)
            let began = clock.now
            let handed = Ticket()
            var dropped = 0
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<consumers {
                    group.addTask {
                        while handed.next() <= total {
                            let database = try await pool.checkout()
                            let connection = try PGConnection(conninfo: database.url)
                            _ = try connection.query("SELECT count(*) FROM users")
                            connection.close()
                            try await pool.checkin(database)
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Sustained: the rate counts the drops of every database handed out, not only the hand-outs.
            await pool.waitForDrops()
            dropped = await pool.statistics.dropped
            let cpuAfter = try Self.cpuSeconds(cluster: cluster)
            let serverCPU = (cpuAfter.server - cpuBefore.server) * 1000 / Double(total)
            let testbedCPU = (cpuAfter.testbed - cpuBefore.testbed) * 1000 / Double(total)
            let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
            let seconds = Double((clock.now - began).components.attoseconds) / 1e18 + Double((clock.now - began).components.seconds)
            let statistics = await pool.statistics
            await pool.shutdown()
            print(String(format: "BENCH %@: %d databases to %d consumers in %.2f s = %.0f per second "
                         + "(pool size %d, %d clones and %d drops at a time; %d created, %d dropped); "
                         + "CPU per database: server %.1f ms + this process %.1f ms, so %.0f cores at 100%% "
                         + "give at most %.0f per second",
                         label, total, consumers, seconds, Double(total) / seconds, size, creations, drops, statistics.created,
                         dropped, serverCPU, testbedCPU, cores, cores * 1000 / (serverCPU + testbedCPU)))
        }
    }

    /// CPU seconds used so far by the cluster's server (the postmaster, its live children
    /// and the children it reaped) and by this process (the pool, libpq, the consumers).
    static func cpuSeconds(cluster: PostgresCluster) throws -> (server: Double, testbed: Double) {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pidFile = try String(contentsOfFile: cluster.dataDirectory + "/postmaster.pid", encoding: .utf8)
        let postmaster = try #require(pidFile.split(separator: "\n").first.flatMap { Int32($0) })
        /// utime and stime (fields 14, 15); the postmaster also counts its reaped children (16, 17).
        func used(_ pid: Int32, withChildren: Bool) -> Double {
            guard let stat = ProcessTable.read("/proc/\(pid)/stat").map({ String(decoding: $0, as: UTF8.self) }),
                  let close = stat.lastIndex(of: ")") else { return 0 }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")  // fields from 3 (state) on
            return (withChildren ? fields[11...14] : fields[11...12]).compactMap { Double($0) }.reduce(0, +) / ticks
        }
        let backends = ProcessTable.all().filter { $0.parent == postmaster }.map(\.pid)
        let server = used(postmaster, withChildren: true) + backends.map { used($0, withChildren: false) }.reduce(0, +)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let testbed = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return (server, testbed)
    }

    @Test func benchmarkSeedRate() async throws {
        let run = try PostgresTestRun()
        let seed = try PostgresSmallRunRootTests.benchmarkSeed(run)
        for (size, creations, drops) in [(4, 2, 2), (8, 4, 2), (16, 8, 2), (16, 8, 4)] {
            try await Self.measure("10k users / 50k orders", seed: seed, total: 400, size: size, creations: creations, drops: drops)
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH_BIGSEED"] != nil, "an opt-in benchmark: set TESTBED_BENCH_BIGSEED=1"))
    func bigSeedRate() async throws {
        let path = ProcessInfo.processInfo.environment["TESTBED_BENCH_BIGSEED"]!
        let seed = [PostgresTestRun.sql("bigseed.sql", path: path)]
        try await Self.measure("200k users / 4M orders", seed: seed, total: 16, size: 4, creations: 2)
    }
}

/// Numbers handed out one by one to concurrent consumers.
final class Ticket: Sendable {
    private let count = Mutex(0)
    func next() -> Int { count.withLock { count in count += 1; return count } }
}
