/// Resolves ``Template`` placeholders against the caller's environment and the run's values.
public struct Resolver: Sendable {
    /// The caller's environment.
    public var environment: [String: String]
    /// Values by service name, then key (`ports.http`, `url`, …); `run` holds `dir` and `name`.
    public var values: [String: [String: String]]

    /// Makes a resolver over the caller's environment and the run's values so far.
    public init(environment: [String: String], values: [String: [String: String]]) {
        self.environment = environment
        self.values = values
    }

    /// The template's text with every placeholder replaced.
    /// Throws ``ManifestProblem`` for unset variables without a default and unknown values.
    public func resolve(_ template: Template, service: String? = nil) throws(ManifestProblem) -> String {
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
                    guard let value else {
                        throw ManifestProblem(template.location, service: service, "environment variable \(name) is not set",
                                              hint: "set it, or write ${\(name):-default} to give a default")
                    }
                    text += value
                case .defaultValue(let fallbackText, let emptyCounts):
                    if let value, !(emptyCounts && value.isEmpty) { text += value } else { text += fallbackText }
                case .required(let message, let emptyCounts):
                    if let value, !(emptyCounts && value.isEmpty) { text += value } else {
                        throw ManifestProblem(template.location, service: service,
                                              "environment variable \(name) is required: \(message.isEmpty ? "it is not set" : message)",
                                              hint: "set \(name) before starting the environment")
                    }
                }
            }
        }
        return text
    }

    /// Resolves a command to argv: a list as it is, a string through `/bin/sh -c`.
    public func argv(_ command: CommandSpec, service: String? = nil) throws(ManifestProblem) -> [String] {
        switch command {
        case .argv(let parts):
            var result: [String] = []
            for part in parts { result.append(try resolve(part, service: service)) }
            return result
        case .shell(let text):
            return ["/bin/sh", "-c", try resolve(text, service: service)]
        }
    }
}

extension ManifestProblem: Error {}
