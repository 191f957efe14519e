import Foundation
import Yams
import TestbedModel

/// The `sqlite` kind in the manifest: its block, its values, and that no link fronts it.
extension SQLiteKind {
    /// The keys of the `sqlite:` block.
    static let blockKeys = ["path", "pragmas"]

    /// Reads the `sqlite:` block (null: every default).
    func readBlock(_ node: Node, service: String, reader: inout NodeReader) -> (any ServiceKindSpec)? {
        var spec = SQLiteSpec()
        if reader.isNull(node) { return spec }
        guard let entries = reader.entries(node, "the sqlite block", service: service) else { return nil }
        reader.checkKeys(entries, allowed: Self.blockKeys, in: "the sqlite block", service: service)
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

    /// Its `path:`, which may refer to other services' values.
    func templates(of spec: any ServiceKindSpec) -> [Template] {
        (spec as? SQLiteSpec)?.path.map { [$0] } ?? []
    }

    /// `path`, `url`, `file` and `dsn`.
    func valueKeys(of spec: any ServiceKindSpec) -> [String] {
        ["path", "url", "file", "dsn"]
    }

    /// A file has no port: no link fronts it.
    func front(_ spec: inout any ServiceKindSpec, link: String, target: String, port: String?, http: Bool,
               isJob: Bool) -> [(message: String, hint: String?)] {
        [("link '\(link)': '\(target)' is an SQLite database, which has no TCP port to front",
          "links front postgres services and process ports")]
    }
}
