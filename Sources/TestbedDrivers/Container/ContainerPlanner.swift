import Foundation
import TestbedSystem
import TestbedModel
import TestbedSeed

/// Turns an `image:` service's settings into its ``ContainerPlan``: the engine, the
/// network (ports published on 127.0.0.1, or this machine's network), and the attached
/// `run` command line. Spawns nothing.
struct ContainerPlanner {
    let spec: ContainerSpec
    let service: PlanningService

    func plan(seed: [PlannedSeedStep]) throws(ManifestProblem) -> ContainerPlan {
        let environment = service.callerEnvironment
        let engine: ContainerEngine
        switch ContainerEngine.find(named: spec.engine, environment: environment) {
        case .success(let found): engine = found
        case .failure(let why): throw ManifestProblem(spec.imageLocation, service: service.name, why.message, hint: why.hint)
        }
        let run = ((service.folder as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let runName = (run as NSString).lastPathComponent
        let name = Self.containerName(run: runName, service: service.name)
        let grace = max(0, Int((spec.stopGracePeriod.milliseconds / 1000).rounded(.up)))
        var arguments = ["run", "--rm", "--pull", environment["TESTBED_PULL"] == "missing" ? "missing" : "never",
                         "--name", name, "--label", "testbed.run=\(runName)", "--label", "testbed.owner=\(geteuid())",
                         "--label", "testbed.service=\(service.name)", "--label", "testbed.dir=\(run)",
                         "--stop-signal", String(spec.stopSignal), "--stop-timeout", String(grace),
                         "--security-opt", "no-new-privileges"]
        arguments += try network(engine: engine, environment: environment)
        let environmentFile = service.folder + "/container.env"
        for (key, value) in service.ownEnvironment where value.contains("\n") || key.contains("=") {
            throw ManifestProblem(service.location, service: service.name,
                                  "the environment entry '\(key)' of a container \(key.contains("=") ? "has '=' in its name" : "holds a line break")",
                                  hint: "a container's environment is handed over as an env file, one NAME=value a line; mount a file with 'volumes:' for longer text")
        }
        arguments += ["--env-file", environmentFile]
        if let user = spec.user { arguments += ["--user", try service.resolve(user)] }
        if let dir = spec.workingDirectory { arguments += ["--workdir", try service.resolve(dir)] }
        for volume in spec.volumes {
            let source = service.resolvePath(try service.resolve(volume.source))
            guard FileManager.default.fileExists(atPath: source) else {
                throw ManifestProblem(volume.location, service: service.name, "the volume's source \(source) does not exist",
                                      hint: "create it, or fix the path (relative paths are against the manifest's folder)")
            }
            arguments += ["--volume", "\(source):\(volume.target):\(volume.writable ? "rw" : "ro")"]
        }
        var files: [(name: String, contents: String, mode: UInt16)] = []
        for file in spec.files {
            var lines: [String] = []
            for line in file.lines { lines.append(try service.resolve(line)) }
            files.append((file.name, lines.joined(separator: "\n"), file.mode))
            if let target = file.target { arguments += ["--volume", "\(service.folder)/\(file.name):\(target):ro"] }
        }
        for path in spec.tmpfs { arguments += ["--tmpfs", path] }
        if spec.runsInit { arguments.append("--init") }
        var command: [String] = []
        if let entrypoint = spec.entrypoint {
            var parts: [String] = []
            for part in entrypoint { parts.append(try service.resolve(part)) }
            arguments += ["--entrypoint", parts[0]]
            command = Array(parts.dropFirst())
        }
        command += try resolve(spec.command)
        arguments.append(try service.resolve(spec.image))
        arguments += command
        var seedCommands: [ContainerPlan.SeedCommand] = []
        for step in seed {
            guard let argv = step.commandArgv else { continue }
            seedCommands.append(.init(argv: [engine.path, "exec", name] + argv, location: step.step.location))
        }
        return ContainerPlan(engine: engine, name: name, runArguments: arguments, engineEnvironment: environment,
                             containerEnvironment: service.ownEnvironment, environmentFile: environmentFile, files: files,
                             serviceDirectory: service.folder, logFile: service.log, graceSeconds: grace,
                             teardown: TeardownStep.standard(signal: SIGTERM, grace: .seconds(2)), seed: seedCommands)
    }

    private func resolve(_ command: CommandSpec?) throws(ManifestProblem) -> [String] {
        switch command {
        case .argv(let parts):
            var result: [String] = []
            for part in parts { result.append(try service.resolve(part)) }
            return result
        case .shell(let text): return ["/bin/sh", "-c", try service.resolve(text)]
        case nil: return []
        }
    }

    /// `--publish 127.0.0.1:HOST:CONTAINER` for each port, or `--network host` when asked
    /// (`network_mode: host`) or when this account cannot publish (rootless podman without
    /// /dev/net/tun): then a port with a fixed container port is refused.
    private func network(engine: ContainerEngine, environment: [String: String]) throws(ManifestProblem) -> [String] {
        let publishes = !spec.hostNetwork && engine.publishesPorts(environment: environment)
        if publishes {
            return spec.ports.flatMap { port in
                let host = service.ports[port.name] ?? 0
                return ["--publish", "127.0.0.1:\(host):\(port.container ?? host)"]
            }
        }
        if let problem = Self.networkProblem(spec, service: service.name, engine: engine, environment: environment) { throw problem }
        return ["--network", "host"]
    }

    /// Why the service cannot run on this machine's network (a port with a container port
    /// when nothing can be published); nil when it can, or when it publishes.
    static func networkProblem(_ spec: ContainerSpec, service: String, engine: ContainerEngine,
                               environment: [String: String]) -> ManifestProblem? {
        guard spec.hostNetwork || !engine.publishesPorts(environment: environment) else { return nil }
        if let fixed = spec.ports.first(where: { $0.container != nil }) {
            let fix = "or let the container listen on the port Testbed picks: 'ports: [\(fixed.name)]' and ${\(service).ports.\(fixed.name)} in its command or environment"
            if spec.hostNetwork {
                return ManifestProblem(fixed.location, service: service,
                                       "with network_mode: host the container uses this machine's ports, so port '\(fixed.name)' cannot name a port inside it (\(fixed.container ?? 0))",
                                       hint: "leave out network_mode: host, " + fix)
            }
            let why = environment["TESTBED_CONTAINER_NETWORK"] == "host"
                ? "TESTBED_CONTAINER_NETWORK=host runs containers on this machine's network, with nothing published (the fallback for rootless podman without a usable /dev/net/tun)"
                : "this account cannot publish ports: rootless podman needs /dev/net/tun readable and writable (slirp4netns)"
            return ManifestProblem(fixed.location, service: service,
                                   "port '\(fixed.name)' maps container port \(fixed.container ?? 0), but \(why)",
                                   hint: "as root: chmod 0666 /dev/net/tun (most distributions ship it so), " + fix)
        }
        return nil
    }

    /// `tb-RUN-SERVICE` in the characters engines accept.
    static func containerName(run: String, service: String) -> String {
        let text = "tb-\(run)-\(service)"
        return String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) ? $0 : "_" })
    }
}
