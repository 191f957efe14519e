import TestbedModel

/// An `image:` service's settings as the manifest writes them, Compose's keys where Compose
/// has one (docs/manifest.md, "Container services"): every value a template, resolved when
/// the run is planned.
package struct ContainerSpec: ServiceKindSpec {
    /// A port the container serves: named, its host side always from Testbed's allocator.
    package struct Port: Sendable, Hashable {
        /// `${SERVICE.ports.NAME}`.
        package var name: String
        /// The port inside the container (`http: 80`); nil: the container listens on the
        /// port Testbed picked (it reads `${SERVICE.ports.NAME}`), the same number inside.
        package var container: Int?
        /// Where it is declared.
        package var location: SourceLocation
    }

    /// A folder of this machine mounted into the container.
    package struct Volume: Sendable, Hashable {
        /// The folder (or file) here, against the manifest's folder.
        package var source: Template
        /// Where it appears inside the container (absolute).
        package var target: String
        /// False unless the entry says `rw`: mounts are read-only.
        package var writable: Bool
        /// Where it is declared.
        package var location: SourceLocation
    }

    /// The image (`localhost/app:1`, `docker.io/library/redis:7`).
    package var image: Template
    /// Where `image:` is written.
    package var imageLocation: SourceLocation
    /// The container's command (the image's default when nil).
    package var command: CommandSpec?
    /// Replaces the image's entrypoint.
    package var entrypoint: [Template]?
    /// The container's user (`1000`, `1000:1000`, `redis`); nil: the image's.
    package var user: Template?
    /// The working folder inside the container; nil: the image's.
    package var workingDirectory: Template?
    /// Named ports.
    package var ports: [Port] = []
    /// Mounted folders, read-only unless marked `rw`.
    package var volumes: [Volume] = []
    /// `files:` written to the service's folder (`${NAME.files.KEY}`), each with a `target`
    /// mounted read-only at that path inside the container.
    package var files: [ServiceFileSpec] = []
    /// Folders inside the container that are an empty tmpfs.
    package var tmpfs: [String] = []
    /// The stop signal sent at teardown.
    package var stopSignal: Int32 = 15
    /// How long teardown waits after the stop signal before the kill.
    package var stopGracePeriod: Duration = .seconds(10)
    /// `url:` (`${SERVICE.url}`).
    package var url: Template?
    /// `engine:` the engine's name or path (podman, docker); nil: `TESTBED_CONTAINER_ENGINE`, else found on PATH.
    package var engine: String?
    /// `init: true`: the engine's init (catatonit, tini) runs as PID 1 and passes the stop
    /// signal on, for programs that ignore signals as PID 1.
    package var runsInit = false
    /// `network_mode: host`: the container shares this machine's network (no published ports).
    package var hostNetwork = false

    package var kindName: String { "container" }

    /// A spec of `image`; the reader fills in the rest.
    package init(image: Template, imageLocation: SourceLocation) {
        self.image = image
        self.imageLocation = imageLocation
    }

    /// Every template, for reference checks.
    var templates: [Template] {
        var result = [image]
        switch command {
        case .argv(let parts): result += parts
        case .shell(let text): result.append(text)
        case nil: break
        }
        result += entrypoint ?? []
        result += [user, workingDirectory, url].compactMap { $0 }
        result += volumes.map(\.source)
        for file in files { result += file.lines }
        return result
    }
}
