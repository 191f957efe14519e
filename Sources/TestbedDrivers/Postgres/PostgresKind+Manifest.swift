import Yams
import TestbedModel

/// The `postgres` kind in the manifest: its block, its seed steps' databases, its values,
/// and what a link in front of it exposes.
extension PostgresKind {
    /// The keys of the `postgres:` block.
    static let blockKeys = ["database", "databases", "user", "password", "settings", "version", "bin_dir", "tcp",
                            "port", "run_as", "initdb_options"]

    /// Reads the `postgres:` block (null: every default).
    func readBlock(_ node: Node, service: String, reader: inout NodeReader) -> (any ServiceKindSpec)? {
        var spec = PostgresSpec()
        if reader.isNull(node) { return spec }
        guard let entries = reader.entries(node, "the postgres block", service: service) else { return nil }
        reader.checkKeys(entries, allowed: Self.blockKeys, in: "the postgres block", service: service)
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

    /// A seed step may only target a database the service creates.
    func check(_ step: SeedStep, of spec: any ServiceKindSpec, service: String) -> ManifestProblem? {
        guard let spec = spec as? PostgresSpec, let database = step.database, !spec.databases.contains(database) else { return nil }
        return ManifestProblem(step.location, service: service, "seed step targets database '\(database)', which the service does not create",
                               hint: "add it to postgres.databases (now: \(spec.databases.joined(separator: ", ")))")
    }

    /// `url`, `host`, `port`, `socket`, `database`, `user`, `password`, `log` and each
    /// database's `databases.NAME.url`.
    func valueKeys(of spec: any ServiceKindSpec) -> [String] {
        ["url", "host", "port", "socket", "database", "user", "password", "log"] + databaseURLKeys(spec)
    }

    private func databaseURLKeys(_ spec: any ServiceKindSpec) -> [String] {
        ((spec as? PostgresSpec)?.databases ?? []).map { "databases.\($0).url" }
    }

    /// A TCP link only: the server then listens on TCP, and `to:` names no port.
    func front(_ spec: inout any ServiceKindSpec, link: String, target: String, port: String?, http: Bool,
               isJob: Bool) -> [(message: String, hint: String?)] {
        if http {
            return [("link '\(link)': '\(target)' is a PostgreSQL database, which does not speak HTTP",
                     "remove the 'http:' block for a TCP link")]
        }
        var problems: [(message: String, hint: String?)] = []
        if let port { problems.append(("link '\(link)': a postgres service has no port '\(port)'", "write 'to: \(target)'")) }
        if var postgres = spec as? PostgresSpec {
            postgres.tcp = true
            spec = postgres
        }
        return problems
    }

    /// A TCP link's: the connection values, at the link's address.
    func linkKeys(of spec: any ServiceKindSpec, port: String?, http: Bool) -> [String] {
        http ? ["url", "host", "port", "address"] : ["url", "host", "port", "database", "user", "password"] + databaseURLKeys(spec)
    }

    func linkedPortKey(of spec: any ServiceKindSpec, portName: String?) -> String? { "port" }

    /// The target's connection values with the link's address in place of the server's
    /// (the URL keeps the user and password).
    func linkValues(_ own: [String: String], of spec: any ServiceKindSpec, portName: String?, upstream: Int, port: Int,
                    http: Bool) -> [String: String] {
        var mine = ["host": "127.0.0.1", "port": String(port)]
        if http { return mine.merging(["url": "http://127.0.0.1:\(port)"]) { $1 } }
        for key in linkKeys(of: spec, port: nil, http: false) where mine[key] == nil {
            mine[key] = own[key]?.replacingOccurrences(of: "127.0.0.1:\(upstream)", with: "127.0.0.1:\(port)")
        }
        return mine
    }
}
