import Yams
import TestbedModel

extension Preset {
    /// The service node with the preset block `entry` replaced by the preset's YAML: the
    /// preset's keys first, then the service's own (which replace the preset's; `files`
    /// and `environment` are merged key by key). Every node of the preset takes the mark of
    /// the preset's key, so a problem in it is reported at that manifest line. Returns the
    /// node and every option's value.
    func expand(service: String, block: (key: String, keyNode: Node, value: Node),
                others: [(key: String, keyNode: Node, value: Node)], reader: inout NodeReader) -> (node: Node, values: [String: String])? {
        var values: [String: String] = [:]
        if !reader.isNull(block.value) {
            guard let fields = reader.entries(block.value, "\(name)", service: service) else { return nil }
            reader.checkKeys(fields, allowed: options.map(\.name), in: "\(name)", service: service)
            for field in fields where options.contains(where: { $0.name == field.key }) {
                guard let value = reader.string(field.value, "\(name).\(field.key)", service: service) else { return nil }
                guard Self.isPlainValue(value) else {
                    reader.fail(field.value, service: service, "\(name).\(field.key) '\(value)' may only contain letters, digits, '.', '_' and '-'",
                                hint: "for other settings, give the service your own 'files:' entry (see docs/manifest.md, Presets)")
                    return nil
                }
                if let allowed = options.first(where: { $0.name == field.key })?.allowed, !allowed.contains(value) {
                    reader.fail(field.value, service: service, "\(name).\(field.key) '\(value)' is not one of \(allowed.joined(separator: ", "))",
                                hint: "a preset never lets a client in without its password (see docs/security.md, Presets)")
                    return nil
                }
                values[field.key] = value
            }
        }
        for option in options where values[option.name] == nil {
            guard let fallback = option.defaultValue else {
                reader.fail(block.keyNode, service: service, "\(name) needs '\(option.name)': \(option.summary)",
                            hint: "e.g. \(name): {\(option.name): \(option.isService ? "db" : "VALUE")}")
                return nil
            }
            values[option.name] = fallback
        }
        let text = expanded(service: service, values: values)
        guard let parsed = try? Yams.compose(yaml: text), case .mapping(let mapping) = parsed else {
            reader.fail(block.keyNode, service: service, "the \(name) preset cannot be expanded", hint: "this is a bug in Testbed")
            return nil
        }
        let mark = block.keyNode.mark
        var pairs: [(Node, Node)] = mapping.map { (Self.remark($0.key, mark), Self.remark($0.value, mark)) }
        for other in others {
            if let index = pairs.firstIndex(where: { $0.0.string == other.key }) {
                if ["files", "environment"].contains(other.key), case .mapping(let own) = other.value,
                   case .mapping(let preset) = pairs[index].1 {
                    pairs[index].1 = Self.merge(own, over: preset, keeping: other.key == "files" ? ["name", "mode"] : [])
                } else {
                    pairs[index] = (other.keyNode, other.value)
                }
            } else {
                pairs.append((other.keyNode, other.value))
            }
        }
        return (.mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mark)), values)
    }

    /// `own` over `preset`, key by key: the preset's keys in their order (each replaced by
    /// the manifest's entry of that key), then the manifest's other keys. An entry that
    /// replaces one of the preset's keeps the preset's fields named in `keeping` unless it
    /// gives them itself: `files: {conf: {template: …}}` keeps the file's name and mode.
    static func merge(_ own: Node.Mapping, over preset: Node.Mapping, keeping: [String]) -> Node {
        func entry(_ mapping: Node.Mapping, _ key: String?) -> Node? { mapping.first { $0.key.string == key }?.value }
        var merged: [(Node, Node)] = preset.map { pair in
            guard let replacement = own.first(where: { $0.key.string == pair.key.string }) else { return (pair.key, pair.value) }
            guard case .mapping(let mine) = replacement.value, case .mapping(let theirs) = pair.value else {
                return (replacement.key, replacement.value)
            }
            let kept = theirs.filter { keeping.contains($0.key.string ?? "") && entry(mine, $0.key.string) == nil }
            return (replacement.key, .mapping(Node.Mapping(mine.map { ($0.key, $0.value) } + kept.map { ($0.key, $0.value) },
                                                           mine.tag, mine.style, mine.mark)))
        }
        merged += own.filter { entry(preset, $0.key.string) == nil }.map { ($0.key, $0.value) }
        return .mapping(Node.Mapping(merged, own.tag, own.style, own.mark))
    }

    /// `node` and everything in it with `mark`.
    static func remark(_ node: Node, _ mark: Mark?) -> Node {
        switch node {
        case .scalar(var scalar):
            scalar.mark = mark
            return .scalar(scalar)
        case .mapping(let mapping):
            return .mapping(Node.Mapping(mapping.map { (remark($0.key, mark), remark($0.value, mark)) },
                                         mapping.tag, mapping.style, mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map { remark($0, mark) }, sequence.tag, sequence.style, mark))
        default:
            return node
        }
    }
}
