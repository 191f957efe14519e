import TestbedModel
/// The `process` kind: a program the manifest's `command:` (or a preset) describes
/// (``ProcessSpec``, ``ProcessPlan``, ``ProcessDriver``), the kind of a service without a
/// block.
///
/// The core reads its keys (they are shared with seed commands, health checks and presets)
/// and plans its launch (accounts, program lookup); the rest is here.
struct ProcessKind: ServiceKind {
    let name = "process"
    let serviceKeys = ["command", "working_dir", "environment", "ports", "depends_on", "healthcheck",
                       "stop_signal", "stop_grace_period", "oneshot", "start_timeout", "files", "user", "url"]
    let canComplete = true
    var refusedKeys: [String: String] {
        ["seed": "fixtures belong to \(ServiceKinds.seededNames(joinedBy: "and")) services; to prepare a process, add a one-shot job service"]
    }

    /// An `sql` check needs a database.
    func refusal(of probe: HealthCheckSpec.Probe) -> (message: String, hint: String?)? {
        guard case .sql = probe else { return nil }
        return ("an sql check needs a \(ServiceKinds.seededNames(joinedBy: "or")) service", "check a process with tcp, http, command or log")
    }

    /// Its command, working folder, URL and files.
    func templates(of spec: any ServiceKindSpec) -> [Template] {
        guard let process = spec as? ProcessSpec else { return [] }
        var result: [Template]
        switch process.command {
        case .argv(let parts): result = parts
        case .shell(let text): result = [text]
        }
        if let dir = process.workingDirectory { result.append(dir) }
        if let url = process.url { result.append(url) }
        for file in process.files { result += file.lines }
        return result
    }

    /// `host`, `log`, `dir`, `ports.NAME`, `files.KEY`, and `url` and `password` when it has them.
    func valueKeys(of spec: any ServiceKindSpec) -> [String] {
        guard let process = spec as? ProcessSpec else { return [] }
        return ["host", "log", "dir"] + process.ports.map { "ports.\($0.name)" } + process.files.map { "files.\($0.key)" }
            + (process.url == nil ? [] : ["url"]) + (process.generatesPassword ? ["password"] : [])
    }

    /// A link fronts one port of a long-running process: the one `to:` names, or its only one.
    func front(_ spec: inout any ServiceKindSpec, link: String, target: String, port: String?, http: Bool,
               isJob: Bool) -> [(message: String, hint: String?)] {
        guard let process = spec as? ProcessSpec else { return [] }
        if isJob {
            return [("link '\(link)': '\(target)' is a one-shot job; it has no port to front", "links front long-running services")]
        }
        if let port, !process.ports.contains(where: { $0.name == port }) {
            let names = process.ports.map(\.name)
            return [("link '\(link)': service '\(target)' declares no port '\(port)'",
                     names.isEmpty ? "declare it: 'ports: [\(port)]'" : "its ports: \(names.joined(separator: ", "))")]
        }
        if port == nil && process.ports.count != 1 {
            return [("link '\(link)': say which port of '\(target)' it fronts",
                     process.ports.isEmpty ? "declare a port on the service: 'ports: [http]', then 'to: \(target).ports.http'"
                         : "e.g. 'to: \(target).ports.\(process.ports[0].name)'")]
        }
        return []
    }

    /// The link's `host`, `port`, `address`, `ports.NAME` of the port it fronts, and `url`
    /// for an HTTP link or a process with one.
    func linkKeys(of spec: any ServiceKindSpec, port: String?, http: Bool) -> [String] {
        guard let process = spec as? ProcessSpec else { return [] }
        let fronted = (port ?? (process.ports.count == 1 ? process.ports[0].name : nil)).map { ["ports.\($0)"] } ?? []
        if http { return ["url", "host", "port", "address"] + fronted }
        return ["host", "port", "address"] + fronted + (process.url != nil ? ["url"] : [])
    }

    func linkedPortKey(of spec: any ServiceKindSpec, portName: String?) -> String? {
        portName.map { "ports.\($0)" }
    }

    func ports(of spec: any ServiceKindSpec, location: SourceLocation) -> [PortSpec] {
        (spec as? ProcessSpec)?.ports ?? []
    }

    /// `host`, `log`, `dir`, each port and file, and a generated `password` when the
    /// process has one (a preset of a server that asks for one).
    func values(of spec: any ServiceKindSpec, service: PlanningService) throws(ManifestProblem) -> [String: String] {
        guard let process = spec as? ProcessSpec else { return [:] }
        var own = ["host": "127.0.0.1", "log": service.log, "dir": service.folder]
        for (name, port) in service.ports { own["ports.\(name)"] = String(port) }
        for file in process.files { own["files.\(file.key)"] = service.folder + "/" + file.name }
        if process.generatesPassword { own["password"] = RunPassword.make() }
        return own
    }

    func makeDriver(_ planned: any PlannedKind, for service: DriverRequest) throws -> any ServiceDriver {
        guard let launch = planned as? ProcessPlan else { preconditionFailure("a process service planned as \(planned)") }
        return ProcessServiceDriver(launch: launch, onLine: service.onLine)
    }
}

extension ProcessPlan: PlannedKind {
    /// 0: a process has no seed.
    package var seedStepCount: Int { 0 }
}
