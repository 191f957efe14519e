import Foundation
import TestbedSystem
import TestbedModel

extension EnvironmentPlan.Context {
    /// The account a process service runs as: its `user:` when Testbed is root (nil when that
    /// is root itself), nil when it is the caller. A non-root caller cannot become another
    /// user: that is a problem at the `user:` line (unless `only_as_root`).
    func account(of service: ServiceSpec, _ process: ProcessSpec,
                 isRoot: Bool = UnixUser.isRoot) throws(ManifestProblem) -> UnixUser? {
        guard let spec = process.user else { return nil }
        guard isRoot else {
            let current = UnixUser.current
            if spec.onlyAsRoot || spec.name == current.name || spec.name == String(current.uid) { return nil }
            throw ManifestProblem(spec.location, service: service.name,
                                  "the service runs as user '\(spec.name)', but testbed runs as '\(current.name)', "
                                      + "and only root can start a process as another user",
                                  hint: "run testbed as root, remove 'user:', or write user: {name: \(spec.name), only_as_root: true}")
        }
        guard let user = UnixUser.named(spec.name) else {
            throw ManifestProblem(spec.location, service: service.name, "there is no user '\(spec.name)' on this machine",
                                  hint: "create it (useradd --system \(spec.name)) or name an existing account")
        }
        return user.uid == 0 ? nil : user
    }

    /// The service's argv with its program found before anything starts (see
    /// ``ProgramCheck``); run as another account (`setpriv`), the program is given by its
    /// full path, since `setpriv` itself searches only the service's PATH.
    func locateProgram(_ argv: [String], _ process: ProcessSpec, of service: ServiceSpec,
                       environment: [String: String], user: UnixUser?) throws(ManifestProblem) -> [String] {
        guard let template = ProgramCheck.program(of: process.command), let program = argv.first,
              let found = try ProgramCheck.locate(program, of: service, path: environment["PATH"], at: template.location) else {
            return argv
        }
        return user == nil ? argv : [found] + argv.dropFirst()
    }
}
