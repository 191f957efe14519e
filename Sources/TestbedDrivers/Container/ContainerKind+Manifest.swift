import Yams
import TestbedSystem
import TestbedModel

extension ContainerKind {
    /// `image: NAME`: a string (a template, so `${TAG}` works).
    func readBlock(_ node: Node, service: String, reader: inout NodeReader) -> (any ServiceKindSpec)? {
        guard let image = reader.template(node, "image", service: service) else { return nil }
        if image.source.trimmingCharacters(in: .whitespaces).isEmpty {
            reader.fail(node, service: service, "image is empty", hint: "name the image, e.g. 'image: localhost/app:1'")
            return nil
        }
        return ContainerSpec(image: image, imageLocation: reader.location(node))
    }

    /// The container's own keys.
    func readKey(_ entry: (key: String, keyNode: Node, value: Node), service name: String, into spec: inout any ServiceKindSpec,
                 reader: inout NodeReader) {
        guard var container = spec as? ContainerSpec else { return }
        let value = entry.value
        switch entry.key {
        case "command": container.command = Self.readCommand(value, "command", service: name, reader: &reader)
        case "entrypoint":
            switch Self.readCommand(value, "entrypoint", service: name, reader: &reader) {
            case .argv(let parts): container.entrypoint = parts
            case .shell(let text): container.entrypoint = [text]
            case nil: break
            }
        case "user": container.user = reader.template(value, "user", service: name)
        case "working_dir":
            if let dir = reader.template(value, "working_dir", service: name) {
                if dir.source.hasPrefix("/") { container.workingDirectory = dir } else {
                    reader.fail(value, service: name, "working_dir of a container is a path inside it and must be absolute",
                                hint: "e.g. 'working_dir: /app'")
                }
            }
        case "ports": container.ports = Self.readPorts(value, service: name, reader: &reader)
        case "volumes": container.volumes = Self.readVolumes(value, service: name, reader: &reader)
        case "tmpfs":
            for (path, node) in zip(reader.strings(value, "tmpfs", service: name) ?? [], value.sequence.map(Array.init) ?? [value])
            where Self.isAbsolute(path, "tmpfs", at: node, service: name, reader: &reader) {
                container.tmpfs.append(path)
            }
        case "stop_signal":
            if let text = reader.string(value, "stop_signal", service: name) {
                if let signal = SignalNames.parse(text) { container.stopSignal = signal } else {
                    reader.fail(value, service: name, "stop_signal '\(text)' is not a signal", hint: "use a name such as SIGTERM, SIGINT or SIGQUIT")
                }
            }
        case "stop_grace_period":
            if let grace = reader.duration(value, "stop_grace_period", service: name) { container.stopGracePeriod = grace }
        case "init": container.runsInit = reader.bool(value, "init", service: name) ?? false
        case "url": container.url = reader.template(value, "url", service: name)
        case "engine": container.engine = reader.string(value, "engine", service: name)
        case "network_mode":
            if let mode = reader.string(value, "network_mode", service: name) {
                if mode == "host" { container.hostNetwork = true } else {
                    reader.fail(value, service: name, "network_mode '\(mode)' is not supported",
                                hint: "leave it out (ports published on 127.0.0.1), or write 'network_mode: host'")
                }
            }
        default: break
        }
        spec = container
    }

    /// A list runs directly; a string runs through `/bin/sh -c` inside the container.
    static func readCommand(_ node: Node, _ what: String, service: String, reader: inout NodeReader) -> CommandSpec? {
        reader.command(node, what, service: service, emptyHint: "leave it out for the image's own")
    }

    /// `[http]`, `{http: 80}`, `[http: 80, admin]`: named, each with its port inside the container or none.
    static func readPorts(_ node: Node, service: String, reader: inout NodeReader) -> [ContainerSpec.Port] {
        var ports: [ContainerSpec.Port] = []
        func add(_ name: String, container: Int?, at node: Node) {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), Int(name) == nil else {
                reader.fail(node, service: service, "ports are named, not numbered: '\(name)'",
                            hint: "write 'ports: {http: \(name.split(separator: ":").last ?? "80")}' (the port inside the container); "
                                + "Testbed picks the host's port on 127.0.0.1, ${\(service).ports.http}")
                return
            }
            if ports.contains(where: { $0.name == name }) {
                reader.fail(node, service: service, "port '\(name)' is declared twice", hint: "give each port a distinct name")
                return
            }
            ports.append(.init(name: name, container: container, location: reader.location(node)))
        }
        func addEntries(of mapping: Node) {
            for entry in reader.entries(mapping, "ports", service: service) ?? [] {
                if reader.isNull(entry.value) { add(entry.key, container: nil, at: entry.keyNode); continue }
                if let number = reader.int(entry.value, "port '\(entry.key)' (inside the container)", service: service, range: 1...65535) {
                    add(entry.key, container: number, at: entry.keyNode)
                }
            }
        }
        if case .sequence(let items) = node {
            for item in items {
                if case .mapping = item { addEntries(of: item); continue }
                if let name = reader.string(item, "a port name", service: service) { add(name, container: nil, at: item) }
            }
        } else {
            addEntries(of: node)
        }
        return ports
    }

    /// Compose's short form `SOURCE:TARGET[:ro|rw]`; read-only unless `rw`.
    static func readVolumes(_ node: Node, service: String, reader: inout NodeReader) -> [ContainerSpec.Volume] {
        guard let items = reader.sequence(node, "volumes", service: service) else { return [] }
        var volumes: [ContainerSpec.Volume] = []
        for item in items {
            guard let text = reader.string(item, "a volume", service: service) else { continue }
            var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            var writable = false
            if parts.count == 3, ["ro", "rw"].contains(parts[2]) {
                writable = parts.removeLast() == "rw"
            }
            guard parts.count == 2, !parts[0].isEmpty else {
                reader.fail(item, service: service, "volume '\(text)' must look like SOURCE:TARGET, SOURCE:TARGET:ro or SOURCE:TARGET:rw",
                            hint: "e.g. './fixtures:/fixtures' (read-only unless ':rw')")
                continue
            }
            guard parts[0].hasPrefix("/") || parts[0].hasPrefix(".") || parts[0].hasPrefix("$") else {
                reader.fail(item, service: service, "named volumes are not supported: '\(parts[0])'",
                            hint: "mount a folder ('./data:/data:rw'), or use 'tmpfs: [\(parts[1])]' for scratch space the run throws away")
                continue
            }
            guard isAbsolute(parts[1], "a volume's target", at: item, service: service, reader: &reader) else { continue }
            do {
                let source = try Template(parsing: parts[0], location: reader.location(item))
                volumes.append(.init(source: source, target: parts[1], writable: writable, location: reader.location(item)))
            } catch {
                reader.fail(item, service: service, "volume '\(text)': \(error.message)")
            }
        }
        return volumes
    }

    private static func isAbsolute(_ path: String, _ what: String, at node: Node, service: String, reader: inout NodeReader) -> Bool {
        if path.hasPrefix("/") && !path.contains(",") { return true }
        reader.fail(node, service: service, "\(what) '\(path)' must be an absolute path inside the container", hint: "e.g. /tmp")
        return false
    }
}
