import Foundation
import TestbedSystem
import TestbedModel
import TestbedSeed

/// Builds a seeded database file: pragmas, then every seed step in order.
///
/// All-or-nothing: the steps run in one transaction on a temporary file, which is renamed to
/// the destination only when every step succeeded; on failure it is deleted and a
/// ``SeedError`` is thrown. A command step opens the file itself, so the transaction is
/// committed before it and a new one begun after it; the temporary file keeps the whole seed
/// all-or-nothing all the same.
struct SQLiteSeeder {
    var service: String
    /// User pragmas, with `foreign_keys = ON` added when the manifest does not set it.
    var pragmas: [(name: String, value: String)]
    var seed: [PlannedSeedStep]
    var environment: [String: String]
    /// Where temporary files (the database being built, command logs) go.
    var temporaryDirectory: String
    /// Told each step before it is applied (for progress reports).
    var onStep: @Sendable (PlannedSeedStep) -> Void = { _ in }

    /// The manifest's pragmas with Testbed's defaults.
    static func effectivePragmas(_ pragmas: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var result = pragmas
        if !pragmas.contains(where: { $0.name.lowercased() == "foreign_keys" }) {
            result.insert(("foreign_keys", "ON"), at: 0)
        }
        return result
    }

    /// Applies `pragmas` on a new connection; names must be identifiers.
    static func apply(_ pragmas: [(name: String, value: String)], to database: SQLiteDatabase) throws {
        for pragma in pragmas {
            guard !pragma.name.isEmpty, pragma.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw SQLiteError(code: .misuse, message: "'\(pragma.name)' is not a pragma name")
            }
            _ = try database.query("PRAGMA \(pragma.name) = \(pragma.value)")
        }
    }

    /// Seeds a new database and moves it to `destination`. Returns the number of rows
    /// inserted from CSV and JSON fixtures.
    func build(to destination: String) async throws -> Int {
        let temporary = "\(temporaryDirectory)/\(service)-\(getpid())-\(UUID().uuidString.prefix(8)).sqlite"
        SQLiteFiles.removeDatabase(temporary)
        do {
            let rows = try await seed(temporary)
            try SQLiteFiles.move(temporary, to: destination)
            return rows
        } catch {
            SQLiteFiles.removeDatabase(temporary)
            throw error
        }
    }

    private func open(_ path: String) throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: path)
        try Self.apply(pragmas, to: database)
        // The file is thrown away on failure, so seeding need not wait for the disk.
        if !pragmas.contains(where: { $0.name.lowercased() == "synchronous" }) {
            try database.execute("PRAGMA synchronous = OFF")
        }
        try database.execute("BEGIN")
        return database
    }

    private func seed(_ path: String) async throws -> Int {
        var database = try open(path)
        var rows = 0
        for resolved in seed {
            onStep(resolved)
            let file = resolved.absolutePaths.first ?? resolved.step.files.first ?? ""
            let failure = { (line: Int?, statement: String?, message: String) in
                SeedError(service: service, file: file, line: line, statement: statement, message: message,
                          step: resolved.step.location)
            }
            do {
                let loader = SQLiteFixtureLoader(database: database, file: file)
                // Cancelling the start (its deadline, a signal) interrupts the running statement.
                switch resolved.step.source {
                case .sql:
                    try await database.interruptible { try loader.loadSQL() }
                case .csv(_, let table, let options):
                    rows += try await database.interruptible { try loader.loadCSV(table: table, options: options) }
                case .json(_, let table):
                    rows += try await database.interruptible { try loader.loadJSON(table: table) }
                case .command:
                    try database.execute("COMMIT")
                    database.close()
                    try await run(resolved, on: path)
                    database = try open(path)
                }
            } catch let error as FixtureError {
                throw failure(error.line, nil, error.message)
            } catch let error as SQLiteError {
                throw failure(error.line, error.statement, error.message)
            }
        }
        do {
            try database.execute("COMMIT")
        } catch let error as SQLiteError {
            // Deferred constraints (`defer_foreign_keys`, DEFERRABLE) are checked here.
            throw SeedError(service: service, file: seed.last?.absolutePaths.first ?? "seed",
                            message: "committing the seed failed: \(error.message)", step: seed.last?.step.location)
        }
        if pragmas.contains(where: { $0.name.lowercased() == "journal_mode" }) {
            _ = try database.query("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        database.close()
        return rows
    }

    /// Runs a command step with `SQLITE_PATH` and `DATABASE_URL` naming the file being built.
    private func run(_ resolved: PlannedSeedStep, on path: String) async throws {
        guard let argv = resolved.commandArgv, let executable = argv.first else {
            throw SeedError(service: service, file: "command", message: "the command step has no resolved command",
                            step: resolved.step.location)
        }
        var environment = self.environment
        environment["SQLITE_PATH"] = path
        environment["DATABASE_URL"] = SQLiteStore.url(forPath: path)
        let log = "\(temporaryDirectory)/\(service)-seed-\(getpid())-\(UUID().uuidString.prefix(8)).log"
        defer { unlink(log) }
        let commandLine = argv.joined(separator: " ")
        let process: ServiceProcess
        do {
            process = try ServiceProcess(.init(executable: executable, arguments: Array(argv.dropFirst()),
                                               environment: environment, workingDirectory: resolved.workingDirectory, logFile: log))
        } catch {
            throw SeedError(service: service, file: commandLine, message: "\(error)", step: resolved.step.location)
        }
        let status = await process.waitForExit(stoppingOnCancel: [.signal(SIGTERM, grace: .seconds(2)), .kill])
        await process.stop([.signal(SIGTERM, grace: .seconds(2)), .kill])
        guard status.isSuccess else {
            let output = process.log.lastLines(10).map { "\n    | \($0)" }.joined()
            throw SeedError(service: service, file: commandLine, message: "the seed command failed with \(status)\(output)",
                            step: resolved.step.location)
        }
    }
}
