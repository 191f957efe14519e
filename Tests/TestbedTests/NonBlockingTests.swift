import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedLinks
@testable import TestbedDrivers

/// Blocking work (files, `/proc`, fsync, sleeps) never holds an event loop or the thread an
/// async caller runs on: it goes to ``BlockingWork``. Each test watches a loop's latency
/// (``LoopLatencyWatch``) while real work runs, beside an idle loop whose delay is what a
/// loaded machine's scheduler adds; the bound on the difference is generous, far above a
/// loop's normal delay of about a millisecond, and far below what the blocking calls cost.
/// Serialized: each test's own load would otherwise show in the other's loop.
@Suite(.serialized) struct NonBlockingTests {
    /// The worst delay a watched loop may show.
    static let boundMilliseconds = 200.0

    /// Many clients at once, with a socket table as long as a busy machine's: the endpoint
    /// authenticates every connection from `/proc/net/tcp` and checks every upstream against
    /// the machine's endpoints, and its loop still runs a 5 ms timer on time.
    @Test func theToxiproxyEndpointsLoopRunsOnTimeWhileManyClientsConnect() async throws {
        FileLimit.raiseToHard()
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        // 3,000 connections (two descriptors each), fewer where the descriptor limit is lower.
        let pile = try SocketPile(pairs: min(3000, max(0, (Int(limit.rlim_cur) - 1024) / 2)))
        let f = try await ToxiproxyAPITests.Fixture()
        let client = f.client
        let echoPort = f.echo.port
        let watch = LoopLatencyWatch(ToxiproxyServer.eventLoopGroup.next())
        let idle = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let control = LoopLatencyWatch(idle.next())
        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            for index in 0..<8 {
                group.addTask {
                    var statuses: [Int] = []
                    for round in 0..<6 {
                        statuses.append(try await client.request("GET", "/proxies").status)
                        if round == 0 {
                            let body = #"{"name":"p\#(index)","upstream":"127.0.0.1:\#(echoPort)"}"#
                            statuses.append(try await client.request("POST", "/proxies", body: Data(body.utf8)).status)
                        }
                    }
                    return statuses
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let (worst, ticks) = try await watch.stop()
        let (idleWorst, _) = try await control.stop()
        try await idle.shutdownGracefully()
        withExtendedLifetime(pile) {}
        print("Toxiproxy endpoint loop: worst delay \(String(format: "%.1f", worst)) ms over \(ticks) ticks, "
              + "\(statuses.count) requests; an idle loop meanwhile: \(String(format: "%.1f", idleWorst)) ms")
        #expect(statuses.count == 8 * 7 && statuses.allSatisfy { $0 == 200 || $0 == 201 }, "\(Set(statuses))")
        // On a loaded machine every thread waits for a core now and then: the idle loop's worst delay is that wait.
        #expect(worst - idleWorst < Self.boundMilliseconds, "the endpoint's event loop was blocked for \(worst) ms")
        await f.close()
    }

    /// An SQLite service with a large snapshot: seeded (checksummed, flushed, copied), started
    /// again from the cache (checksum checked, copied), checked and reset, all from a caller
    /// whose executor has a single thread (the cooperative pool at its narrowest). That
    /// thread keeps running a 5 ms timer on time: the file work ran elsewhere.
    @Test func anSQLiteStartFromALargeSnapshotLeavesItsCallersThreadFree() async throws {
        let folder = try TemporaryFolder()
        let script = folder.path + "/big.sql"
        try """
            CREATE TABLE blob(id INTEGER PRIMARY KEY, data BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 16000)
            INSERT INTO blob(data) SELECT randomblob(4000) FROM n;
            """.write(toFile: script, atomically: true, encoding: .utf8)
        let seed = [PlannedSeedStep(step: SeedStep(source: .sql(path: script), location: SourceLocation(file: "env.yml", line: 1, column: 1)),
                                     absolutePaths: [script], commandArgv: nil)]
        func driver(_ name: String) throws -> SQLiteServiceDriver {
            try SQLiteServiceDriver(SQLiteStore.Options(
                serviceName: name, spec: SQLiteSpec(), path: "\(folder.path)/run/\(name).sqlite", seed: seed,
                environment: [:], cacheRoot: folder.path + "/cache"))
        }
        let cold = try driver("cold"), warm = try driver("warm")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopExecutor(group.next())
        let watch = LoopLatencyWatch(executor.eventLoop)
        let idle = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let control = LoopLatencyWatch(idle.next())
        try await withTaskExecutorPreference(executor) {
            _ = try await cold.start(report: { _, _ in })
            _ = try await warm.start(report: { _, _ in })
            _ = try await warm.reset()
            try await warm.sqlProbe(query: "SELECT count(*) FROM blob").attempt(timeout: .seconds(30))
            await cold.stop()
            await warm.stop()
        }
        let (worst, ticks) = try await watch.stop()
        let (idleWorst, _) = try await control.stop()
        try await group.shutdownGracefully()
        try await idle.shutdownGracefully()
        print("SQLite start on a one-thread executor: worst delay \(String(format: "%.1f", worst)) ms over \(ticks) ticks; "
              + "an idle loop meanwhile: \(String(format: "%.1f", idleWorst)) ms")
        #expect(worst - idleWorst < Self.boundMilliseconds, "the caller's thread was blocked for \(worst) ms")
    }
}
