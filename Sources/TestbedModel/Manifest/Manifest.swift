import Foundation

/// A validated environment manifest: the services of a stack and what it exports.
///
/// Load one with `ManifestLoader`; every value keeps its ``SourceLocation`` so later
/// errors can point at the line that caused them.
public struct Manifest: Sendable {
    /// The environment's name (the file's base name when the manifest has none).
    package var name: String
    /// The manifest's path as given.
    package var path: String
    /// The folder relative paths in the manifest are resolved against.
    package var directory: String
    /// Services in the order the file lists them.
    package var services: [ServiceSpec]
    /// Variables handed to the test command, in file order.
    package var exports: [Export]
    /// Variables of the `.env` file beside the manifest, for `${VAR}` interpolation only
    /// (see ``interpolationEnvironment(_:)``); empty when there is no such file.
    package var dotEnv: [String: String] = [:]
    /// TCP proxies in front of services' ports (`links:`), in file order.
    package var links: [LinkSpec] = []
    /// `toxiproxy: true`: serve the Toxiproxy endpoint even without `links:`, for clients
    /// that create their own proxies (with links it is always served).
    package var toxiproxy = false
    /// Compatibility checks run once the stack is healthy (`verify:`), in file order.
    package var verify: [VerifySpec] = []

    /// Makes a manifest from parts; it is not validated (``ManifestLoader`` does that).
    public init(name: String, path: String, directory: String, services: [ServiceSpec], exports: [Export]) {
        self.name = name
        self.path = path
        self.directory = directory
        self.services = services
        self.exports = exports
    }

    /// The service called `name`, or nil when the manifest has none.
    package func service(named name: String) -> ServiceSpec? {
        services.first { $0.name == name }
    }

    /// What `${VAR}` placeholders read: the caller's environment, over the `.env` file beside
    /// the manifest (the caller's value wins, as in Compose).
    package func interpolationEnvironment(_ caller: [String: String]) -> [String: String] {
        dotEnv.isEmpty ? caller : dotEnv.merging(caller) { _, callers in callers }
    }

    /// Resolves a path written in the manifest against its folder.
    package func resolvePath(_ path: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }
}

/// One exported variable: `NAME: template`.
public struct Export: Sendable, Hashable {
    /// The environment variable's name.
    package var name: String
    /// Its value, resolved when the run is planned.
    package var value: Template

    /// Makes the value from its fields.
    package init(name: String, value: Template) {
        self.name = name
        self.value = value
    }
}

/// A command as written: a list runs directly, a string runs through `/bin/sh -c`.
package enum CommandSpec: Sendable, Hashable {
    /// A list: the first word is the program (looked up on `PATH`), the rest its arguments.
    case argv([Template])
    /// A string, run as `/bin/sh -c STRING`.
    case shell(Template)
}

/// When a dependent may start.
package enum DependencyCondition: String, Sendable, Hashable, CaseIterable {
    /// The dependency's process has been spawned.
    case started
    /// The dependency passed its health check (or, without one, has started).
    case healthy
    /// The dependency is a one-shot job that exited with status 0.
    case completedSuccessfully = "completed_successfully"
}

/// One entry of a service's `depends_on`: which service it waits for, and for what.
package struct Dependency: Sendable, Hashable {
    /// The name of the service waited for.
    package var service: String
    /// nil for the list form: wait until the dependency is ready (healthy, or completed for a job).
    package var condition: DependencyCondition?
    /// Where the entry is in the manifest, for error messages.
    package var location: SourceLocation

    /// Makes the value from its fields.
    package init(service: String, condition: DependencyCondition? = nil, location: SourceLocation) {
        self.service = service
        self.condition = condition
        self.location = location
    }
}
