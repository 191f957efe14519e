import Foundation
import Synchronization
import Testing
import TestbedTesting
import TestbedModel
import TestbedDrivers
import Testbed

/// Counts what a registry's factory was asked to do.
final class StartCounter: Sendable {
    let starts = Mutex(0)
    let stops = Mutex(0)
    let folder: String

    init() throws { folder = try makeTemporaryDirectory() }

    /// A registry whose environments run under this counter's folder and count their starts and stops.
    func registry() -> EnvironmentRegistry {
        EnvironmentRegistry { [self] path in
            starts.withLock { $0 += 1 }
            let options = Environment.Options(runRoot: folder + "/runs", cacheRoot: folder + "/cache", onEvent: { event in
                if event.service == nil, event.phase == .stopped { self.stops.withLock { $0 += 1 } }
            })
            return try Environment(path: path, options: options)
        }
    }

    static let manifest = fixturePath("Fixtures/swiftapi/notes.yml")

    static func fixturePath(_ relative: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(relative).path
    }
}

@Suite struct TraitRegistryTests {
    @Test func twoUsersOfOneManifestShareOneStartAndTheLastReleaseStopsIt() async throws {
        let counter = try StartCounter()
        defer { try? FileManager.default.removeItem(atPath: counter.folder) }
        let registry = counter.registry()
        let manifest = StartCounter.manifest
        async let first = registry.acquire(manifest: manifest)
        async let second = registry.acquire(manifest: manifest)
        let (a, b) = try await (first, second)
        #expect(a === b)
        #expect(counter.starts.withLock { $0 } == 1)
        #expect(await registry.users(of: manifest) == 2)
        #expect(await registry.release(a) == false, "another user holds it")
        #expect(counter.stops.withLock { $0 } == 0)
        let path = try await b.environment.service("notes").path
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(await registry.release(b) == true, "the last release stops it")
        #expect(counter.stops.withLock { $0 } == 1)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(await registry.users(of: manifest) == 0)
        let again = try await registry.acquire(manifest: manifest)
        #expect(counter.starts.withLock { $0 } == 2)
        await registry.release(again)
        #expect(counter.stops.withLock { $0 } == 2)
    }

    @Test func aFailedStartReachesEveryWaiterAndHoldsNothing() async throws {
        let counter = try StartCounter()
        defer { try? FileManager.default.removeItem(atPath: counter.folder) }
        let registry = counter.registry()
        let missing = counter.folder + "/missing.yml"
        await #expect(throws: ManifestError.self) { try await registry.acquire(manifest: missing) }
        #expect(await registry.users(of: missing) == 0)
    }

    @Test func databasesHandedOutInAScopeAreDroppedWhenItEndsEvenWhenItThrows() async throws {
        let counter = try StartCounter()
        defer { try? FileManager.default.removeItem(atPath: counter.folder) }
        let registry = counter.registry()
        let shared = try await registry.acquire(manifest: StartCounter.manifest)
        struct Failure: Error {}
        let kept = Mutex<String?>(nil)
        await #expect(throws: Failure.self) {
            try await TestbedContext.withEnvironment(shared) {
                let database = try await TestbedContext.database("notes")
                kept.withLock { $0 = database.path }
                #expect(FileManager.default.fileExists(atPath: database.path!))
                throw Failure()
            }
        }
        let path = try #require(kept.withLock { $0 })
        #expect(!FileManager.default.fileExists(atPath: path))
        await registry.release(shared)
    }

    @Test func outsideAScopeTheErrorSaysToAddTheTrait() {
        let error = #expect(throws: TestbedScopeError.self) { _ = try TestbedContext.current }
        #expect(error?.description.contains(".testbed(") == true)
    }

    @Test func aMissingManifestNamesEveryPathTried() async throws {
        let trait: TestbedTrait = .testbed("Fixtures/none/missing.yml")
        let error = await #expect(throws: TestbedScopeError.self) {
            try await trait.provideScope(for: Test.current!, testCase: nil) {}
        }
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
        let text = error?.description ?? ""
        #expect(text.contains(FileManager.default.currentDirectoryPath + "/Fixtures/none/missing.yml"))
        #expect(text.contains(here + "/Fixtures/none/missing.yml"))
        let xctest = TestbedXCTest(manifest: "Fixtures/none/missing.yml")
        let xctestError = await #expect(throws: TestbedScopeError.self) { try await xctest.start() }
        #expect(xctestError?.description.contains(here + "/Fixtures/none/missing.yml") == true)
    }

    @Test func xctestHelperStartsOnceHandsOutDatabasesAndStops() async throws {
        let counter = try StartCounter()
        defer { try? FileManager.default.removeItem(atPath: counter.folder) }
        let helper = TestbedXCTest(manifest: StartCounter.manifest, registry: counter.registry())
        let environment = try await helper.start()
        #expect(try await helper.start() === environment)
        let database = try await helper.database("notes")
        #expect(FileManager.default.fileExists(atPath: database.path!))
        await helper.checkinDatabases()
        #expect(!FileManager.default.fileExists(atPath: database.path!))
        await helper.stop()
        #expect(counter.starts.withLock { $0 } == 1)
        #expect(counter.stops.withLock { $0 } == 1)
    }
}

/// Two suites on the same manifest: each test gets the shared environment and copies of its own.
enum TraitSuites {
    static func useTheEnvironment(tag: String) async throws {
        let environment = try TestbedContext.current
        let notes = try await environment.service("notes")
        #expect(FileManager.default.fileExists(atPath: try notes.path))
        let database = try await TestbedContext.database("notes")
        let connection = try SQLiteDatabase(path: database.path!)
        defer { connection.close() }
        try connection.execute("INSERT INTO notes (tag) VALUES ('\(tag)')")
        let tags = try connection.query("SELECT tag FROM notes ORDER BY id").map { $0[0].stringValue ?? "" }
        #expect(tags == ["seed-1", "seed-2", "seed-3", tag])
    }
}

@Suite(.testbed("Fixtures/swiftapi/notes.yml"))
struct TraitFirstSuite {
    @Test func firstTest() async throws { try await TraitSuites.useTheEnvironment(tag: "first-1") }
    @Test func secondTest() async throws { try await TraitSuites.useTheEnvironment(tag: "first-2") }
    @Test(arguments: 1...3) func parameterized(case: Int) async throws {
        try await TraitSuites.useTheEnvironment(tag: "first-case-\(`case`)")
    }
}

@Suite(.testbed("Fixtures/swiftapi/notes.yml"))
struct TraitSecondSuite {
    @Test func sameManifestSameEnvironmentInOneSuite() async throws {
        let environment = try TestbedContext.current
        #expect(try await TestbedContext.service("notes").path == (try await environment.service("notes").path))
        try await TraitSuites.useTheEnvironment(tag: "second")
    }
}
