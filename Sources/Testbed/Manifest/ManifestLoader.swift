import Foundation
import Yams
import TestbedModel

/// Turns a manifest file into a validated ``Manifest``, reporting every problem at once
/// with file:line:column and what to do.
///
/// Checks: YAML syntax, unknown keys (with "did you mean"), value types, service kinds,
/// unknown services in `depends_on`, dependency cycles, references to unknown services or
/// values, duplicate port names, and missing fixture files. Throws ``ManifestError``.
package enum ManifestLoader {
    static let topKeys = ["name", "services", "exports", "version", "links", "toxiproxy", "verify"]

    /// Loads and validates the manifest at `path`, and reads the `.env` file beside it (see
    /// ``Manifest/dotEnv``).
    package static func load(path: String) throws(ManifestError) -> Manifest {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ManifestError(problems: [ManifestProblem(SourceLocation(file: path, line: 1, column: 1),
                "the manifest \(reason)", hint: "pass the path of an environment manifest, e.g. environments/app.yml")])
        }
        let text = try TextFile.utf8(data, file: path, what: "the manifest")
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return try parse(yaml: text, path: path, directory: (absolute as NSString).deletingLastPathComponent)
    }

    /// Parses manifest text; `directory` is what relative paths are resolved against.
    ///
    /// The `.env` file in `directory`, when there is one, is read into ``Manifest/dotEnv``.
    package static func parse(yaml: String, path: String, directory: String) throws(ManifestError) -> Manifest {
        var reader = NodeReader(file: path)
        reader.directory = directory
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ManifestError(problems: [ManifestProblem(SourceLocation(file: path, line: 1, column: 1),
                    "the manifest is empty", hint: "start with 'services:'; see docs/manifest.md")])
            }
            root = node
        } catch let error as ManifestError {
            throw error
        } catch {
            throw ManifestError(problems: [yamlProblem(error, file: path, yaml: yaml)])
        }
        let fallbackName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var manifest = Manifest(name: fallbackName, path: path, directory: directory, services: [], exports: [])
        guard let top = reader.entries(root, "the manifest") else { throw ManifestError(problems: reader.problems) }
        reader.checkKeys(top, allowed: topKeys, in: "the manifest")
        var servicesNode: Node?
        for entry in top {
            switch entry.key {
            case "name":
                if let name = reader.string(entry.value, "name") {
                    if isValidName(name) { manifest.name = name } else {
                        reader.fail(entry.value, "name '\(name)' may only contain letters, digits, '-', '_' and '.'")
                    }
                }
            case "services": servicesNode = entry.value
            case "links": manifest.links = LinkReader.read(entry.value, reader: &reader)
            case "toxiproxy": manifest.toxiproxy = reader.bool(entry.value, "toxiproxy") ?? false
            case "verify": manifest.verify = VerifyReader.read(entry.value, reader: &reader)
            case "exports":
                manifest.exports = (reader.keyValues(entry.value, "exports") ?? []).map { Export(name: $0.name, value: $0.value) }
                for export in manifest.exports where !isValidVariableName(export.name) {
                    reader.fail(entry.value, "exports: '\(export.name)' is not a valid environment variable name")
                }
            default: break
            }
        }
        guard let servicesNode else {
            reader.fail(root, "the manifest has no 'services'", hint: "add a 'services:' mapping; see docs/manifest.md")
            throw ManifestError(problems: reader.problems)
        }
        for entry in reader.entries(servicesNode, "services") ?? [] {
            if !isValidServiceName(entry.key) {
                reader.fail(entry.keyNode, "service name '\(entry.key)' may only contain letters, digits, '-' and '_'")
                continue
            }
            if entry.key == "run" || entry.key == "self" {
                reader.fail(entry.keyNode, "the service name '\(entry.key)' is reserved",
                            hint: "rename the service: '${run.…}' names the run itself (${run.dir}, ${run.name}), and 'self' is kept for the same use")
                continue
            }
            if let service = ServiceReader.read(name: entry.key, node: entry.value, keyNode: entry.keyNode, reader: &reader) {
                manifest.services.append(service)
            }
        }
        // Links to external URLs alone make a stack too (a stub of a third-party API).
        if manifest.services.isEmpty && reader.problems.isEmpty && !manifest.links.contains(where: \.isExternal) {
            reader.fail(servicesNode, "'services' lists no service", hint: "add at least one service")
        }
        ManifestValidator.validate(&manifest, reader: &reader)
        do {
            manifest.dotEnv = try DotEnv.read(directory: directory)
        } catch {
            reader.problems.append(error)
        }
        LinkReader.check(&manifest, reader: &reader)
        VerifyReader.check(manifest, reader: &reader)
        if !reader.problems.isEmpty {
            throw ManifestError(problems: reader.problems.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) })
        }
        return manifest
    }

    static func yamlProblem(_ error: Error, file: String, yaml: String) -> ManifestProblem {
        let hint = "check the indentation and quoting around this line"
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return ManifestProblem(SourceLocation(file: file, line: mark.line, column: mark.column),
                                   "invalid YAML: \(what)", hint: hint)
        case .reader(let problem, let offset, _, _):
            let location = offset.map { TextFile.location(ofCharacter: $0, in: yaml, file: file) }
                ?? SourceLocation(file: file, line: 1, column: 1)
            return ManifestProblem(location, "invalid YAML: \(problem)", hint: "remove or replace the character at this position")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let first = SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
            let duplicate = TextFile.duplicateKey(key, after: first, in: yaml) ?? first
            return ManifestProblem(duplicate, "'\(key)' appears twice in one mapping (first at line \(first.line))",
                                   hint: "keep one of them; YAML keys are unique within a mapping")
        default:
            return ManifestProblem(SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(error)", hint: hint)
        }
    }

    /// Environment names: letters, digits, `-`, `_`, `.`.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    /// Service names: letters, digits, `-`, `_` (a dot would break `${service.key}`).
    static func isValidServiceName(_ name: String) -> Bool {
        isValidName(name) && !name.contains(".")
    }

    static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
