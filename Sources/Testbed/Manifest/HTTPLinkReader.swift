import Foundation
#if HTTPClient
import NIOSSL
#endif
import Yams
import TestbedModel

/// Reads a link's `http:` block (see ``HTTPLinkSpec``).
enum HTTPLinkReader {
    static let keys = ["tape", "mode", "strict", "match", "redact", "ca_file", "tape_shared", "volatile_headers"]
    static let matchKeys = ["headers", "ignore_query", "ignore_json", "body"]
    static let redactKeys = ["headers", "query", "json"]

    /// Reads `http: {tape, mode, strict, match, redact, ca_file, tape_shared, volatile_headers}`; `http: true` or `http: {}` is an
    /// HTTP link with the defaults. Problems go to `reader`, located at the offending node.
    static func read(_ node: Node, link: String, reader: inout NodeReader) -> HTTPLinkSpec? {
        let what = "link '\(link)': http"
        var spec = HTTPLinkSpec(tape: nil, location: reader.location(node))
        if case .scalar = node {
            guard reader.bool(node, what) != nil else { return nil }
            return spec
        }
        guard let fields = reader.entries(node, what) else { return nil }
        reader.checkKeys(fields, allowed: keys, in: what)
        for field in fields {
            switch field.key {
            case "tape":
                if let path = reader.string(field.value, "\(what): tape") {
                    guard !path.isEmpty else {
                        reader.fail(field.value, "\(what): tape is empty", hint: "name a file, e.g. tapes/\(link).json")
                        continue
                    }
                    if path.contains("${") {
                        spec.tapeTemplate = LinkReader.environmentTemplate(path, field.value, "\(what): tape", reader: &reader)
                        continue
                    }
                    spec.tape = path.hasPrefix("/") ? path : (reader.directory as NSString).appendingPathComponent(path)
                }
            case "mode":
                guard let text = reader.string(field.value, "\(what): mode") else { continue }
                guard let mode = TapeMode(rawValue: text) else {
                    reader.fail(field.value, "\(what): unknown mode '\(text)'",
                                hint: suggestion(for: text, among: TapeMode.names).map { "did you mean '\($0)'?" }
                                    ?? "use one of \(TapeMode.names.joined(separator: ", "))")
                    continue
                }
                spec.mode = mode
            case "strict":
                spec.strict = reader.bool(field.value, "\(what): strict") ?? false
            case "match":
                guard let entries = reader.entries(field.value, "\(what): match") else { continue }
                reader.checkKeys(entries, allowed: matchKeys, in: "\(what): match")
                for entry in entries {
                    let label = "\(what): match.\(entry.key)"
                    switch entry.key {
                    case "headers": spec.matchHeaders = headerNames(entry.value, label, reader: &reader)
                    case "ignore_query": spec.ignoreQuery = reader.strings(entry.value, label) ?? []
                    case "ignore_json": spec.ignoreJSON = jsonPaths(entry.value, label, reader: &reader)
                    case "body": spec.matchBody = reader.bool(entry.value, label) ?? true
                    default: break
                    }
                }
            case "redact":
                guard let entries = reader.entries(field.value, "\(what): redact") else { continue }
                reader.checkKeys(entries, allowed: redactKeys, in: "\(what): redact")
                for entry in entries {
                    let label = "\(what): redact.\(entry.key)"
                    switch entry.key {
                    case "headers": spec.redactHeaders = headerNames(entry.value, label, reader: &reader)
                    case "query": spec.redactQuery = reader.strings(entry.value, label) ?? []
                    case "json": spec.redactJSON = jsonPaths(entry.value, label, reader: &reader)
                    default: break
                    }
                }
            case "ca_file":
                spec.caFile = caFile(field.value, "\(what): ca_file", reader: &reader)
            case "tape_shared":
                spec.tapeShared = reader.bool(field.value, "\(what): tape_shared") ?? false
            case "volatile_headers":
                spec.volatileHeaders = headerNames(field.value, "\(what): volatile_headers", reader: &reader)
            default: break
            }
        }
        if spec.tape == nil && spec.tapeTemplate == nil && spec.mode != .passthrough {
            reader.fail(node, "\(what) has no 'tape'",
                        hint: "name the tape file, e.g. 'tape: tapes/\(link).json' (only mode passthrough works without one)")
        }
        return spec
    }

    /// `ca_file`: a PEM file of CA certificates, read now so that a missing, unreadable or
    /// non-PEM file is reported at its line rather than as a refused connection later.
    private static func caFile(_ node: Node, _ what: String, reader: inout NodeReader) -> String? {
        guard let given = reader.string(node, what) else { return nil }
        guard !given.isEmpty else {
            reader.fail(node, "\(what) is empty", hint: "name a PEM file of CA certificates, e.g. certs/ca.pem")
            return nil
        }
        let path = given.hasPrefix("/") ? given : (reader.directory as NSString).appendingPathComponent(given)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isReadableFile(atPath: path) else {
            reader.fail(node, "\(what): \(path) is not a readable file",
                        hint: "the path is relative to the manifest's folder; name a PEM file of CA certificates")
            return nil
        }
        guard Self.holdsPEMCertificate(path) else {
            reader.fail(node, "\(what): \(path) holds no PEM certificate",
                        hint: "give the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)")
            return nil
        }
        return path
    }

    /// True when `path` holds at least one PEM certificate (parsed with swift-nio-ssl when the
    /// HTTPClient trait brings it, else by its armour: without it, nothing will load it anyway).
    private static func holdsPEMCertificate(_ path: String) -> Bool {
        #if HTTPClient
        return ((try? NIOSSLCertificate.fromPEMFile(path)) ?? []).isEmpty == false
        #else
        return (try? String(contentsOfFile: path, encoding: .utf8))?.contains("-----BEGIN CERTIFICATE-----") == true
        #endif
    }

    private static func headerNames(_ node: Node, _ what: String, reader: inout NodeReader) -> [String] {
        var names: [String] = []
        for item in reader.sequence(node, what) ?? [] {
            guard let name = reader.string(item, "an entry of \(what)") else { continue }
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_!#$%&'*+.^`|~".contains($0)) }) else {
                reader.fail(item, "\(what): '\(name)' is not an HTTP header name")
                continue
            }
            names.append(name)
        }
        return names
    }

    /// JSON paths as tapes take them (docs/tapes.md, "JSON paths"): `$.field`, `$.items[*].id`.
    private static func jsonPaths(_ node: Node, _ what: String, reader: inout NodeReader) -> [String] {
        var paths: [String] = []
        for item in reader.sequence(node, what) ?? [] {
            guard let path = reader.string(item, "an entry of \(what)") else { continue }
            if let error = JSONPath.bodyRuleError(path) {
                reader.fail(item, "\(what): '\(path)' is not a JSON path: at character \(error.position), \(error.message)",
                            hint: "write $.field, $.items[*].id or $.list[0] (docs/tapes.md, \"JSON paths\")")
                continue
            }
            paths.append(path)
        }
        return paths
    }
}
