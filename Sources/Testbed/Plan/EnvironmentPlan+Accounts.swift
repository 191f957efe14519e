import Foundation

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

    /// Throws when the program a preset needs is not installed, naming its Debian package.
    func checkInstalled(_ process: ProcessSpec, of service: ServiceSpec, environment: [String: String]) throws(ManifestProblem) {
        guard let required = process.requires else { return }
        let path = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin"
        let found = path.split(separator: ":").contains { access("\($0)/\(required.program)", X_OK) == 0 }
        guard !found else { return }
        throw ManifestProblem(service.location, service: service.name,
                              "\(required.program) is not installed (the \(process.preset ?? "service") preset runs it)",
                              hint: "install it: apt-get install -y \(required.package)")
    }
}
