import Foundation
import Yams
import TestbedModel
import TestbedDrivers
import TestbedHTTP
import TestbedHealth
import TestbedLinks
import TestbedSeed
import TestbedSystem
import TestbedTapes

/// Reads the manifest's `verify:` list and checks it against the services.
enum VerifyReader {
    static let keys = ["tape", "against", "ignore", "values", "learn", "fail_on_new_fields", "headers", "timeout"]

    /// Reads `verify: [{tape: …, against: …, …}]`.
    static func read(_ node: Node, reader: inout NodeReader) -> [VerifySpec] {
        var specs: [VerifySpec] = []
        for item in reader.sequence(node, "verify") ?? [] {
            guard let fields = reader.entries(item, "an entry of verify") else { continue }
            reader.checkKeys(fields, allowed: keys, in: "an entry of verify")
            var tape: String?
            var against: Template?
            var spec = VerifySpec(tape: "", against: Template(literal: ""), location: reader.location(item))
            for field in fields {
                switch field.key {
                case "tape": tape = reader.string(field.value, "verify: tape")
                case "against": against = reader.template(field.value, "verify: against")
                case "ignore":
                    spec.ignore = reader.strings(field.value, "verify: ignore") ?? []
                    for path in spec.ignore {
                        do { _ = try JSONPath(parsing: path) } catch { reader.fail(field.value, "verify: \(error.description)") }
                    }
                case "values": spec.values = reader.bool(field.value, "verify: values") ?? false
                case "learn": spec.learn = reader.bool(field.value, "verify: learn") ?? false
                case "fail_on_new_fields": spec.failOnNewFields = reader.bool(field.value, "verify: fail_on_new_fields") ?? false
                case "headers":
                    spec.headers = (reader.keyValues(field.value, "verify: headers") ?? []).map { VerifySpec.Header(name: $0.name, value: $0.value) }
                case "timeout":
                    if let timeout = reader.duration(field.value, "verify: timeout") {
                        if timeout > .zero { spec.timeout = timeout } else { reader.fail(field.value, "verify: timeout must be more than 0") }
                    }
                default: break
                }
            }
            guard let tape, let against else {
                reader.fail(item, "an entry of verify needs 'tape' and 'against'",
                            hint: "e.g. {tape: tapes/web.json, against: api}: the consumer's tape and the service that provides the API")
                continue
            }
            spec.tape = tape
            spec.against = against
            specs.append(spec)
        }
        return specs
    }

    /// Checks what needs the whole manifest: `against` names a service or link (or is a
    /// URL), templates refer to known names, and the tape exists.
    static func check(_ manifest: Manifest, reader: inout NodeReader) {
        let names = manifest.services.map(\.name) + manifest.links.map(\.name)
        for spec in manifest.verify {
            let source = spec.against.source
            if spec.against.isLiteral && !source.contains("://") && !names.contains(source) {
                reader.problems.append(ManifestProblem(spec.against.location,
                    "verify: 'against: \(source)' is neither a service nor an http(s) URL",
                    hint: suggestion(for: source, among: names).map { "did you mean '\($0)'?" }
                        ?? "name a service or link of this manifest (\(names.joined(separator: ", "))), or write a URL such as http://127.0.0.1:8080"))
            }
            for template in [spec.against] + spec.headers.map(\.value) {
                for name in template.referencedServices where !names.contains(name) && name != "run" {
                    reader.problems.append(ManifestProblem(template.location, "verify: '${\(name).…}' names no service or link",
                        hint: suggestion(for: name, among: names).map { "did you mean '\($0)'?" } ?? "services: \(names.joined(separator: ", "))"))
                }
            }
            if !spec.tape.contains("$") && !FileManager.default.fileExists(atPath: manifest.resolvePath(spec.tape)) {
                reader.problems.append(ManifestProblem(spec.location, "verify: the tape '\(spec.tape)' does not exist",
                    hint: "the path is relative to the manifest's folder (\(manifest.directory))"))
            }
        }
    }
}
