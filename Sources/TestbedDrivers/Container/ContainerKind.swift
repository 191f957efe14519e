import Foundation
import TestbedSystem
import TestbedModel
import TestbedSeed

/// The `container` kind: an image run through the container engine's CLI (podman or
/// Docker) as one supervised process, its block the Compose key `image:` (``ContainerSpec``,
/// ``ContainerPlan``, ``ContainerServiceDriver``).
///
/// Ports are published on 127.0.0.1 only, on ports Testbed's allocator picked; the
/// container carries the run's labels and is removed at teardown, and by the watchdog or
/// `gc` when Testbed dies (docs/manifest.md, "Container services"; docs/security.md).
struct ContainerKind: ServiceKind {
    let name = "container"
    let blockKey: String? = "image"
    let serviceKeys = ["command", "entrypoint", "user", "working_dir", "ports", "volumes", "tmpfs", "stop_signal", "stop_grace_period",
                       "url", "engine", "network_mode", "init", "files", "environment", "depends_on", "healthcheck", "seed", "start_timeout"]
    var refusedKeys: [String: String] {
        ["oneshot": "a container service runs until teardown; run a one-shot job as a process",
         "privileged": "Testbed never runs a privileged container",
         "cap_add": "Testbed adds no capabilities to a container"]
    }

    /// An `sql` check needs a database kind.
    /// Without a `healthcheck:`, a container with ports is healthy once its first port
    /// accepts a connection (Testcontainers' default wait): a container whose engine fails
    /// at once (an image it does not have, a bad option) fails the start with its log.
    func defaultHealthCheck(of spec: any ServiceKindSpec, location: SourceLocation) -> HealthCheckSpec? {
        guard let first = (spec as? ContainerSpec)?.ports.first else { return nil }
        return HealthCheckSpec(probe: .tcp(port: .named(first.name)), location: first.location)
    }

    func refusal(of probe: HealthCheckSpec.Probe) -> (message: String, hint: String?)? {
        guard case .sql = probe else { return nil }
        return ("an sql check needs a postgres or sqlite service",
                "check a container with tcp, http, log, or test: [CMD, …] (run inside it)")
    }

    /// Only `command:` steps, run inside the container.
    func check(_ step: SeedStep, of spec: any ServiceKindSpec, service: String) -> ManifestProblem? {
        if case .command = step.source { return nil }
        return ManifestProblem(step.location, service: service,
                               "an image service takes only 'command' seed steps (run inside the container); SQL, CSV and JSON fixtures need a postgres or sqlite service",
                               hint: "run the image's own client instead, e.g. {command: [redis-cli, SET, k, v]}, with files mounted under 'volumes:'")
    }

    func templates(of spec: any ServiceKindSpec) -> [Template] { (spec as? ContainerSpec)?.templates ?? [] }

    func declaredURL(of spec: any ServiceKindSpec) -> Template? { (spec as? ContainerSpec)?.url }

    /// `host`, `bind`, `log`, `dir`, `ports.NAME`, and `url` when declared.
    func valueKeys(of spec: any ServiceKindSpec) -> [String] {
        guard let container = spec as? ContainerSpec else { return [] }
        return ["host", "bind", "log", "dir"] + container.ports.map { "ports.\($0.name)" } + container.files.map { "files.\($0.key)" }
            + (container.url == nil ? [] : ["url"])
    }

    /// A link fronts one published port: the one `to:` names, or the only one.
    func front(_ spec: inout any ServiceKindSpec, link: String, target: String, port: String?, http: Bool,
               isJob: Bool) -> [(message: String, hint: String?)] {
        guard let container = spec as? ContainerSpec else { return [] }
        let names = container.ports.map(\.name)
        if let port, !names.contains(port) {
            return [("link '\(link)': service '\(target)' declares no port '\(port)'",
                     names.isEmpty ? "declare it: 'ports: {\(port): 80}' (the port inside the container)" : "its ports: \(names.joined(separator: ", "))")]
        }
        if port == nil && names.count != 1 {
            return [("link '\(link)': say which port of '\(target)' it fronts",
                     names.isEmpty ? "declare a port: 'ports: {http: 80}', then 'to: \(target).ports.http'" : "e.g. 'to: \(target).ports.\(names[0])'")]
        }
        return []
    }

    func linkKeys(of spec: any ServiceKindSpec, port: String?, http: Bool) -> [String] {
        guard let container = spec as? ContainerSpec else { return [] }
        let fronted = (port ?? (container.ports.count == 1 ? container.ports[0].name : nil)).map { ["ports.\($0)"] } ?? []
        return (http ? ["url", "host", "port", "address"] : ["host", "port", "address"] + (container.url != nil ? ["url"] : [])) + fronted
    }

