import Foundation
import Testing
@testable import TestbedDrivers

/// Which engine a container service runs through, found without running a container.
@Suite struct ContainerEngineTests {
    /// A folder with fake CLIs: `docker` answers `version` with `dockerStatus`.
    static func fakeEngines(podman: Bool, dockerStatus: Int32?) throws -> String {
        let folder = try makeTemporaryDirectory()
        func write(_ name: String, _ script: String) throws {
            try script.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            chmod(folder + "/" + name, 0o755)
        }
        if podman { try write("podman", "#!/bin/sh\nexit 0\n") }
        if let dockerStatus { try write("docker", "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit \(dockerStatus)\n") }
        return folder
    }

    @Test func podmanIsPreferredAndADockerCLIWithoutItsDaemonIsAClearError() throws {
        let both = try Self.fakeEngines(podman: true, dockerStatus: 1)
        let dockerOnly = try Self.fakeEngines(podman: false, dockerStatus: 1)
        let answering = try Self.fakeEngines(podman: false, dockerStatus: 0)
        let none = try makeTemporaryDirectory()
        defer { for folder in [both, dockerOnly, answering, none] { try? FileManager.default.removeItem(atPath: folder) } }
        #expect(try ContainerEngine.find(named: nil, environment: ["PATH": both]).get() == ContainerEngine(path: both + "/podman", flavor: .podman))
        #expect(try ContainerEngine.find(named: nil, environment: ["PATH": answering]).get().flavor == .docker)
        guard case .failure(let down) = ContainerEngine.find(named: nil, environment: ["PATH": dockerOnly]) else {
            Issue.record("a docker CLI whose daemon does not answer was chosen")
            return
        }
        #expect(down.message.contains("daemon does not answer") && down.hint.contains("apt-get install podman"), "\(down)")
        guard case .failure(let missing) = ContainerEngine.find(named: nil, environment: ["PATH": none]) else {
            Issue.record("an engine was found in an empty folder")
            return
        }
        #expect(missing.message.contains("neither podman nor docker"), "\(missing)")
        // Named: TESTBED_CONTAINER_ENGINE, then the manifest's engine: wins.
        if case .success = ContainerEngine.find(named: nil, environment: ["PATH": both, "TESTBED_CONTAINER_ENGINE": "docker"]) {
            Issue.record("the named docker CLI without its daemon was taken")
        }
        #expect(try ContainerEngine.find(named: "podman", environment: ["PATH": both, "TESTBED_CONTAINER_ENGINE": "docker"]).get().flavor == .podman)
    }
}
