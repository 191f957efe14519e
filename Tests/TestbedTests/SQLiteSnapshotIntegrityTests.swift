import Foundation
import Synchronization
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedDrivers

/// A damaged SQLite snapshot in the cache is rebuilt, with one warning, instead of being
/// copied into the run.
@Suite("SQLite snapshot integrity")
struct SQLiteSnapshotIntegrityTests {
    @Test(arguments: ["a byte overwritten in the middle", "the file cut short"])
    func aDamagedSnapshotIsRebuiltWithOneWarning(damage: String) async throws {
        let folder = try TemporaryFolder()
        let schema = fixturePath("sqlite", "schema.sql")
        let users = fixturePath("sqlite", "users.csv")
        let seed = [schema, users].map { path in
            PlannedSeedStep(step: SeedStep(source: path.hasSuffix(".sql") ? .sql(path: path)
                                                : .csv(path: path, table: "users", options: CSVOptions()),
                                            location: SourceLocation(file: "env.yml", line: 1, column: 1)),
                             absolutePaths: [path])
        }
        let notes = Mutex<[String]>([])
        func store(_ name: String) throws -> SQLiteStore {
            try SQLiteStore(.init(serviceName: name, spec: SQLiteSpec(), path: folder.path + "/\(name).sqlite", seed: seed,
                                  cacheRoot: folder.path + "/cache",
                                  report: { phase, detail in if phase == .note, let detail { notes.withLock { $0.append(detail) } } }))
        }
        func userCount(_ name: String) throws -> Int64? {
            let database = try SQLiteDatabase(path: folder.path + "/\(name).sqlite", flags: .readOnly)
            return try database.query("SELECT count(*) FROM users").first?.first?.integerValue
        }
        let first = try store("first")
        try await first.start()
        first.stop()
        let cache = folder.path + "/cache/sqlite"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: cache).first { $0.hasSuffix(".sqlite") })
        let handle = try #require(FileHandle(forUpdatingAtPath: cache + "/" + name))
        let size = try handle.seekToEnd()
        if damage.hasPrefix("a byte") {
            try handle.seek(toOffset: size / 2)
            let byte = try #require(try handle.read(upToCount: 1))
            try handle.seek(toOffset: size / 2)
            try handle.write(contentsOf: Data([~byte[0]]))
        } else {
            try handle.truncate(atOffset: size / 2)
        }
        try handle.close()

        let second = try store("second")
        try await second.start()
        #expect(try userCount("second") == 4, "\(damage)")
        second.stop()
        let warnings = notes.withLock { $0.filter { $0.hasPrefix("warning:") } }
        #expect(warnings.count == 1 && warnings[0].contains("is damaged"), "\(damage): \(warnings)")
        let third = try store("third")
        try await third.start()
        #expect(try userCount("third") == 4)
        third.stop()
        #expect(notes.withLock { $0.filter { $0.hasPrefix("warning:") } }.count == 1, "the rebuilt snapshot is intact")
    }
}
