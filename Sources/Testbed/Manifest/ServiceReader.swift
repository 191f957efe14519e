import Yams
import TestbedModel
import TestbedDrivers

/// Reads one entry of `services:`.
enum ServiceReader {
    static let unsupported = [
        "build": "Testbed does not build images; give the 'command' that starts the service",
        "restart": "services are not restarted: a service that dies fails the run",
        "volumes": "only an 'image:' service mounts volumes; a process uses files where they are",
        "networks": "every service listens on loopback; use named 'ports'",
        "entrypoint": "only an 'image:' service has an entrypoint; put the whole command in 'command'",
        "configs": "declare the file under 'files:' ({KEY: {template: FILE}} or {KEY: {content: TEXT}}); its path is ${SERVICE.files.KEY}",
        "secrets": "declare the file under 'files:' with mode \"0600\"; its path is ${SERVICE.files.KEY}",
    ]

    /// Reads one service: a preset, a kind's block (`postgres:`, `sqlite:`), or a process;
    /// nil after a problem was recorded in `reader`.
    static func read(name: String, node: Node, keyNode: Node, reader: inout NodeReader) -> ServiceSpec? {
        guard let entries = reader.entries(node, "the service", service: name) else { return nil }
        let keys = Set(entries.map(\.key))
        let blocks = ServiceKinds.withBlock.filter { keys.contains($0.blockKey ?? "") }
        let presets = entries.filter { Preset.all[$0.key] != nil }
        if let block = presets.first, let preset = Preset.all[block.key] {
            if presets.count > 1 || !blocks.isEmpty {
                let other = presets.dropFirst().first?.key ?? blocks[0].blockKey ?? ""
                reader.fail(block.keyNode, service: name, "a service is made from one of '\(block.key)' and '\(other)', not both",
                            hint: "a preset brings its own command; split it into two services, or write the service by hand")
                return nil
            }
            return readPreset(preset, block: block, entries: entries, name: name, keyNode: keyNode, reader: &reader)
        }
        if blocks.count > 1 {
            reader.fail(keyNode, service: name, "a service is either '\(blocks[0].name)' or '\(blocks[1].name)', not both",
                        hint: "split it into two services")
            return nil
        }
        let kind = blocks.first ?? ServiceKinds.standard
        let allowed = kind.blockKey == nil ? kind.serviceKeys : ServiceKinds.withBlock.compactMap(\.blockKey) + kind.serviceKeys
        // Unknown keys first, whatever else is wrong: `comand:` is a typo, not a missing command.
        reader.checkKeys(entries, allowed: allowed, in: "", service: name, extra: unsupported.merging(kind.refusedKeys) { $1 })
        if kind.blockKey == nil && !keys.contains("command") {
            let misspelt = entries.contains { !allowed.contains($0.key) && suggestion(for: $0.key, among: allowed) == "command" }
            if !misspelt {
                let markers = ServiceKinds.withBlock.compactMap(\.blockKey).map { "'\($0):'" }
                let blockNames = markers.dropLast().joined(separator: ", ") + " or " + (markers.last ?? "")
                let hint = "add 'command', \(blockNames), or a preset (\(Preset.all.keys.sorted().joined(separator: ", ")))"
                reader.fail(keyNode, service: name, "the service has nothing to run", hint: hint)
            }
            return nil
        }
        var spec = ServiceSpec(name: name, kind: ProcessSpec(command: .argv([])), location: reader.location(keyNode))
        var kindSpec: (any ServiceKindSpec)? = kind.blockKey == nil ? spec.kind : nil
        // The block first: the kind's other keys are read into what it made.
        if let block = entries.first(where: { $0.key == kind.blockKey }) {
            kindSpec = kind.readBlock(block.value, service: name, reader: &reader)
        }
        for entry in entries where allowed.contains(entry.key) && entry.key != kind.blockKey {
            switch entry.key {
            case "depends_on": spec.dependsOn = readDependencies(entry.value, service: name, reader: &reader)
            case "healthcheck": spec.healthcheck = HealthCheckReader.read(entry.value, service: name, reader: &reader)
            case "environment":
                spec.environment = (reader.keyValues(entry.value, "environment", service: name) ?? []).map { ($0.name, $0.value) }
            case "seed": spec.seed = SeedReader.read(entry.value, service: name, namesDatabases: kind.seedsNamedDatabases, reader: &reader)
            case "oneshot": spec.isJob = reader.bool(entry.value, "oneshot", service: name) ?? false
            case "start_timeout":
                if let limit = reader.duration(entry.value, "start_timeout", service: name) {
                    if limit > .zero { spec.startTimeout = limit } else {
                        reader.fail(entry.value, service: name, "start_timeout must be longer than 0", hint: "leave it out for the default of 5m")
                    }
                }
            default:
                if var process = kindSpec as? ProcessSpec {
                    ProcessReader.read(entry, service: name, into: &process, reader: &reader)
                    kindSpec = process
                } else if var own = kindSpec {
                    if entry.key == "files" {
                        kind.readFiles(ServiceFileReader.files(entry.value, service: name, takesTarget: true, reader: &reader), into: &own)
                    } else {
                        kind.readKey(entry, service: name, into: &own, reader: &reader)
                    }
                    kindSpec = own
                }
            }
        }
        guard let kindSpec else { return nil }
        spec.kind = kindSpec
        if !entries.contains(where: { $0.key == "healthcheck" }) {
            spec.healthcheck = kind.defaultHealthCheck(of: kindSpec, location: spec.location)
        }
        return spec
    }

