import Foundation

/// Checks that need the whole manifest: dependencies, cycles, references, files.
enum ManifestValidator {
    static func validate(_ manifest: inout Manifest, reader: inout NodeReader) {
        let names = manifest.services.map(\.name)
        let byName = Dictionary(manifest.services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        for service in manifest.services {
            var seen = Set<String>()
            for dependency in service.dependsOn {
                if !seen.insert(dependency.service).inserted {
                    problem(&reader, dependency.location, service.name, "depends on '\(dependency.service)' twice")
                }
                if dependency.service == service.name {
                    problem(&reader, dependency.location, service.name, "depends on itself")
                } else if byName[dependency.service] == nil {
                    problem(&reader, dependency.location, service.name, "depends on unknown service '\(dependency.service)'",
                            hint: suggestion(for: dependency.service, among: names).map { "did you mean '\($0)'?" }
                                ?? "services in this manifest: \(names.joined(separator: ", "))")
                }
            }
        }
        // A service that a dependent waits on to complete is a one-shot job.
        for index in manifest.services.indices {
            let name = manifest.services[index].name
            let awaited = manifest.services.contains { $0.dependsOn.contains { $0.service == name && $0.condition == .completedSuccessfully } }
            if awaited {
                if case .process = manifest.services[index].kind { manifest.services[index].isJob = true } else {
                    let dependency = manifest.services.flatMap(\.dependsOn).first { $0.service == name && $0.condition == .completedSuccessfully }!
                    problem(&reader, dependency.location, nil, "'\(name)' is a database; it never completes",
                            hint: "wait for it with service_healthy")
                }
            }
        }
        for cycle in cycles(manifest.services) {
            let first = byName[cycle[0]]!
            let location = first.dependsOn.first { $0.service == cycle[1] }?.location ?? first.location
            problem(&reader, location, nil, "dependency cycle: \(cycle.joined(separator: " → "))",
                    hint: "remove one of these depends_on entries")
        }
        for service in manifest.services {
            checkHealthcheck(service, reader: &reader)
            checkSeedFiles(service, manifest: manifest, reader: &reader)
            for template in templates(of: service) {
                checkReferences(template, in: service.name, byName: byName, reader: &reader, links: manifest.links)
            }
        }
        for export in manifest.exports {
            checkReferences(export.value, in: nil, byName: byName, reader: &reader, links: manifest.links)
        }
    }

    static func problem(_ reader: inout NodeReader, _ location: SourceLocation, _ service: String?, _ message: String, hint: String? = nil) {
        reader.problems.append(ManifestProblem(location, service: service, message, hint: hint))
    }

    /// Every elementary cycle found by depth-first search, each as [a, b, …, a], reported once.
    static func cycles(_ services: [ServiceSpec]) -> [[String]] {
        let edges = Dictionary(services.map { ($0.name, $0.dependsOn.map(\.service)) }, uniquingKeysWith: { a, _ in a })
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        var found: [[String]] = []
        var reported = Set<Set<String>>()
        func visit(_ name: String) {
            state[name] = 1
            stack.append(name)
            for next in edges[name] ?? [] where edges[next] != nil {
                if state[next] == 1, let start = stack.firstIndex(of: next) {
                    let cycle = Array(stack[start...]) + [next]
                    if reported.insert(Set(cycle)).inserted { found.append(cycle) }
                } else if state[next] == nil {
                    visit(next)
                }
            }
            stack.removeLast()
            state[name] = 2
        }
        for service in services where state[service.name] == nil { visit(service.name) }
        return found
    }

    static func checkHealthcheck(_ service: ServiceSpec, reader: inout NodeReader) {
        guard let check = service.healthcheck else { return }
        var portNames: [String] = []
        if case .process(let process) = service.kind { portNames = process.ports.map(\.name) }
        func checkPort(_ port: HealthCheckSpec.PortReference) {
            guard case .named(let name) = port, !portNames.contains(name) else { return }
            let hint = portNames.isEmpty
                ? "declare it: 'ports: [\(name)]'"
                : suggestion(for: name, among: portNames).map { "did you mean '\($0)'?" } ?? "declared ports: \(portNames.joined(separator: ", "))"
            problem(&reader, check.location, service.name, "the healthcheck uses port '\(name)', which the service does not declare", hint: hint)
        }
        if service.isJob {
            problem(&reader, check.location, service.name, "a one-shot job has no health check: dependents wait for it to exit with status 0",
                    hint: "remove the healthcheck, or drop oneshot if the service keeps running")
        }
        switch check.probe {
        case .tcp where service.kindName != "process", .http where service.kindName != "process":
            problem(&reader, check.location, service.name, "a tcp or http check applies to process services",
                    hint: "a \(service.kindName) service is ready once it accepts connections; check it with sql: QUERY")
        case .tcp(let port): checkPort(port)
        case .http(.path(_, let port), _): checkPort(port)
        case .sql:
            if case .process = service.kind {
                problem(&reader, check.location, service.name, "an sql check needs a postgres or sqlite service",
                        hint: "check a process with tcp, http, command or log")
            }
        case .http, .command, .log: break
        }
        if case .log = check.probe, service.kindName != "process" {
            problem(&reader, check.location, service.name, "a log check applies to process services")
        }
    }

    static func checkSeedFiles(_ service: ServiceSpec, manifest: Manifest, reader: inout NodeReader) {
        for step in service.seed {
            for file in step.files where !FileManager.default.fileExists(atPath: manifest.resolvePath(file)) {
                problem(&reader, step.location, service.name, "fixture file '\(file)' does not exist (looked in \(manifest.resolvePath(file)))",
                        hint: "paths are relative to the manifest's folder")
            }
            if case .postgres(let spec) = service.kind, let database = step.database, !spec.databases.contains(database) {
                problem(&reader, step.location, service.name, "seed step targets database '\(database)', which the service does not create",
                        hint: "add it to postgres.databases (now: \(spec.databases.joined(separator: ", ")))")
            }
        }
    }

    static func templates(of service: ServiceSpec) -> [Template] {
        var result = service.environment.map(\.value)
        func add(_ command: CommandSpec) {
            switch command {
            case .argv(let parts): result += parts
            case .shell(let text): result.append(text)
            }
        }
        switch service.kind {
        case .process(let process):
            add(process.command)
            if let dir = process.workingDirectory { result.append(dir) }
        case .sqlite(let spec): if let path = spec.path { result.append(path) }
        case .postgres: break
        }
        if let check = service.healthcheck {
            if case .command(let command) = check.probe { add(command) }
            if case .http(.url(let url), _) = check.probe { result.append(url) }
        }
        for step in service.seed { if case .command(let command, _, _) = step.source { add(command) } }
        return result
    }

    static func checkReferences(_ template: Template, in service: String?, byName: [String: ServiceSpec], reader: inout NodeReader,
                                links: [LinkSpec] = []) {
        for part in template.parts {
            guard case .reference(let target, let key) = part else { continue }
            if target == "run" {
                if !["dir", "name", "toxiproxy_url"].contains(key) {
                    problem(&reader, template.location, service, "'${run.\(key)}' is not a run value",
                            hint: "use ${run.dir}, ${run.name} or ${run.toxiproxy_url} (with links: or toxiproxy: true)")
                }
                continue
            }
            if let link = links.first(where: { $0.name == target }) {
                let keys = byName[link.target].map { LinkSpec.keys(fronting: $0, port: link.port) } ?? []
                if !keys.isEmpty && !keys.contains(key) {
                    problem(&reader, template.location, service, "'${\(target).\(key)}': link '\(target)' has no value '\(key)'",
                            hint: "its values: \(keys.joined(separator: ", "))")
                }
                continue
            }
            guard let spec = byName[target] else {
                problem(&reader, template.location, service, "'${\(target).\(key)}' refers to unknown service '\(target)'",
                        hint: suggestion(for: target, among: Array(byName.keys)).map { "did you mean '\($0)'?" })
                continue
            }
            let keys = ServiceValueKeys.keys(of: spec)
            if !keys.contains(key) {
                problem(&reader, template.location, service, "'${\(target).\(key)}': service '\(target)' has no value '\(key)'",
                        hint: suggestion(for: key, among: keys).map { "did you mean '\($0)'?" }
                            ?? "its values: \(keys.joined(separator: ", "))")
            }
        }
    }
}

/// The values each kind of service exposes to `${service.key}` references and exports.
public enum ServiceValueKeys {
    /// The keys `service` exposes, e.g. `host`, `log` and `ports.NAME` for a process.
    public static func keys(of service: ServiceSpec) -> [String] {
        switch service.kind {
        case .process(let process):
            ["host", "log"] + process.ports.map { "ports.\($0.name)" }
        case .postgres(let spec):
            ["url", "host", "port", "socket", "database", "user", "password", "log"]
                + spec.databases.map { "databases.\($0).url" }
        case .sqlite:
            ["path", "url", "file", "dsn"]
        }
    }
}
