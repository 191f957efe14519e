import Yams
import TestbedModel
import TestbedDrivers
import TestbedHTTP
import TestbedHealth
import TestbedLinks
import TestbedSeed
import TestbedSystem
import TestbedTapes

/// Reads the manifest's `links:` section and checks each link against the services.
enum LinkReader {
    static let linkKeys = ["to", "faults", "seed", "http"]

    /// Reads `links:`: `NAME: {to: …, faults: […], seed: N}` or the short form `NAME: TARGET`.
    static func read(_ node: Node, reader: inout NodeReader) -> [LinkSpec] {
        var links: [LinkSpec] = []
        for entry in reader.entries(node, "links") ?? [] {
            guard ManifestLoader.isValidServiceName(entry.key) else {
                reader.fail(entry.keyNode, "link name '\(entry.key)' may only contain letters, digits, '-' and '_'")
                continue
            }
            guard let fields = fields(of: entry, reader: &reader) else { continue }
            guard let toNode = fields.to, let to = reader.string(toNode, "link '\(entry.key)': to") else {
                if fields.to == nil {
                    reader.fail(entry.keyNode, "link '\(entry.key)' has no 'to'",
                                hint: "name the service it fronts: 'to: db' or 'to: cache.ports.redis'")
                }
                continue
            }
            if let spec = spec(entry.key, keyNode: entry.keyNode, to: to, toNode: toNode, fields: fields, reader: &reader) {
                links.append(spec)
            }
        }
        return links
    }

    /// What a link's entry says besides its name, `to:` not yet read.
    struct Fields {
        /// The `to:` node (the whole value in the short form); nil when there is none.
        var to: Node?
        /// `faults:`, each read.
        var faults: [Fault] = []
        /// `seed:`, the seed of its probabilistic faults.
        var seed: UInt64?
        /// The `http:` block, read.
        var http: HTTPLinkSpec?
    }

    /// The fields of `entry`: the short form `NAME: TARGET`, or a mapping of ``linkKeys``.
    /// Nil (reported) when the entry is neither.
    private static func fields(of entry: (key: String, keyNode: Node, value: Node), reader: inout NodeReader) -> Fields? {
        if case .scalar = entry.value { return Fields(to: entry.value) }
        guard let mapping = reader.entries(entry.value, "link '\(entry.key)'") else { return nil }
        reader.checkKeys(mapping, allowed: linkKeys, in: "link '\(entry.key)'")
        var fields = Fields()
        for field in mapping {
            switch field.key {
            case "to": fields.to = field.value
            case "http": fields.http = HTTPLinkReader.read(field.value, link: entry.key, reader: &reader)
            case "seed": fields.seed = reader.int(field.value, "link '\(entry.key)': seed", range: 0...Int.max).map(UInt64.init)
            case "faults":
                for item in reader.sequence(field.value, "link '\(entry.key)': faults") ?? [] {
                    fields.faults += readFault(item, link: entry.key, reader: &reader)
                }
            default: break
            }
        }
        return fields
    }

    /// Parses `text` (a link's `to:` or tape) as a template of environment variables only:
    /// `${VAR}`, `${VAR:-default}`, `${VAR:?message}`. Service and run values are refused
    /// (a link's upstream and tape are fixed before any port is reserved).
    static func environmentTemplate(_ text: String, _ node: Node, _ what: String, reader: inout NodeReader) -> Template? {
        let template: Template
        do {
            template = try Template(parsing: text, location: reader.location(node))
        } catch {
            reader.fail(node, "\(what): \(error.message)", hint: "write $$ for a literal '$'")
            return nil
        }
        for part in template.parts {
            if case .reference(let target, let key) = part {
                reader.fail(node, "\(what): '${\(target).\(key)}' is a service's or the run's value, which cannot be used here",
                            hint: "use environment variables only: ${VAR} or ${VAR:-default} (from the environment or the .env file)")
                return nil
            }
        }
        return template
    }

