import Foundation
import Yams
import TestbedModel
import TestbedDrivers

/// Reads a database service's `seed:` list.
enum SeedReader {
    static let sourceKeys = ["sql", "csv", "json", "command"]
    static let keys = sourceKeys + ["table", "database", "delimiter", "header", "null", "columns", "cacheable", "inputs"]

    /// Reads `seed:`: a list of steps, or a single one.
    static func read(_ node: Node, service: String, namesDatabases: Bool, reader: inout NodeReader) -> [SeedStep] {
        let items: [Node]
        if case .sequence = node {
            items = reader.sequence(node, "seed", service: service) ?? []
        } else {
            items = [node]
        }
        return items.compactMap { step($0, service: service, namesDatabases: namesDatabases, reader: &reader) }
    }

    /// One step: a bare `.sql` path, or a mapping with one source and the keys that apply
    /// to it. Nil (with the problems reported) when it cannot be read.
    private static func step(_ item: Node, service: String, namesDatabases: Bool, reader: inout NodeReader) -> SeedStep? {
        if case .scalar = item, let path = path(item, "a seed step", service: service, reader: &reader) {
            // Shorthand: a bare path; the kind comes from the extension.
            if path.hasSuffix(".sql") { return SeedStep(source: .sql(path: path), location: reader.location(item)) }
            reader.fail(item, service: service, "a seed step given as a bare path must be an .sql file",
                        hint: "write '- csv: \(path)' with 'table:', or '- json: \(path)'")
            return nil
        }
        guard let entries = reader.entries(item, "a seed step", service: service) else { return nil }
        reader.checkKeys(entries, allowed: keys, in: "a seed step", service: service)
        let sources = entries.filter { sourceKeys.contains($0.key) }
        guard sources.count == 1, let source = sources.first else {
            reader.fail(item, service: service, sources.isEmpty
                        ? "a seed step needs one of: sql, csv, json, command"
                        : "a seed step has one source, found \(sources.map { "'\($0.key)'" }.joined(separator: " and "))",
                        hint: "write one list entry per file")
            return nil
        }
        let step = self.source(source, entries: entries, service: service, reader: &reader)
        rejectKeysThatDoNotApply(entries, to: source.key, service: service, reader: &reader)
        var database: String?
        if let node = value("database", in: entries) {
            if namesDatabases { database = reader.string(node, "database", service: service) } else {
                let kinds = ServiceKinds.all.filter(\.seedsNamedDatabases).map(\.name).joined(separator: " and ")
                reader.fail(node, service: service, "'database' applies to \(kinds) seed steps only")
            }
        }
        return step.map { SeedStep(source: $0, database: database, location: reader.location(source.keyNode)) }
    }

    /// The step's source (`sql:`, `csv:`, `json:` or `command:`) with the keys it takes.
    private static func source(_ source: Entry, entries: [Entry], service: String, reader: inout NodeReader) -> SeedStep.Source? {
        let table = value("table", in: entries).flatMap { reader.string($0, "table", service: service) }
        switch source.key {
        case "sql":
            return path(source.value, "sql", service: service, reader: &reader).map { .sql(path: $0) }
        case "csv":
            guard let path = path(source.value, "csv", service: service, reader: &reader) else { return nil }
            guard let table else {
                reader.fail(source.keyNode, service: service, "a csv step needs 'table:'", hint: "add 'table: NAME' to this step")
                return nil
            }
            let options = csvOptions(entries, source: source, service: service, reader: &reader)
            return .csv(path: path, table: table, options: options)
        case "json":
            return path(source.value, "json", service: service, reader: &reader).map { .json(path: $0, table: table) }
        case "command":
            guard let command = ServiceReader.readCommand(source.value, "the seed command", service: service, reader: &reader)
            else { return nil }
            let cacheable = value("cacheable", in: entries).flatMap { reader.bool($0, "cacheable", service: service) } ?? false
            var inputs: [String] = []
            if let node = value("inputs", in: entries) {
                let items: [Node] = node.sequence.map(Array.init) ?? [node]
                inputs = items.compactMap { path($0, "an entry of inputs", service: service, reader: &reader) }
            }
            return .command(command, cacheable: cacheable, inputs: inputs)
        default:
            return nil
        }
    }

    /// A csv step's `delimiter:`, `header:`, `null:` and `columns:`.
    private static func csvOptions(_ entries: [Entry], source: Entry, service: String, reader: inout NodeReader) -> CSVOptions {
        var options = CSVOptions()
        if let node = value("delimiter", in: entries), let text = reader.string(node, "delimiter", service: service) {
            let unescaped = text == "\\t" ? "\t" : text
            if unescaped.count == 1, let char = unescaped.first { options.delimiter = char } else {
                reader.fail(node, service: service, "delimiter must be one character, found '\(text)'")
            }
        }
        if let node = value("header", in: entries), let header = reader.bool(node, "header", service: service) { options.header = header }
        if let node = value("null", in: entries) {
            if case .scalar(let scalar) = node { options.null = scalar.string } else {
                reader.fail(node, service: service, "null must be a single value (the text that stands for NULL)")
            }
        }
        if let node = value("columns", in: entries) { options.columns = reader.strings(node, "columns", service: service) }
        if !options.header && options.columns == nil {
            reader.fail(source.keyNode, service: service, "a csv step without a header row needs 'columns:'",
                        hint: "list the columns in file order, e.g. columns: [id, email]")
        }
        return options
    }

    /// Reports each key of the step that its source does not take (`table:` on a command).
    private static func rejectKeysThatDoNotApply(_ entries: [Entry], to source: String, service: String, reader: inout NodeReader) {
        let csvOnly = ["delimiter", "header", "null", "columns"]
        for entry in entries where (entry.key == "table" && source != "csv" && source != "json")
            || (csvOnly.contains(entry.key) && source != "csv")
            || (["cacheable", "inputs"].contains(entry.key) && source != "command") {
            reader.fail(entry.keyNode, service: service, "'\(entry.key)' does not apply to a \(source) step", hint: "remove it")
        }
    }

    /// A key of a mapping read by ``NodeReader/entries(_:_:service:)``.
    private typealias Entry = (key: String, keyNode: Node, value: Node)

    /// The value of `key` in `entries`, when it is there.
    private static func value(_ key: String, in entries: [Entry]) -> Node? {
        entries.first { $0.key == key }?.value
    }

    /// A fixture path as written; `${VAR}` placeholders (the caller's environment) are
    /// resolved when the run is planned, so only their syntax is checked here.
    static func path(_ node: Node, _ what: String, service: String, reader: inout NodeReader) -> String? {
        guard let text = reader.string(node, what, service: service) else { return nil }
        guard let template = reader.template(node, what, service: service) else { return nil }
        if let reference = template.parts.first(where: { if case .reference = $0 { true } else { false } }),
           case .reference(let target, let key) = reference {
            reader.fail(node, service: service, "\(what): a fixture path cannot use '${\(target).\(key)}'",
                        hint: "fixture paths may use ${VAR} from the environment testbed runs in (or .env), not values of services")
            return nil
        }
        return text
    }
}
