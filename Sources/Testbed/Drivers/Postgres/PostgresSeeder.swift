import Foundation

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

    func apply(_ steps: [ResolvedSeedStep]) async throws {
        var connections: [String: PGConnection] = [:]
        defer { connections.values.forEach { $0.close() } }
        for (index, resolved) in steps.enumerated() {
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

    private func read(_ resolved: ResolvedSeedStep) throws -> (path: String, text: String) {
        let path = resolved.absolutePaths.first ?? ""
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SeedError(service: serviceName, file: path, message: "cannot read the file", step: resolved.step.location)
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return (path, text)
    }

    private func applySQL(_ resolved: ResolvedSeedStep, _ connection: PGConnection) throws {
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

    private func applyCSV(_ resolved: ResolvedSeedStep, _ connection: PGConnection, table: String,
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

    private func applyJSON(_ resolved: ResolvedSeedStep, _ connection: PGConnection, table: String?) throws {
        let (path, text) = try read(resolved)
        func fail(_ message: String) -> SeedError {
            SeedError(service: serviceName, file: path, message: message, step: resolved.step.location)
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) } catch {
            // The shared fixture reader says where: the line of the first malformed token.
            do { _ = try JSONFixture(path: path, table: table) } catch {
                throw SeedError(service: serviceName, file: path, line: error.line, message: error.message,
                                step: resolved.step.location)
            }
            throw fail("not valid JSON: \(error.localizedDescription)")
        }
        // (table, SQL expression of the rows array, its rows)
        var targets: [(table: String, rows: String, objects: [Any])] = []
        if let array = parsed as? [Any] {
            guard let table else { throw fail("a JSON array needs `table:` in the seed step") }
            targets = [(table, "$1::json", array)]
        } else if let object = parsed as? [String: Any], table == nil {
            for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                guard let array = value as? [Any] else { throw fail("the value of \"\(name)\" is not an array of objects") }
                targets.append((name, "($1::json -> \(quoteLiteral(name)))", array))
            }
        } else if parsed is [String: Any], let table {
            targets = [(table, "json_build_array($1::json)", [parsed])]
        } else {
            throw fail("expected an array of objects, or an object mapping table names to arrays")
        }
        do {
            try connection.execute("BEGIN")
            for target in targets where !target.objects.isEmpty {
                var columns: [String] = []
                var seen = Set<String>()
                for case let row as [String: Any] in target.objects {
                    for key in row.keys.sorted() where seen.insert(key).inserted { columns.append(key) }
                }
                let list = columns.map(quoteIdentifier).joined(separator: ", ")
                try connection.query(
                    "INSERT INTO \(target.table) (\(list)) SELECT \(list) FROM json_populate_recordset(null::\(target.table), \(target.rows))",
                    parameters: [text])
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw fail(Self.message(error))
        }
    }

    private func runCommand(_ resolved: ResolvedSeedStep, database: String, index: Int) async throws {
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

    static func message(_ error: PostgresError) -> String {
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