    /// A service made from a preset: the preset's expansion read as a process, marked with
    /// what the preset brings (its program, its generated password, whom it logs in to).
    private static func readPreset(_ preset: Preset, block: (key: String, keyNode: Node, value: Node),
                                   entries: [(key: String, keyNode: Node, value: Node)], name: String, keyNode: Node,
                                   reader: inout NodeReader) -> ServiceSpec? {
        let others = entries.filter { $0.key != block.key }
        guard let expanded = preset.expand(service: name, block: block, others: others, reader: &reader),
              var service = read(name: name, node: expanded.node, keyNode: keyNode, reader: &reader),
              var process = service.process else { return nil }
        process.preset = preset.name
        process.requires = preset.requires
        process.generatesPassword = preset.generatesPassword
        process.logsInTo = preset.options.filter(\.logsIn).compactMap { expanded.values[$0.name] }
        service.kind = process
        return service
    }

    /// A list runs directly; a string runs through `/bin/sh -c`.
    static func readCommand(_ node: Node, _ what: String, service: String, reader: inout NodeReader) -> CommandSpec? {
        reader.command(node, what, service: service, emptyHint: node.sequence != nil ? "give the program and its arguments, e.g. [python3, app.py]" : nil)
    }

    static func readPorts(_ node: Node, service: String, reader: inout NodeReader) -> [PortSpec] {
        var ports: [PortSpec] = []
        func add(_ name: String, fixed: Int?, at node: Node) {
            guard ManifestLoader.isValidServiceName(name) else {
                reader.fail(node, service: service, "port name '\(name)' may only contain letters, digits, '-' and '_'",
                            hint: "ports are named (e.g. 'http'); Testbed picks a free number for each run")
                return
            }
            if ports.contains(where: { $0.name == name }) {
                reader.fail(node, service: service, "port '\(name)' is declared twice", hint: "give each port a distinct name")
                return
            }
            ports.append(PortSpec(name: name, fixed: fixed, location: reader.location(node)))
        }
        if case .sequence(let items) = node {
            for item in items {
                if let name = reader.string(item, "a port name", service: service) {
                    if Int(name) != nil || name.contains(":") {
                        reader.fail(item, service: service, "ports are named, not numbered: '\(name)'",
                                    hint: "write 'ports: [http]' and use ${\(service).ports.http}; for a fixed number write 'ports: {http: \(name.split(separator: ":").last ?? "8080")}'")
                    } else {
                        add(name, fixed: nil, at: item)
                    }
                }
            }
            return ports
        }
        for entry in reader.entries(node, "ports", service: service) ?? [] {
            if reader.isNull(entry.value) { add(entry.key, fixed: nil, at: entry.keyNode); continue }
            if let number = reader.int(entry.value, "port '\(entry.key)'", service: service, range: 1...65535) {
                add(entry.key, fixed: number, at: entry.keyNode)
            }
        }
        return ports
    }

    static func readDependencies(_ node: Node, service: String, reader: inout NodeReader) -> [Dependency] {
        if case .scalar = node, !reader.isNull(node), let text = reader.string(node, "depends_on", service: service) {
            let names = text.split { $0 == "," || $0 == " " }.map(String.init)
            reader.fail(node, service: service, "depends_on must be a list or a mapping, found '\(text)'",
                        hint: "write a list: depends_on: [\(names.joined(separator: ", "))]")
            return []
        }
        if case .sequence(let items) = node {
            return items.compactMap { item in
                reader.string(item, "a dependency", service: service).map {
                    Dependency(service: $0, condition: nil, location: reader.location(item))
                }
            }
        }
        var result: [Dependency] = []
        for entry in reader.entries(node, "depends_on", service: service) ?? [] {
            var conditionNode = entry.value
            if case .mapping = entry.value, let fields = reader.entries(entry.value, "depends_on '\(entry.key)'", service: service) {
                reader.checkKeys(fields, allowed: ["condition", "required"], in: "depends_on '\(entry.key)'", service: service,
                                 extra: ["restart": "services are not restarted"])
                if let required = fields.first(where: { $0.key == "required" }),
                   reader.bool(required.value, "required", service: service) == false {
                    reader.fail(required.value, service: service, "optional dependencies (required: false) are not supported",
                                hint: "remove the dependency, or make it required")
                }
                guard let condition = fields.first(where: { $0.key == "condition" }) else {
                    result.append(Dependency(service: entry.key, condition: nil, location: reader.location(entry.keyNode)))
                    continue
                }
                conditionNode = condition.value
            } else if reader.isNull(entry.value) {
                result.append(Dependency(service: entry.key, condition: nil, location: reader.location(entry.keyNode)))
                continue
            }
            guard let text = reader.string(conditionNode, "the condition for '\(entry.key)'", service: service) else { continue }
            guard let condition = parseCondition(text) else {
                reader.fail(conditionNode, service: service, "unknown condition '\(text)' for '\(entry.key)'",
                            hint: "use service_started, service_healthy or service_completed_successfully (or started, healthy, completed)")
                continue
            }
            result.append(Dependency(service: entry.key, condition: condition, location: reader.location(entry.keyNode)))
        }
        return result
    }

    static func parseCondition(_ text: String) -> DependencyCondition? {
        switch text {
        case "started", "service_started": .started
        case "healthy", "service_healthy", "ready": .healthy
        case "completed", "completed_successfully", "service_completed_successfully": .completedSuccessfully
        default: nil
        }
    }
}
