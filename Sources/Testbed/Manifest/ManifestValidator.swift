import Foundation
import TestbedModel
import TestbedDrivers

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
        var awaited: [String: SourceLocation] = [:]
        for dependency in manifest.services.lazy.flatMap(\.dependsOn) where dependency.condition == .completedSuccessfully {
            if awaited[dependency.service] == nil { awaited[dependency.service] = dependency.location }
        }
        for index in manifest.services.indices {
            let name = manifest.services[index].name
            guard let location = awaited[name] else { continue }
            if ServiceKinds.kind(of: manifest.services[index].kind).canComplete { manifest.services[index].isJob = true } else {
                problem(&reader, location, nil, "'\(name)' is a database; it never completes",
                        hint: "wait for it with service_healthy")
            }
        }
        for cycle in cycles(manifest.services) {
            let first = byName[cycle[0]]!
            let location = first.dependsOn.first { $0.service == cycle[1] }?.location ?? first.location
            problem(&reader, location, nil, "dependency cycle: \(cycle.joined(separator: " → "))",
                    hint: "remove one of these depends_on entries")
        }
        var valueKeys: [String: Set<String>] = [:]
        let linksByName = Dictionary(manifest.links.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for service in manifest.services where valueKeys[service.name] == nil {
            valueKeys[service.name] = Set(ServiceValueKeys.keys(of: service))
        }
        for service in manifest.services {
            checkHealthcheck(service, reader: &reader)
            checkSeedFiles(service, manifest: manifest, reader: &reader)
            for template in templates(of: service) {
                checkReferences(template, in: service.name, byName: byName, valueKeys: valueKeys, reader: &reader, links: linksByName)
            }
        }
        for export in manifest.exports {
            checkReferences(export.value, in: nil, byName: byName, valueKeys: valueKeys, reader: &reader, links: linksByName)
        }
    }

    static func problem(_ reader: inout NodeReader, _ location: SourceLocation, _ service: String?, _ message: String, hint: String? = nil) {
        reader.problems.append(ManifestProblem(location, service: service, message, hint: hint))
    }

    /// Every elementary cycle found by depth-first search, each as [a, b, …, a], reported once.
    ///
    /// Iterative (a chain of 100,000 services must not overflow the stack) and linear in
    /// services plus dependencies.
    static func cycles(_ services: [ServiceSpec]) -> [[String]] {
        let edges = Dictionary(services.map { ($0.name, $0.dependsOn.map(\.service)) }, uniquingKeysWith: { a, _ in a })
        var done = Set<String>()
        var onStack: [String: Int] = [:]  // name → its position in `stack`
        var stack: [(name: String, next: Int)] = []
        var found: [[String]] = []
        var reported = Set<Set<String>>()
        for service in services where !done.contains(service.name) {
            onStack[service.name] = 0
            stack = [(service.name, 0)]
            while let top = stack.last {
                let targets = edges[top.name] ?? []
                guard top.next < targets.count else {
                    stack.removeLast()
                    onStack[top.name] = nil
                    done.insert(top.name)
                    continue
                }
                stack[stack.count - 1].next += 1
                let next = targets[top.next]
                guard edges[next] != nil, !done.contains(next) else { continue }
                if let start = onStack[next] {
                    let cycle = stack[start...].map(\.name) + [next]
                    if reported.insert(Set(cycle)).inserted { found.append(cycle) }
                } else {
                    onStack[next] = stack.count
                    stack.append((next, 0))
                }
            }
        }
        return found
    }

    static func checkHealthcheck(_ service: ServiceSpec, reader: inout NodeReader) {
        guard let check = service.healthcheck else { return }
        let kind = ServiceKinds.kind(of: service.kind)
        let portNames = kind.ports(of: service.kind, location: service.location).map(\.name)
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
        if let refusal = kind.refusal(of: check.probe) {
            problem(&reader, check.location, service.name, refusal.message, hint: refusal.hint)
            return
        }
        switch check.probe {
        case .tcp(let port): checkPort(port)
        case .http(.path(_, let port), _): checkPort(port)
        case .http, .command, .log, .sql: break
        }
    }

    static func checkSeedFiles(_ service: ServiceSpec, manifest: Manifest, reader: inout NodeReader) {
        for step in service.seed {
            // A path with ${VAR} is checked once the variables are known (at the start, and by `validate`).
            for file in step.files where !file.contains("${") && !FileManager.default.fileExists(atPath: manifest.resolvePath(file.replacingOccurrences(of: "$$", with: "$"))) {
                problem(&reader, step.location, service.name, "fixture file '\(file)' does not exist (looked in \(manifest.resolvePath(file)))",
                        hint: "paths are relative to the manifest's folder")
            }
            if let problem = ServiceKinds.kind(of: service.kind).check(step, of: service.kind, service: service.name) {
                reader.problems.append(problem)
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
        result += ServiceKinds.kind(of: service.kind).templates(of: service.kind)
        if let check = service.healthcheck {
            if case .command(let command) = check.probe { add(command) }
            if case .http(.url(let url), _) = check.probe { result.append(url) }
        }
        for step in service.seed { if case .command(let command, _, _) = step.source { add(command) } }
        return result
    }

    static func checkReferences(_ template: Template, in service: String?, byName: [String: ServiceSpec],
                                valueKeys: [String: Set<String>], reader: inout NodeReader,
                                links: [String: LinkSpec] = [:]) {
        for part in template.parts {
            guard case .reference(let target, let key) = part else { continue }
            if target == "run" {
                if !["dir", "name", "toxiproxy_url"].contains(key) {
                    problem(&reader, template.location, service, "'${run.\(key)}' is not a run value",
                            hint: "use ${run.dir}, ${run.name} or ${run.toxiproxy_url} (with links: or toxiproxy: true)")
                }
                continue
            }
            if let link = links[target] {
                let keys = link.keys(fronting: byName[link.target])
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
            if valueKeys[target]?.contains(key) != true {
                let keys = ServiceValueKeys.keys(of: spec)
                problem(&reader, template.location, service, "'${\(target).\(key)}': service '\(target)' has no value '\(key)'",
                        hint: suggestion(for: key, among: keys).map { "did you mean '\($0)'?" }
                            ?? "its values: \(keys.joined(separator: ", "))")
            }
        }
    }
}

/// The values each kind of service exposes to `${service.key}` references and exports.
package enum ServiceValueKeys {
    /// The keys `service` exposes, e.g. `host`, `log` and `ports.NAME` for a process.
    package static func keys(of service: ServiceSpec) -> [String] {
        ServiceKinds.kind(of: service.kind).valueKeys(of: service.kind)
    }
}
