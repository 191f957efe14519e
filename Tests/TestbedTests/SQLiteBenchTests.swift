import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedDrivers

/// Figures, not assertions: run with `TESTBED_BENCH=1 swift test -c release --filter SQLiteBench`.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TESTBED_BENCH"] != nil, "an opt-in benchmark: set TESTBED_BENCH=1"))
struct SQLiteBenchTests {
    private static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    private static func median(_ samples: [Duration]) -> Double {
        milliseconds(samples.sorted()[samples.count / 2])
    }

    @Test func csvSeedThroughput() async throws {
        let folder = try TemporaryFolder()
        let rows = 100_000
        var text = "id,name,email,score,note\n"
        text.reserveCapacity(rows * 60)
        for id in 1...rows {
            text += "\(id),user \(id),user\(id)@example.com,\(id % 1000),\"quoted, \"\"note\"\" \(id)\"\n"
        }
        let csv = try folder.write("users.csv", text)
        let schema = try folder.write("schema.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, score INTEGER, note TEXT);")
        let clock = ContinuousClock()

        var parsed = 0
        let parse = try clock.measure {
            let reader = try CSVReader(path: csv)
            while try reader.next() != nil { parsed += 1 }
        }
        print("SQLiteBench: CSVReader parsed \(parsed) rows in \(String(format: "%.1f", Self.milliseconds(parse))) ms")

        let location = SourceLocation(file: "bench.yml", line: 1, column: 1)
        let seed = [
            PlannedSeedStep(step: SeedStep(source: .sql(path: schema), location: location), absolutePaths: [schema]),
            PlannedSeedStep(step: SeedStep(source: .csv(path: csv, table: "users", options: CSVOptions()), location: location),
                             absolutePaths: [csv]),
        ]
        let store = try SQLiteStore(.init(serviceName: "bench", spec: SQLiteSpec(), path: folder.path + "/bench.sqlite",
                                          seed: seed, cacheRoot: folder.path + "/cache"))
        let seeding = try await clock.measure { try await store.start() }
        let seconds = Self.milliseconds(seeding) / 1000
        print("SQLiteBench: seeded \(rows) CSV rows in \(String(format: "%.1f", seconds * 1000)) ms = \(Int(Double(rows) / seconds)) rows/s (cold, includes hashing and snapshot copy)")
        store.stop()
        let hit = try await clock.measure { try await store.start() }
        print("SQLiteBench: cache-hit start of the 100k-row database: \(String(format: "%.2f", Self.milliseconds(hit))) ms")
        store.stop()
    }

    @Test func resetOfASmallDatabase() async throws {
        let folder = try TemporaryFolder()
        let schema = fixturePath("sqlite", "schema.sql")
        let users = fixturePath("sqlite", "users.csv")
        let location = SourceLocation(file: "bench.yml", line: 1, column: 1)
        let seed = [
            PlannedSeedStep(step: SeedStep(source: .sql(path: schema), location: location), absolutePaths: [schema]),
            PlannedSeedStep(step: SeedStep(source: .csv(path: users, table: "users", options: CSVOptions()), location: location),
                             absolutePaths: [users]),
        ]
        let store = try SQLiteStore(.init(serviceName: "small", spec: SQLiteSpec(), path: folder.path + "/small.sqlite",
                                          seed: seed, cacheRoot: folder.path + "/cache"))
        try await store.start()
        let app = try SQLiteDatabase(path: folder.path + "/small.sqlite")
        let clock = ContinuousClock()
        var resets: [Duration] = []
        var copies: [Duration] = []
        for index in 0..<50 {
            try app.execute("DELETE FROM users WHERE id > 1")
            resets.append(try clock.measure { try store.reset() })
            copies.append(try clock.measure { try store.copy(to: folder.path + "/copy\(index).sqlite") })
        }
        #expect(try app.query("SELECT count(*) FROM users") == [[.integer(4)]])
        print("SQLiteBench: reset (backup API, small db) median of 50: \(String(format: "%.3f", Self.median(resets))) ms")
        print("SQLiteBench: copy(to:) (small db) median of 50: \(String(format: "%.3f", Self.median(copies))) ms")
        store.stop()
    }
}
