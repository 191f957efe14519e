import Foundation
import Testing
@testable import TestbedSystem
@testable import TestbedDrivers

/// The container tests' engine and image: podman, and `localhost/tb-busybox:1` built from
/// Debian's busybox-static by scripts/container-test-image.sh in the storage of whichever
/// account runs the tests (each account has its own), once.
enum ContainerTestImage {
    static let name = "localhost/tb-busybox:1"

    /// podman's path, when installed.
    static let podman: String? = ContainerEngine.locate("podman", path: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")

    static var podmanAvailable: Bool { podman != nil }

    /// Builds the image unless this account has it.
    static func ensure() throws {
        let result = ShortCommand.run(["/bin/sh", CLI.packageRoot + "/scripts/container-test-image.sh"],
                                         environment: ProcessInfo.processInfo.environment)
        try #require(result.status == 0, "cannot build \(name): \(result.output)")
    }

    /// True when this account's containers can publish ports (root, or rootless with /dev/net/tun usable).
    static var publishesPorts: Bool {
        ContainerEngine(path: podman ?? "podman", flavor: .podman).publishesPorts(environment: [:])
    }

    /// The names of this account's containers (running or not) whose `testbed.service` label is `service`.
    static func containers(ofService service: String) -> [String] {
        guard let podman else { return [] }
        let result = ShortCommand.run([podman, "ps", "--all", "--filter", "label=testbed.service=\(service)", "--format", "{{.Names}}"],
                                         environment: ProcessInfo.processInfo.environment)
        return result.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// A service name no other test uses (containers are found by it).
    static func uniqueService(_ prefix: String = "c") -> String {
        prefix + UUID().uuidString.prefix(8).lowercased()
    }
}
