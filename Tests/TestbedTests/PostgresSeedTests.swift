import Foundation
import Testing
@testable import Testbed
@testable import TestbedModel
@testable import TestbedSeed
@testable import TestbedDrivers

// The time limit is a hang guard (see `hangGuard`), not a figure: under plain `swift test` on a
// loaded 2-core machine, tests here were seen to take over two minutes.
@Suite("Postgres seeding", .timeLimit(.minutes(5)))
struct PostgresSeedTests {
    typealias Run = PostgresTestRun

    @Test func sqlFilesSeedTheDefaultDatabase() async throws {
        let run = try Run()
        let cluster = try PostgresCluster(run.options(seed: [Run.sql("schema.sql"), Run.sql("data.sql")]))
        _ = try await cluster.start()
        let connection = try cluster.connection()
        #expect(try cluster.count("users") == 3)
        #expect(try cluster.count("orders") == 3)
        #expect(try connection.query("SELECT order_count()") == [["3"]])
        #expect(try connection.query("SELECT name FROM users WHERE id = 2") == [["Bob 'the builder'"]])
        #expect(try connection.query("SELECT note FROM orders ORDER BY id") == [["first; order"], ["it's"], [nil]])
        connection.close()
        await cluster.stop()
    }

    @Test func csvImportHonoursHeaderDelimiterAndNullMarker() async throws {
        let run = try Run()
        let options = CSVOptions(delimiter: ";", header: true, null: "NULL")
        let cluster = try PostgresCluster(run.options(seed: [
            Run.sql("users-ignore-extra.sql"), Run.csv("users.csv", table: "people", options: options),
        ]))
        _ = try await cluster.start()
        let connection = try cluster.connection()
        let rows = try connection.query("SELECT id, name, email, extra FROM people ORDER BY id")
        connection.close()
        await cluster.stop()
        #expect(rows == [
            ["1", "Gus", "gus@example.com", "x"],
            ["2", "Hal; the second", "hal@example.com", "y"],
            ["3", nil, "ivy@example.com", "z"],
        ])
    }

    @Test func csvErrorReportsTheRow() async throws {
        let run = try Run()
        let options = CSVOptions(delimiter: ";", header: true, null: "NULL")
        let cluster = try PostgresCluster(run.options(seed: [
            Run.sql("schema.sql"), Run.csv("users.csv", table: "users", options: options),
        ]))
        // users has no column "extra": the header names it, so COPY fails before any row.
        let error = await #expect(throws: SeedError.self) { _ = try await cluster.start() }
        #expect(error?.message.contains("extra") == true)
        #expect(error?.file.hasSuffix("users.csv") == true)
    }

    @Test func jsonImportFillsJsonbColumnsAndMapsTables() async throws {
        let run = try Run()
        let cluster = try PostgresCluster(run.options(seed: [
            Run.sql("schema.sql"), Run.json("events.json", table: "events"), Run.json("tables.json", table: nil),
        ]))
        _ = try await cluster.start()
        let connection = try cluster.connection()
        let events = try connection.query("SELECT id, kind, payload->>'plan', jsonb_typeof(payload) FROM events ORDER BY id")
        let deep = try connection.query("SELECT payload #>> '{nested,deep}' FROM events WHERE id = 10")
        let user = try connection.query("SELECT id, name FROM users")
        connection.close()
        await cluster.stop()
        #expect(events == [
            ["1", "signup", "pro", "object"], ["2", "login", nil, nil], ["3", "purchase", nil, nil],
            ["10", "mapped", nil, "object"],
        ])
        #expect(deep == [["true"]])
        #expect(user == [["1", "Jon"]], "a column absent from the JSON keeps its default (serial id)")
    }

    @Test(arguments: [
        ("bad-constraint.sql", 7, "INSERT INTO users (email, name) VALUES ('ada@example.com', 'Ada again');",
         "duplicate key value violates unique constraint"),
        ("bad-syntax.sql", 7, "$$; INSERT INTO userz (email) VALUES ('x');", "relation \"userz\" does not exist"),
        ("bad-grammar.sql", 7, "SELECT 1; SELEC 2 FROM t1;", "syntax error at or near \"SELEC\""),
    ])
    func sqlErrorNamesTheLineAndStatement(file: String, line: Int, statement: String, message: String) async throws {
        let run = try Run()
        let cluster = try PostgresCluster(run.options(seed: [
            Run.sql("schema.sql"), Run.sql("data.sql"), Run.sql(file),
        ]))
        let error = await #expect(throws: SeedError.self) { _ = try await cluster.start() }
        #expect(error?.line == line)
        #expect(error?.message.contains(message) == true, "\(String(describing: error?.message))")
        #expect(error?.file == Run.fixture(file))
        if file == "bad-grammar.sql" {
            // Two statements on line 7: the second is the bad one, and both share the line.
            #expect(error?.statement == "SELEC 2 FROM t1;")
        } else if file == "bad-syntax.sql" {
            #expect(error?.statement == "INSERT INTO userz (email) VALUES ('x');")
        } else {
            #expect(error?.statement == statement)
        }
        #expect(!FileManager.default.fileExists(atPath: run.root + "/db/data"), "the failed cluster is deleted")
    }

    @Test func failedSeedFileKeepsNothingOfItself() async throws {
        // All or nothing per file: the rows before the bad statement in bad-constraint.sql are
        // rolled back. Seen through a cluster that seeds the same files minus the failing one.
        let run = try Run()
        let cluster = try PostgresCluster(run.options(seed: [Run.sql("schema.sql"), Run.sql("bad-constraint.sql")]))
        _ = try await cluster.start()  // without data.sql there is no duplicate
        #expect(try cluster.count("users") == 4)
        await cluster.stop()
    }

    @Test func seedsTheDatabaseEachStepNames() async throws {
        let run = try Run()
        let spec = PostgresSpec(databases: ["app", "reports"])
        let cluster = try PostgresCluster(run.options(spec: spec, seed: [
            Run.sql("schema.sql"), Run.sql("users-ignore-extra.sql", database: "reports"),
        ]))
        _ = try await cluster.start()
        #expect(try cluster.count("people", database: "reports") == 0)
        #expect(throws: PostgresError.self) { try cluster.count("people", database: "app") }
        await cluster.stop()
    }

    @Test func commandStepSeesTheConnectionAndIsCachedOnlyWhenMarkedCacheable() async throws {
        let run = try Run()
        let script = "psql -v ON_ERROR_STOP=1 -q \"$DATABASE_URL\" -c \"INSERT INTO users (email) VALUES ('$PGUSER@$PGDATABASE')\""
        func command(cacheable: Bool) -> PlannedSeedStep {
            PlannedSeedStep(step: SeedStep(source: .command(.shell(Template(literal: script)), cacheable: cacheable, inputs: []),
                                            location: Run.here),
                             absolutePaths: [], commandArgv: ["/bin/sh", "-c", script])
        }
        for (index, cacheable) in [false, false, true, true].enumerated() {
            run.clearEvents()
            let emails = try await run.withCluster(run.options("cmd\(index)", seed: [Run.sql("schema.sql"), command(cacheable: cacheable)])) {
                cluster, _ in try cluster.connection().query("SELECT email FROM users")
            }
            #expect(emails == [["postgres@app"]])
            let detail = run.details(.seeded).last ?? ""
            switch (cacheable, index) {
            case (false, _): #expect(detail.contains("not cached"), "\(detail)")
            case (true, 2): #expect(detail.hasPrefix("seeded in"), "\(detail)")
            default: #expect(detail == "seed cached")
            }
        }
    }

    @Test func failingCommandStepReportsItsOutput() async throws {
        let run = try Run()
        let step = PlannedSeedStep(
            step: SeedStep(source: .command(.argv([]), cacheable: false, inputs: []), location: Run.here),
            absolutePaths: [], commandArgv: ["/bin/sh", "-c", "echo migration 42 broke; exit 3"])
        let cluster = try PostgresCluster(run.options(seed: [step]))
        let error = await #expect(throws: SeedError.self) { _ = try await cluster.start() }
        #expect(error?.message.contains("exit status 3") == true)
        #expect(error?.message.contains("migration 42 broke") == true)
    }
}
