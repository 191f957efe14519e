import TestbedModel
import TestbedDrivers
extension LinkSpec {
    /// The values this link exposes to `${NAME.key}`: an HTTP link's `url`, `host`, `port`,
    /// `address` (and `ports.NAME` of a process port); a TCP link's are its target's.
    func keys(fronting target: ServiceSpec?) -> [String] {
        guard let target else { return http != nil ? ["url", "host", "port", "address"] : [] }
        return ServiceKinds.kind(of: target.kind).linkKeys(of: target.kind, port: port, http: http != nil)
    }
}
