/// One fixture step of a database service, applied in manifest order.
package struct SeedStep: Sendable {
    /// What a seed step loads, and from where.
    package enum Source: Sendable {
        /// A file of SQL statements.
        case sql(path: String)
        /// A CSV file loaded into `table`.
        case csv(path: String, table: String, options: CSVOptions)
        /// A JSON file: an array of objects into `table`, or an object mapping table → array.
        case json(path: String, table: String?)
        /// A command run with the database's connection values in its environment.
        case command(CommandSpec, cacheable: Bool, inputs: [String])
    }

    /// What the step loads; paths are as written, relative to the manifest's folder.
    package var source: Source
    /// PostgreSQL: the database the step applies to (default: the service's first).
    package var database: String?
    /// Where the step is in the manifest, for error messages.
    package var location: SourceLocation

    /// Makes a step; `database` nil means the service's first database.
    package init(source: Source, database: String? = nil, location: SourceLocation) {
        self.source = source
        self.database = database
        self.location = location
    }

    /// The files this step reads, resolved against the manifest folder by the caller.
    package var files: [String] {
        switch source {
        case .sql(let path), .csv(let path, _, _), .json(let path, _): [path]
        case .command(_, _, let inputs): inputs
        }
    }
}

/// How a CSV fixture is read.
package struct CSVOptions: Sendable, Hashable {
    /// The field separator (default `,`).
    package var delimiter: Character
    /// The first row names the columns.
    package var header: Bool
    /// The text that stands for NULL (unquoted); default: an empty unquoted field.
    package var null: String
    /// Columns, when there is no header row.
    package var columns: [String]?

    /// Makes options; the defaults read a comma-separated file with a header row and empty unquoted fields as NULL.
    package init(delimiter: Character = ",", header: Bool = true, null: String = "", columns: [String]? = nil) {
        self.delimiter = delimiter
        self.header = header
        self.null = null
        self.columns = columns
    }
}
