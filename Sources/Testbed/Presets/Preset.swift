import TestbedModel
/// A one-line service for a server integration stacks use often (`cache: {redis: {}}`).
///
/// A preset is data: the service a user could have written by hand, as manifest YAML, with
/// a few tunable options. Expanding it substitutes `{{OPTION}}` with the option's value and
/// `${self.KEY}` with `${NAME.KEY}`, then reads the result like any other service — so a
/// preset gets nothing a manifest cannot say. Adding one is one file in this folder and a
/// line in ``all``.
package struct Preset: Sendable {
    /// One tunable key of the preset's block.
    package struct Option: Sendable {
        /// The key, e.g. `pool_mode`.
        package var name: String
        /// The value when the manifest gives none; nil: the key is required.
        package var defaultValue: String?
        /// True when the value must name another service of the manifest (`target`, `upstream`).
        package var isService: Bool = false
        /// What the option does, for docs and error hints.
        package var summary: String
        /// The only values the option takes; nil: any plain value.
        package var allowed: [String]? = nil
        /// True when the preset logs in to the named service with that service's password:
        /// a `postgres` target without a `password:` gets one generated for the run.
        package var logsIn: Bool = false
    }

    /// The block's key in a service (`redis`, `pgbouncer`, …).
    package var name: String
    /// The program it runs, and the Debian package that installs it.
    package var requires: RequiredProgram
    /// The tunable keys of its block.
    package var options: [Option]
    /// True when the service gets a `password` value: a secret generated for each run
    /// (32 letters and digits) that its server asks every client for.
    package var generatesPassword: Bool = false
    /// The service, as manifest YAML with `{{OPTION}}` and `${self.KEY}` placeholders.
    package var yaml: String

    /// Every preset, by block key.
    package static let all: [String: Preset] = Dictionary(
        uniqueKeysWithValues: [redis, memcached, pgbouncer, nginx].map { ($0.name, $0) })

    /// The preset's YAML for service `service` with the given option values (every option
    /// present), or the name of an option without a value.
    func expanded(service: String, values: [String: String]) -> String {
        var text = yaml.replacingOccurrences(of: "${self.", with: "${\(service).")
        for option in options {
            text = text.replacingOccurrences(of: "{{\(option.name)}}", with: values[option.name] ?? "")
        }
        return text
    }

    /// True when `value` may be put into a preset's YAML as it is: letters, digits and `._-`.
    static func isPlainValue(_ value: String) -> Bool {
        !value.isEmpty && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}
