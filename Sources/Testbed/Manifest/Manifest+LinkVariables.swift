import Foundation
import TestbedModel

extension Manifest {
    /// The manifest with the `${VAR}` placeholders of its HTTP links' `to:` URLs and tapes
    /// resolved against `environment` (over the `.env` file beside the manifest), like seed
    /// paths: `to: ${PAYMENTS_URL:-https://api.example.com}`.
    ///
    /// Planning a run and ``preflight(environment:)`` both call it. Returns the problems too,
    /// each at its `to:` or `tape:` line: an unset variable without a default, or a URL that
    /// is not an `http(s)://` base URL once resolved. A link with a problem keeps no URL or tape.
    package func resolvingLinkVariables(environment: [String: String]) -> (manifest: Manifest, problems: [ManifestProblem]) {
        guard links.contains(where: { $0.urlTemplate != nil || $0.http?.tapeTemplate != nil }) else { return (self, []) }
        let resolver = Resolver(manifest: self, environment: environment, values: [:])
        var resolved = self
        var problems: [ManifestProblem] = []
        func resolve(_ template: Template, link: String) -> String? {
            do {
                return try resolver.resolve(template)
            } catch {
                problems.append(ManifestProblem(error.location, "link '\(link)': \(error.message)", hint: error.hint))
                return nil
            }
        }
        for index in resolved.links.indices {
            let link = resolved.links[index]
            if let template = link.urlTemplate, let text = resolve(template, link: link.name) {
                do {
                    resolved.links[index].url = try HTTPUpstreamURL(parsing: text)
                } catch {
                    let reason = (error as? LinkError)?.message ?? "\(error)"
                    problems.append(ManifestProblem(template.location, "link '\(link.name)': 'to: \(template.source)' is '\(text)', "
                        + "which is not an http(s) base URL: \(reason)", hint: "set the variable to a URL such as https://api.example.com/v1"))
                }
            }
            if let template = link.http?.tapeTemplate, let text = resolve(template, link: link.name) {
                if text.isEmpty {
                    problems.append(ManifestProblem(template.location, "link '\(link.name)': 'tape: \(template.source)' is empty",
                                                    hint: "set the variable to a file, e.g. tapes/\(link.name).json"))
                } else {
                    resolved.links[index].http?.tape = resolvePath(text)
                }
            }
        }
        return (resolved, problems)
    }
}
