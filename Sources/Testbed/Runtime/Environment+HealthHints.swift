import TestbedSystem
import TestbedHealth
extension Environment {
    /// A hint that fits why a health check never passed, when the last result says more than
    /// "it is slow": a steady 4xx (the service answers, the path is wrong), or nothing on the
    /// checked port while the service listens on another one (found in /proc). nil otherwise.
    static func healthHint(_ error: HealthCheckError, check: PlannedHealthCheck, service: PlannedService,
                           process: ServiceProcess?) -> String? {
        guard error.code == .deadlineExceeded, let last = error.lastFailure else { return nil }
        let checked: (port: Int, path: String?)
        switch check.probe {
        case .tcp(let port): checked = (port, nil)
        case .http(let url, _):
            guard let probe = try? HTTPProbe(url: url) else { return nil }
            checked = (probe.port, probe.path)
        default: return nil
        }
        if let status = last.httpStatus, (400..<500).contains(status), let path = checked.path {
            return "the service answers on port \(checked.port), but GET \(path) gets \(status): "
                + "check the path in the healthcheck at \(check.location) (a route the service has), "
                + "or raise healthcheck.deadline if the route appears only later"
        }
        guard last.code == .unreachable, let process, process.exitStatus == nil else { return nil }
        let listening = ProcessTable.listeningPorts(ofGroup: process.pid)
        guard !listening.isEmpty, !listening.contains(checked.port) else { return nil }
        let opened = listening.map(String.init).joined(separator: ", ")
        let reference = service.ports.first { $0.value.port == checked.port }
            .map { "${\(service.name).ports.\($0.key)}" } ?? "\(checked.port)"
        return "nothing listens on port \(checked.port), but the service listens on \(opened): "
            + "make it listen on \(reference) (\(checked.port)), e.g. in its command or environment at \(service.location)"
    }
}
