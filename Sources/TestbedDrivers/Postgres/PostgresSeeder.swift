import Foundation
import TestbedSystem
import TestbedModel
import TestbedSeed

/// Applies seed steps to a running cluster through libpq, and turns failures into
/// ``SeedError``s that point at the file and line.
///
/// Each SQL file is sent in one round trip (one implicit transaction unless it has its
/// own `BEGIN`/`COMMIT`); a CSV file is one `COPY`; a JSON file is one transaction.
struct PostgresSeeder {
    var serviceName: String
    var defaultDatabase: String
    /// Opens a connection to a database of the cluster.
    var connect: (String) throws(PostgresError) -> PGConnection
    /// The environment of a command step that targets a database.
    var commandEnvironment: (String) -> [String: String]
    /// Where command steps' logs go.
    var logDirectory: String
    /// Told each step before it is applied (for progress reports).
    var onStep: (PlannedSeedStep) -> Void = { _ in }

    func apply(_ steps: [PlannedSeedStep]) async throws {
        var connections: [String: PGConnection] = [:]
        defer { connections.values.forEach { $0.close() } }
        for (index, resolved) in steps.enumerated() {
            onStep(resolved)
            let database = resolved.step.database ?? defaultDatabase
            if case .command = resolved.step.source {
                connections.values.forEach { $0.close() }
                connections = [:]
                try await runCommand(resolved, database: database, index: index)
                continue
            }
            let connection: PGConnection
            if let open = connections[database] { connection = open } else {
                do { connection = try connect(database) } catch {
                    throw SeedError(service: serviceName, file: resolved.absolutePaths.first ?? "",
                                    message: error.description, step: resolved.step.location)
                }
                connections[database] = connection
            }
            // Cancelling the start (its deadline, a signal) cancels the running statement.
            try await connection.cancellable {
                switch resolved.step.source {
                case .sql: try applySQL(resolved, connection)
                case .csv(_, let table, let options): try applyCSV(resolved, connection, table: table, options: options)
                case .json(_, let table): try applyJSON(resolved, connection, table: table)
                case .command: break
                }
            }
        }
    }

    private func read(_ resolved: PlannedSeedStep) throws -> (path: String, text: String) {
        let path = resolved.absolutePaths.first ?? ""
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SeedError(service: serviceName, file: path, message: "cannot read the file", step: resolved.step.location)
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return (path, text)
    }

    private func applySQL(_ resolved: PlannedSeedStep, _ connection: PGConnection) throws {
        let (path, text) = try read(resolved)
        do {
            try connection.execute(text)
        } catch {
            // Split only on failure: the happy path pays nothing for error locations.
            let script = SQLScript(text)
            var line: Int?
            var statement: SQLScript.Statement?
            if let position = error.position {
                statement = script.statement(atPosition: position)
                line = statement?.line ?? script.line(atPosition: position)
            } else if error.completedStatements < script.statements.count {
                statement = script.statements[error.completedStatements]
                line = statement?.line
            }
            throw SeedError(service: serviceName, file: path, line: line, statement: statement?.firstLine,
                            message: Self.message(error), step: resolved.step.location)
        }
    }