    func linkedPortKey(of spec: any ServiceKindSpec, portName: String?) -> String? {
        guard let container = spec as? ContainerSpec else { return nil }
        return (portName ?? (container.ports.count == 1 ? container.ports[0].name : nil)).map { "ports.\($0)" }
    }

    /// Every port from the allocator: a container never asks for a fixed host port.
    func ports(of spec: any ServiceKindSpec, location: SourceLocation) -> [PortSpec] {
        (spec as? ContainerSpec)?.ports.map { PortSpec(name: $0.name, location: $0.location) } ?? []
    }

    func values(of spec: any ServiceKindSpec, service: PlanningService) throws(ManifestProblem) -> [String: String] {
        var own = ["host": "127.0.0.1", "log": service.log, "dir": service.folder]
        for (name, port) in service.ports { own["ports.\(name)"] = String(port) }
        for file in (spec as? ContainerSpec)?.files ?? [] { own["files.\(file.key)"] = service.folder + "/" + file.name }
        // `bind`: where the program inside should listen. Its own network is reached only
        // through the ports published on 127.0.0.1; this machine's network is loopback.
        let publishes = (spec as? ContainerSpec).map { !$0.hostNetwork } ?? false
            && ((try? ContainerEngine.find(named: (spec as? ContainerSpec)?.engine, environment: service.callerEnvironment).get())?
                .publishesPorts(environment: service.callerEnvironment) ?? true)
        own["bind"] = publishes ? "0.0.0.0" : "127.0.0.1"
        return own
    }

    /// The engine is installed (and Docker's daemon answers), and the image is in this
    /// account's storage, when its name has no `${…}`.
    func preflight(_ spec: any ServiceKindSpec, service: String, location: SourceLocation,
                   environment: [String: String]) -> [ManifestProblem] {
        guard let container = spec as? ContainerSpec else { return [] }
        switch ContainerEngine.find(named: container.engine, environment: environment) {
        case .failure(let why):
            return [ManifestProblem(container.imageLocation, service: service, why.message, hint: why.hint)]
        case .success(let engine):
            var problems = [ContainerPlanner.networkProblem(container, service: service, engine: engine, environment: environment)]
            let image = container.image.source
            if !image.contains("${"), environment["TESTBED_PULL"] != "missing", !engine.hasImage(image, environment: environment) {
                problems.append(ManifestProblem(container.imageLocation, service: service,
                                                "the image '\(image)' is not in \((engine.path as NSString).lastPathComponent)'s storage for this account (uid \(geteuid()))",
                                                hint: engine.pullHint(image)))
            }
            return problems.compactMap { $0 }
        }
    }

    func plan(_ spec: any ServiceKindSpec, service: PlanningService, values: [String: String],
              seed: [PlannedSeedStep]) throws(ManifestProblem) -> (kind: any PlannedKind, teardown: [TeardownStep])? {
        guard let container = spec as? ContainerSpec else { return nil }
        let plan = try ContainerPlanner(spec: container, service: service).plan(seed: seed)
        return (plan, plan.teardown)
    }

    /// Containers of this account (label `testbed.owner`) whose run (label `testbed.dir`) is
    /// not live, removed with their anonymous volumes. As root, podman lists root's own
    /// storage only; a Docker daemon is shared, hence the owner label.
    func sweep(environment: [String: String], isLive: (String) -> Bool) -> [String] {
        guard case .success(let engine) = ContainerEngine.find(named: nil, environment: environment) else { return [] }
        let label = engine.flavor == .podman ? "{{index .Labels \"testbed.dir\"}}" : "{{.Label \"testbed.dir\"}}"
        let listed = ContainerEngine.run(engine, ["ps", "--all", "--filter", "label=testbed.owner=\(geteuid())", "--format", "{{.Names}}\t" + label],
                                         environment: environment)
        guard listed.status == 0 else { return [] }
        var removed: [String] = []
        for line in listed.output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 2, !fields[0].isEmpty, fields[1].hasPrefix("/"), !isLive(fields[1]) else { continue }
            let argv = engine.removal(of: fields[0], grace: 0).last ?? []
            if !argv.isEmpty, ShortCommand.run(argv, environment: environment).status == 0 {
                removed.append(argv.joined(separator: " "))
            }
        }
        return removed
    }

    func readFiles(_ files: [ServiceFileSpec], into spec: inout any ServiceKindSpec) {
        guard var container = spec as? ContainerSpec else { return }
        container.files = files
        spec = container
    }

    func makeDriver(_ planned: any PlannedKind, for service: DriverRequest) throws -> any ServiceDriver {
        guard let plan = planned as? ContainerPlan else { preconditionFailure("a container service planned as \(planned)") }
        return ContainerServiceDriver(plan: plan, service: service.name, onLine: service.onLine)
    }
}
