import Yams

/// Reads the `postgres:` and `sqlite:` blocks.
enum DatabaseReader {
    static let postgresKeys = ["database", "databases", "user", "password", "settings", "version", "bin_dir", "tcp",
                               "port", "run_as", "initdb_options"]
    static let sqliteKeys = ["path", "pragmas"]

    static func postgres(_ node: Node, service: String, reader: inout NodeReader) -> PostgresSpec? {
        var spec = PostgresSpec()
        if reader.isNull(node) { return spec }
        guard let entries = reader.entries(node, "the postgres block", service: service) else { return nil }
        reader.checkKeys(entries, allowed: postgresKeys, in: "the postgres block", service: service)
        for entry in entries {
            let what = "postgres.\(entry.key)"
            switch entry.key {
            case "database": if let name = reader.string(entry.value, what, service: service) { spec.databases = [name] }
            case "databases":
                if let names = reader.strings(entry.value, what, service: service) {
                    if names.isEmpty { reader.fail(entry.value, service: service, "postgres.databases lists no database") }
                    else { spec.databases = names }
                }
            case "user": if let user = reader.string(entry.value, what, service: service) { spec.user = user }
            case "password": spec.password = reader.string(entry.value, what, service: service)
            case "settings":
                spec.settings = (reader.entries(entry.value, what, service: service) ?? []).compactMap { setting in
                    reader.string(setting.value, "setting '\(setting.key)'", service: service).map { (setting.key, $0) }
                }
            case "version":
                if let version = reader.int(entry.value, what, service: service, range: 9...99) { spec.server = .version(version) }
            case "bin_dir": if let dir = reader.string(entry.value, what, service: service) { spec.server = .binDirectory(dir) }
            case "tcp": spec.tcp = reader.bool(entry.value, what, service: service) ?? false
            case "port":
                if let port = reader.int(entry.value, what, service: service, range: 1...65535) {
                    spec.fixedPort = port
                    spec.tcp = true
                }
            case "run_as": spec.runAs = reader.string(entry.value, what, service: service)
            case "initdb_options": spec.initdbOptions = reader.strings(entry.value, what, service: service) ?? []
            default: break
            }
        }
        for name in spec.databases where name.isEmpty || name.contains("\"") || name.hasPrefix("pg_") {
            reader.fail(node, service: service, "database name '\(name)' cannot be used", hint: "use letters, digits and '_'")
        }
        if entries.contains(where: { $0.key == "database" }) && entries.contains(where: { $0.key == "databases" }) {
            reader.fail(node, service: service, "give either postgres.database or postgres.databases, not both")
        }
        if entries.contains(where: { $0.key == "version" }) && entries.contains(where: { $0.key == "bin_dir" }) {
            reader.fail(node, service: service, "give either postgres.version or postgres.bin_dir, not both")
        }
        return spec
    }

    static func sqlite(_ node: Node, service: String, reader: inout NodeReader) -> SQLiteSpec? {
        var spec = SQLiteSpec()
        if reader.isNull(node) { return spec }
        guard let entries = reader.entries(node, "the sqlite block", service: service) else { return nil }
        reader.checkKeys(entries, allowed: sqliteKeys, in: "the sqlite block", service: service)
        for entry in entries {
            switch entry.key {
            case "path": spec.path = reader.template(entry.value, "sqlite.path", service: service)
            case "pragmas":
                spec.pragmas = (reader.entries(entry.value, "sqlite.pragmas", service: service) ?? []).compactMap { pragma in
                    reader.string(pragma.value, "pragma '\(pragma.key)'", service: service).map { (pragma.key, $0) }
                }
            default: break
            }
        }
        return spec
    }
}
