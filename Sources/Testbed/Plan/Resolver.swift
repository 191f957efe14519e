import Foundation
import TestbedModel

/// Resolves ``Template`` placeholders against the caller's environment and the run's values.
package struct Resolver: Sendable {
    /// What `${VAR}` reads: the caller's environment (with a manifest's `.env` under it).
    package var environment: [String: String]
    /// Values by service name, then key (`ports.http`, `url`, …); `run` holds `dir` and `name`.
    package var values: [String: [String: String]]
    /// The names each service sets in its own `environment:`, by service: a `${NAME}` that
    /// is unset but set there gets a hint that says where `${…}` reads from.
    package var serviceVariables: [String: Set<String>]

    /// Makes a resolver over the caller's environment and the run's values so far.
    package init(environment: [String: String], values: [String: [String: String]],
                serviceVariables: [String: Set<String>] = [:]) {
        self.environment = environment
        self.values = values
        self.serviceVariables = serviceVariables
    }

    /// Makes a resolver for `manifest`: `${VAR}` reads `caller` over the manifest's `.env`
    /// file, and an unset variable that a service sets itself is explained.
    package init(manifest: Manifest, environment caller: [String: String], values: [String: [String: String]]) {
        var names: [String: Set<String>] = [:]
        for service in manifest.services where !service.environment.isEmpty {
            names[service.name] = Set(service.environment.map(\.name))
        }
        self.init(environment: manifest.interpolationEnvironment(caller), values: values, serviceVariables: names)
    }

    /// The template's text with every placeholder replaced.
    /// Throws ``ManifestProblem`` for unset variables without a default and unknown values.
    package func resolve(_ template: Template, service: String? = nil) throws(ManifestProblem) -> String {
        var text = ""
        for part in template.parts {
            switch part {
            case .literal(let literal):
                text += literal
            case .reference(let target, let key):
                guard let value = values[target]?[key] else {
                    throw ManifestProblem(template.location, service: service, "'${\(target).\(key)}' has no value in this run")
                }
                text += value
            case .variable(let name, let fallback):
                let value = environment[name]
                switch fallback {
                case nil:
                    guard let value else { throw unset(name, template: template, service: service) }
                    text += value
                case .defaultValue(let fallbackText, let emptyCounts):
                    if let value, !(emptyCounts && value.isEmpty) { text += value } else { text += fallbackText }
                case .required(let message, let emptyCounts):
                    if let value, !(emptyCounts && value.isEmpty) { text += value } else {
                        throw ManifestProblem(template.location, service: service,
                                              "environment variable \(name) is required: \(message.isEmpty ? "it is not set" : message)",
                                              hint: "set \(name) in the environment testbed runs in (or in the .env file beside the manifest)")
                    }
                }
            }
        }
        return text
    }

    /// Resolves a URL template (`url:`): a placeholder in the user-information part (after
    /// `://`, before the `@` written in the template) is percent-encoded, so a password with
    /// `@ : / #` stays one password; placeholders elsewhere are put in as they are.
    package func resolveURL(_ template: Template, service: String? = nil) throws(ManifestProblem) -> String {
        var text = "", written = ""
        for part in template.parts {
            let piece = try resolve(Template(parts: [part], location: template.location), service: service)
            if case .literal = part {
                written += piece
                text += piece
                continue
            }
            let afterScheme = written.range(of: "://").map { written[$0.upperBound...] }
            if let afterScheme, !afterScheme.contains(where: { "@/?#".contains($0) }) {
                text += piece.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? piece
            } else {
                text += piece
            }
        }
        return text
    }

    private static let unreserved = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The problem for `${NAME}` with NAME unset: where `${…}` reads from, and the ways out.
    private func unset(_ name: String, template: Template, service: String?) -> ManifestProblem {
        if let service, serviceVariables[service]?.contains(name) == true {
            return ManifestProblem(template.location, service: service,
                "${\(name)} is replaced before the service starts, from the environment testbed runs in, where \(name) is not set; "
                    + "the service's own 'environment:' entry for \(name) does not feed ${…}",
                hint: "to let the service's shell read its own \(name), write $$\(name) (a string command runs through /bin/sh); "
                    + "to take it from the caller, set \(name) before running testbed or in the .env file beside the manifest")
        }
        return ManifestProblem(template.location, service: service,
            "environment variable \(name) is not set (${…} reads the environment testbed runs in, and the .env file beside the manifest)",
            hint: "set \(name) before running testbed, write ${\(name):-default} to give a default, "
                + "or write $$\(name) to leave it to the service's shell")
    }

    /// Resolves a command to argv: a list as it is, a string through `/bin/sh -c`.
    package func argv(_ command: CommandSpec, service: String? = nil) throws(ManifestProblem) -> [String] {
        switch command {
        case .argv(let parts):
            var result: [String] = []
            for part in parts { result.append(try resolve(part, service: service)) }
            return result
        case .shell(let text):
            return ["/bin/sh", "-c", try resolve(text, service: service)]
        }
    }

    /// The files a seed step reads, `${VAR}` placeholders resolved, against the manifest's folder.
    package func seedFiles(_ step: SeedStep, of manifest: Manifest, service: String? = nil) throws(ManifestProblem) -> [String] {
        var paths: [String] = []
        for file in step.files {
            let template: Template
            do {
                template = try Template(parsing: file, location: step.location)
            } catch {
                throw ManifestProblem(step.location, service: service, "'\(file)': \(error.message)", hint: "write $$ for a literal '$'")
            }
            paths.append(manifest.resolvePath(try resolve(template, service: service)))
        }
        return paths
    }
}