    /// One fault: `{type: latency, latency: 300, jitter: 50, stream: both, toxicity: 0.5, name: slow}`.
    /// Time attributes take milliseconds (microseconds for the slicer's `delay`) or a duration
    /// such as `300ms`; `stream: both` makes two faults, `NAME_upstream` and `NAME_downstream`.
    static func readFault(_ node: Node, link: String, reader: inout NodeReader) -> [Fault] {
        let what = "a fault of link '\(link)'"
        guard let fields = reader.entries(node, what) else { return [] }
        var type: String?
        var name: String?
        var streams: [Fault.Stream] = [.downstream]
        var toxicity = 1.0
        var seed: UInt64?
        var attributes: [String: Int] = [:]
        var texts: [String: String] = [:]
        var attributeNodes: [(key: String, keyNode: Node, value: Node)] = []
        for field in fields {
            switch field.key {
            case "type": type = reader.string(field.value, "\(what): type")
            case "name": name = reader.string(field.value, "\(what): name")
            case "seed": seed = reader.int(field.value, "\(what): seed", range: 0...Int.max).map(UInt64.init)
            case "stream":
                switch reader.string(field.value, "\(what): stream") {
                case "upstream": streams = [.upstream]
                case "downstream": streams = [.downstream]
                case "both": streams = [.upstream, .downstream]
                case let other?: reader.fail(field.value, "\(what): stream '\(other)' is not valid", hint: "use upstream, downstream or both")
                case nil: break
                }
            case "toxicity":
                if let text = reader.string(field.value, "\(what): toxicity") {
                    if let value = Double(text) { toxicity = value } else {
                        reader.fail(field.value, "\(what): toxicity must be a number from 0 to 1, found '\(text)'")
                    }
                }
            case "attributes": attributeNodes += reader.entries(field.value, "\(what): attributes") ?? []
            case "headers":
                // An HTTP fault's headers: {Retry-After: "2"}.
                for header in reader.entries(field.value, "\(what): headers") ?? [] {
                    if let value = reader.string(header.value, "\(what): headers.\(header.key)") { texts["header.\(header.key)"] = value }
                }
            default: attributeNodes.append(field)
            }
        }
        guard let type else {
            reader.fail(node, "\(what) has no 'type'", hint: "use one of \(Fault.Kind.types.joined(separator: ", ")) (TCP links) or "
                        + "\(HTTPFault.types.joined(separator: ", ")) (HTTP links)")
            return []
        }
        let isHTTP = HTTPFault.types.contains(type)
        for field in attributeNodes {
            guard let text = reader.string(field.value, "\(what): \(field.key)") else { continue }
            if isHTTP && ["method", "path", "body"].contains(field.key) {
                texts[field.key] = text
            } else if let value = Int(text) {
                attributes[field.key] = value
            } else if let duration = Duration(manifest: text), isTime(field.key, type: type) {
                attributes[field.key] = type == "slicer" ? duration.wholeMicroseconds : duration.wholeMilliseconds
            } else {
                reader.fail(field.value, "\(what): \(field.key) must be a whole number\(isTime(field.key, type: type) ? " or a duration such as 300ms" : ""), found '\(text)'")
                return []
            }
        }
        var faults: [Fault] = []
        for stream in streams {
            let faultName = streams.count == 2 ? "\(name ?? type)_\(stream.rawValue)" : name
            do {
                faults.append(try Fault(type: type, attributes: attributes, text: texts, name: faultName, stream: stream,
                                        toxicity: toxicity, seed: seed))
            } catch let error as LinkError {
                let hint = isHTTP ? "attributes of \(type): \(HTTPFault.attributeList(type)); see docs/tapes.md, \"HTTP faults\""
                    : Fault.Kind.ranges[type].map { "attributes of \(type): \($0.keys.sorted().joined(separator: ", ")); see docs/faults.md" }
                reader.fail(node, "link '\(link)': \(error.message)", hint: hint)
                return []
            } catch {
                return []
            }
        }
        return faults
    }

    private static func isTime(_ attribute: String, type: String) -> Bool {
        ["latency", "jitter", "delay", "timeout"].contains(attribute) && type != "bandwidth"
    }

    /// Checks every link against the services (after they are read and validated): the
    /// target exists and has a TCP port, the name is not a service's. Turns TCP on for a
    /// postgres service that a link fronts: a link forwards to a TCP port, never to the
    /// Unix socket (which trusts whoever connects).
    static func check(_ manifest: inout Manifest, reader: inout NodeReader) {
        var seen = Set<String>()
        for link in manifest.links {
            func problem(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
                reader.problems.append(ManifestProblem(location ?? link.targetLocation, message, hint: hint))
            }
            if !seen.insert(link.name).inserted { problem("link '\(link.name)' is declared twice", at: link.location) }
            if manifest.service(named: link.name) != nil {
                problem("link '\(link.name)' has the name of a service", at: link.location,
                        hint: "links and services share ${NAME.key} references: rename the link, e.g. '\(link.name)-link'")
            }
            for fault in link.faults where fault.kind.isHTTP != (link.http != nil) {
                problem(fault.kind.isHTTP
                        ? "link '\(link.name)': fault '\(fault.name)' (\(fault.type)) is an HTTP fault, and the link is a TCP link"
                        : "link '\(link.name)': fault '\(fault.name)' (\(fault.type)) is a TCP fault, and the link is an HTTP link",
                        at: link.location,
                        hint: fault.kind.isHTTP ? "add an 'http:' block to the link, or use a TCP fault (docs/faults.md)"
                            : "HTTP links take \(HTTPFault.types.joined(separator: ", ")) (docs/tapes.md, \"HTTP faults\")")
            }
            if link.isExternal { continue }  // an HTTP link to an external URL fronts no service
            guard let index = manifest.services.firstIndex(where: { $0.name == link.target }) else {
                let names = manifest.services.map(\.name)
                problem("link '\(link.name)' fronts unknown service '\(link.target)'",
                        hint: suggestion(for: link.target, among: names).map { "did you mean '\($0)'?" }
                            ?? "services: \(names.joined(separator: ", "))")
                continue
            }
            let target = manifest.services[index]
            var spec = target.kind
            for refusal in ServiceKinds.kind(of: spec).front(&spec, link: link.name, target: link.target, port: link.port,
                                                              http: link.http != nil, isJob: target.isJob) {
                problem(refusal.message, hint: refusal.hint)
            }
            manifest.services[index].kind = spec
        }
    }

    /// The port name a link fronts on a process with exactly one port when `to:` named none.
    static func portName(of link: LinkSpec, in manifest: Manifest) -> String? {
        if let port = link.port { return port }
        guard let process = manifest.service(named: link.target)?.process else { return nil }
        return process.ports.first?.name
    }
}
