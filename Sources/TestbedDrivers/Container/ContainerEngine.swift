import Foundation
import Synchronization
import TestbedSystem

/// The container engine's CLI a service runs through: podman (rootless or as root) or the
/// Docker CLI, each spoken in the few words both share.
///
/// Found from the manifest's `engine:`, else `TESTBED_CONTAINER_ENGINE`, else on `PATH`
/// (podman first; a `docker` CLI only when its daemon answers). Finding one spawns nothing
/// for podman; the Docker check (`docker version`) runs once per process.
package struct ContainerEngine: Sendable, Hashable {
    /// Which CLI dialect.
    package enum Flavor: Sendable, Hashable { case podman, docker }

    /// The CLI's absolute path.
    package var path: String
    /// podman or docker (by the program's name).
    package var flavor: Flavor

    /// Why no engine can be used, and what to do.
    package struct Unavailable: Error, Sendable {
        package var message: String
        package var hint: String
    }

    /// The engine `name` (a name on PATH or a path) or, when nil, the one found on `PATH`.
    package static func find(named name: String?, environment: [String: String]) -> Result<ContainerEngine, Unavailable> {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let chosen = name ?? environment["TESTBED_CONTAINER_ENGINE"].flatMap { $0.isEmpty ? nil : $0 }
        if let chosen {
            guard let found = locate(chosen, path: path) else {
                return .failure(.init(message: "the container engine '\(chosen)' is not installed (looked on PATH=\(path))",
                                      hint: "install it (apt-get install podman), or name another with 'engine:' or TESTBED_CONTAINER_ENGINE"))
            }
            let engine = ContainerEngine(path: found, flavor: flavor(of: found))
            if engine.flavor == .docker, !daemonAnswers(engine, environment: environment) {
                return .failure(dockerDown(found))
            }
            return .success(engine)
        }
        if let podman = locate("podman", path: path) { return .success(.init(path: podman, flavor: .podman)) }
        if let docker = locate("docker", path: path) {
            let engine = ContainerEngine(path: docker, flavor: .docker)
            return daemonAnswers(engine, environment: environment) ? .success(engine) : .failure(dockerDown(docker))
        }
        return .failure(.init(message: "no container engine: neither podman nor docker is on PATH (\(path))",
                              hint: "install podman (apt-get install podman), or name one with TESTBED_CONTAINER_ENGINE"))
    }

    private static func dockerDown(_ path: String) -> Unavailable {
        .init(message: "the Docker CLI \(path) is installed but its daemon does not answer ('docker version' fails)",
              hint: "start the Docker daemon, or install podman (apt-get install podman) and set TESTBED_CONTAINER_ENGINE=podman")
    }

    static func flavor(of path: String) -> Flavor {
        (path as NSString).lastPathComponent.contains("docker") ? .docker : .podman
    }

    static func locate(_ name: String, path: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static let answering = Mutex<[String: Bool]>([:])

    /// True when the Docker daemon answers (asked once per process and CLI).
    static func daemonAnswers(_ engine: ContainerEngine, environment: [String: String]) -> Bool {
        if let known = answering.withLock({ $0[engine.path] }) { return known }
        let answers = run(engine, ["version", "--format", "{{.Server.Version}}"], environment: environment).status == 0
        answering.withLock { $0[engine.path] = answers }
        return answers
    }

    /// True when the image is in this account's storage of the engine.
    package func hasImage(_ image: String, environment: [String: String]) -> Bool {
        let words = flavor == .podman ? ["image", "exists", image] : ["image", "inspect", "--format", "{{.Id}}", image]
        return Self.run(self, words, environment: environment).status == 0
    }

    /// The command that makes `image` available, for hints.
    package func pullHint(_ image: String) -> String {
        let name = (path as NSString).lastPathComponent
        return "\(name) pull \(image) (once; or \(name) load -i IMAGE.tar for an image without a registry); runs never pull unless --pull missing"
    }

    /// The argv that stops (`grace` seconds after the stop signal, then kill) and removes a
    /// container and its anonymous volumes; no error when it is gone already.
    package func removal(of name: String, grace: Int) -> [[String]] {
        switch flavor {
        case .podman: [[path, "rm", "--force", "--volumes", "--ignore", "--time", String(grace), name]]
        case .docker: [[path, "stop", "--time", String(grace), name], [path, "rm", "--force", "--volumes", name]]
        }
    }

    /// Runs the CLI with `arguments`, blocking; its exit status and output (stdout and
    /// stderr, interleaved, at most 64 KiB).
    package static func run(_ engine: ContainerEngine, _ arguments: [String], environment: [String: String]) -> (status: Int32, output: String) {
        ShortCommand.run([engine.path] + arguments, environment: environment)
    }

    /// True when containers of this account can publish ports: always as root or with
    /// Docker; rootless podman needs `/dev/net/tun` readable and writable (slirp4netns).
    /// `TESTBED_CONTAINER_NETWORK=host` says no (the fallback, forced).
    package func publishesPorts(environment: [String: String]) -> Bool {
        if environment["TESTBED_CONTAINER_NETWORK"] == "host" { return false }
        if flavor == .docker || geteuid() == 0 { return true }
        return access("/dev/net/tun", R_OK | W_OK) == 0
    }
}
