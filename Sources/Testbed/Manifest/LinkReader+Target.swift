import Yams
import TestbedModel

extension LinkReader {
    /// The link `name` once its `to:` is read: an HTTP link's URL from the environment
    /// (`${PAYMENTS_URL:-https://…}`), an HTTP link's URL, or a service (`db`) or a service's
    /// port (`api.ports.http`). Nil (reported) when `to:` is none of these.
    static func spec(_ name: String, keyNode: Node, to: String, toNode: Node, fields: Fields,
                     reader: inout NodeReader) -> LinkSpec? {
        if to.contains("${") {
            // An HTTP link's base URL from the environment: `to: ${PAYMENTS_URL:-https://…}`.
            guard fields.http != nil else {
                reader.fail(toNode, "link '\(name)': 'to: \(to)' uses ${…}, which only an HTTP link's URL may",
                            hint: "add an 'http:' block for an external URL, or name the service: 'to: db' or 'to: api.ports.http'")
                return nil
            }
            guard let template = environmentTemplate(to, toNode, "link '\(name)': to", reader: &reader) else { return nil }
            var spec = LinkSpec(name: name, target: "", faults: fields.faults, seed: fields.seed, location: reader.location(keyNode),
                                targetLocation: reader.location(toNode))
            spec.urlTemplate = template
            spec.http = fields.http
            return spec
        }
        if to.contains("://") {
            return urlSpec(name, keyNode: keyNode, to: to, toNode: toNode, fields: fields, reader: &reader)
        }
        let parts = to.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 1 || (parts.count == 3 && parts[1] == "ports" && !parts[2].isEmpty), !parts[0].isEmpty else {
            reader.fail(toNode, "link '\(name)': 'to: \(to)' must name a service ('db') or a service's port ('api.ports.http')")
            return nil
        }
        var seen = Set<String>()
        for fault in fields.faults where !seen.insert(fault.name).inserted {
            reader.fail(keyNode, "link '\(name)' has two faults named '\(fault.name)'", hint: "give each fault its own name")
        }
        var spec = LinkSpec(name: name, target: parts[0], port: parts.count == 3 ? parts[2] : nil, faults: fields.faults,
                            seed: fields.seed, location: reader.location(keyNode), targetLocation: reader.location(toNode))
        spec.http = fields.http
        return spec
    }

    /// An HTTP link to the external URL `to`; nil (reported) for a TCP link or a URL that
    /// is not an http(s) base URL.
    private static func urlSpec(_ name: String, keyNode: Node, to: String, toNode: Node, fields: Fields,
                                reader: inout NodeReader) -> LinkSpec? {
        guard fields.http != nil else {
            reader.fail(toNode, "link '\(name)': 'to: \(to)' is a URL, which only an HTTP link can front",
                        hint: "add an 'http:' block (docs/tapes.md), or name a service's port for a TCP link")
            return nil
        }
        do {
            let url = try HTTPUpstreamURL(parsing: to)
            var spec = LinkSpec(name: name, target: "", faults: fields.faults, seed: fields.seed, location: reader.location(keyNode),
                                targetLocation: reader.location(toNode))
            spec.url = url
            spec.http = fields.http
            return spec
        } catch let error as LinkError {
            reader.fail(toNode, "link '\(name)': \(error.message)")
        } catch {}
        return nil
    }
}
