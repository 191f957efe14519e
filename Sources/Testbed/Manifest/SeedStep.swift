/// One fixture step of a database service, applied in manifest order.
public struct SeedStep: Sendable {
    /// What a seed step loads, and from where.
    public enum Source: Sendable {
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
    public var source: Source
    /// PostgreSQL: the database the step applies to (default: the service's first).
    public var database: String?
    /// Where the step is in the manifest, for error messages.
    public var location: SourceLocation

    /// Makes a step; `database` nil means the service's first database.
    public init(source: Source, database: String? = nil, location: SourceLocation) {
        self.source = source
        self.database = database
        self.location = location
    }

    /// The files this step reads, resolved against the manifest folder by the caller.
    public var files: [String] {
        switch source {
        case .sql(let path), .csv(let path, _, _), .json(let path, _): [path]
        case .command(_, _, let inputs): inputs
        }
    }
}

/// How a CSV fixture is read.
public struct CSVOptions: Sendable, Hashable {
    /// The field separator (default `,`).
    public var delimiter: Character
    /// The first row names the columns.
    public var header: Bool
    /// The text that stands for NULL (unquoted); default: an empty unquoted field.
    public var null: String
    /// Columns, when there is no header row.
    public var columns: [String]?

    /// Makes options; the defaults read a comma-separated file with a header row and empty unquoted fields as NULL.
    public init(delimiter: Character = ",", header: Bool = true, null: String = "", columns: [String]? = nil) {
        self.delimiter = delimiter
        self.header = header
        self.null = null
        self.columns = columns
    }
}