    private func applyCSV(_ resolved: PlannedSeedStep, _ connection: PGConnection, table: String,
                          options: CSVOptions) throws {
        let path = resolved.absolutePaths.first ?? ""
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SeedError(service: serviceName, file: path, message: "cannot read the file", step: resolved.step.location)
        }
        let columns = options.columns ?? (options.header ? CSVHeader.columns(path: path, delimiter: options.delimiter) : nil)
        var sql = "COPY \(table)"
        if let columns, !columns.isEmpty { sql += " (" + columns.map(quoteIdentifier).joined(separator: ", ") + ")" }
        sql += " FROM STDIN WITH (FORMAT csv, HEADER \(options.header), DELIMITER \(quoteLiteral(String(options.delimiter)))"
        sql += ", NULL \(quoteLiteral(options.null)))"
        do {
            try connection.copyIn(sql: sql, chunks: FileChunks(path: path))
        } catch {
            let line = error.context.flatMap(Self.copyLine)
            throw SeedError(service: serviceName, file: path, line: line, message: Self.message(error),
                            step: resolved.step.location)
        }
    }

    /// Loads a JSON fixture through the shared reader (``JSONFixture``): tables and rows in
    /// file order, one `json_populate_recordset` INSERT per run of rows with the same keys (a
    /// key a row lacks keeps the column's default), all in one transaction. On failure the
    /// failing run is replayed row by row to name the row's line.
    private func applyJSON(_ resolved: PlannedSeedStep, _ connection: PGConnection, table: String?) throws {
        let path = resolved.absolutePaths.first ?? ""
        let fixture: JSONFixture
        do { fixture = try JSONFixture(path: path, table: table) } catch {
            throw SeedError(service: serviceName, file: path, line: error.line, message: error.message,
                            step: resolved.step.location)
        }
        let runs = fixture.tables.flatMap { table in table.runs.map { (table: table.name, run: $0) } }
        do {
            try connection.execute("BEGIN")
            for (index, item) in runs.enumerated() {
                do {
                    try Self.insert(item.run, into: item.table, connection)
                } catch {
                    try? connection.execute("ROLLBACK")
                    let line = Self.failingLine(runs, failed: index, connection)
                    throw SeedError(service: serviceName, file: path, line: line, message: Self.message(error),
                                    step: resolved.step.location)
                }
            }
            try connection.execute("COMMIT")
        } catch let error as PostgresError {
            try? connection.execute("ROLLBACK")
            throw SeedError(service: serviceName, file: path, message: Self.message(error), step: resolved.step.location)
        }
    }

    /// Inserts a run of rows (or some of them) with one statement.
    private static func insert(_ run: JSONFixture.RowRun, rows: ArraySlice<JSONFixture.Row>? = nil, into table: String,
                               _ connection: PGConnection) throws(PostgresError) {
        guard !run.columns.isEmpty else {
            for _ in rows ?? run.rows { try connection.execute("INSERT INTO \(table) DEFAULT VALUES") }
            return
        }
        let list = run.columns.map(quoteIdentifier).joined(separator: ", ")
        _ = try connection.query(
            "INSERT INTO \(table) (\(list)) SELECT \(list) FROM json_populate_recordset(null::\(table), $1::json)",
            parameters: [run.jsonArray(rows)])
    }

    /// Replays the runs before `failed`, then the failing run row by row, in a transaction
    /// that is rolled back: the line of the first row the database refuses, or nil.
    private static func failingLine(_ runs: [(table: String, run: JSONFixture.RowRun)], failed: Int,
                                    _ connection: PGConnection) -> Int? {
        defer { try? connection.execute("ROLLBACK") }
        do {
            try connection.execute("BEGIN")
            for item in runs[..<failed] { try insert(item.run, into: item.table, connection) }
        } catch {
            return nil
        }
        let (table, run) = runs[failed]
        for index in run.rows.indices {
            do { try insert(run, rows: run.rows[index...index], into: table, connection) } catch {
                return run.rows[index].line
            }
        }
        return nil
    }

    private func runCommand(_ resolved: PlannedSeedStep, database: String, index: Int) async throws {
        let argv = resolved.commandArgv ?? []
        let shown = argv.joined(separator: " ")
        guard let executable = argv.first else {
            throw SeedError(service: serviceName, file: "(command)", message: "the command is empty", step: resolved.step.location)
        }
        let process: ServiceProcess
        do {
            process = try ServiceProcess(.init(
                executable: executable, arguments: Array(argv.dropFirst()), environment: commandEnvironment(database),
                workingDirectory: resolved.workingDirectory, logFile: logDirectory + "/seed-\(index + 1).log"))
        } catch {
            throw SeedError(service: serviceName, file: shown, message: "\(error)", step: resolved.step.location)
        }
        let status = await process.waitForExit(stoppingOnCancel: [.signal(SIGTERM, grace: .seconds(2)), .kill])
        await process.stop([.signal(SIGTERM, grace: .seconds(2)), .kill])
        guard status.isSuccess else {
            let tail = process.log.lastLines(10).map { "\n      " + $0 }.joined()
            throw SeedError(service: serviceName, file: shown, message: "the command failed (\(status)); its last lines:\(tail)",
                            step: resolved.step.location)
        }
    }

    package static func message(_ error: PostgresError) -> String {
        var text = error.message
        if let detail = error.detail { text += " (\(detail))" }
        return text
    }

    /// The row number in a COPY error context: `COPY users, line 3, column email: "x"`.
    static func copyLine(_ context: String) -> Int? {
        guard let range = context.range(of: ", line ") else { return nil }
        return Int(context[range.upperBound...].prefix { $0.isNumber })
    }
}
