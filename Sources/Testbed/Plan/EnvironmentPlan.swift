import TestbedSystem
import TestbedModel
import TestbedLinks
import TestbedDrivers
/// Everything a run will do, computed from a manifest before any driver exists: the
/// services in dependency order, each with its argv, environment, ports, values, health
/// check and teardown resolved, and the variables exported to the test command.
///
/// ```swift
/// let plan = try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: "/tmp/run"),
///                                environment: ProcessInfo.processInfo.environment, cacheRoot: "/tmp/cache")
/// defer { plan.releasePorts() }
/// plan.services.map(\.name)            // ["db", "api"]: dependencies first
/// plan.values["db"]?["url"]            // known before anything runs
/// ```
/// Planning reserves the loopback ports (they are part of the values) and nothing else: it
/// creates no file, spawns nothing and starts no server. ``Environment/start()`` plans, then
/// makes one driver per service from its ``PlannedService``. Every problem — an unset
/// variable, an unknown `${service.key}`, a port that cannot be reserved, a health check on
/// a port the service does not have — is collected and thrown together as a
/// ``ManifestError`` naming the manifest line; the ports reserved so far are released first.
///
/// Planning happens in three passes, so a value may refer to any other regardless of order:
/// 1. ports, for every node (manifest order);
/// 2. values, for every node: a process's from its ports and files, a database's from its
///    driver's format (``PostgresCluster/values(spec:serviceDirectory:port:)``,
///    ``SQLiteStore/values(path:)``); then the processes' declared `url:`s, which may use
///    any of those;
/// 3. everything else, resolved against all values: argv, environments, seed commands,
///    health checks, exports.
package struct EnvironmentPlan: Sendable {
    /// The run's name (``Environment/Options/name``, else the manifest's).
    package var name: String
    /// The run directory the plan's paths point into (planning does not create it).
    package var runDirectory: RunDirectory
    /// Every node, each after the nodes it depends on (manifest order among independent ones).
    package var services: [PlannedService]
    /// Every node's values by name, plus `run` (`dir`, `name`): what `${name.key}` resolves to.
    package var values: [String: [String: String]]
    /// Variables for the test command: the manifest's exports plus `TESTBED_RUN_DIR` and `TESTBED_ENV_NAME`.
    package var exports: [String: String]
    /// Where caches of initialized and seeded databases live.
    package var cacheRoot: String
    /// The links (`links:`), each with its reserved port and its values.
    package var links: [PlannedLink]
    /// The Toxiproxy endpoint's reserved port, when the run serves one (`links:` or
    /// `toxiproxy: true`); its URL is `${run.toxiproxy_url}` and the export `TOXIPROXY_URL`.
    package var toxiproxyPort: PortReservation?
    /// The mode every HTTP link takes in this run (the `tapeMode` asked for, else
    /// `TESTBED_TAPES`); nil: each link's own.
    package var tapeMode: TapeMode?

    /// Plans a run of `manifest` in `runDirectory`.
    ///
    /// - Parameters:
    ///   - manifest: the loaded manifest; its `${VAR}` references are resolved here.
    ///   - name: the run's name (`${run.name}`, `TESTBED_ENV_NAME`); nil: the manifest's.
    ///   - runDirectory: the run's private folder, where services' files and sockets go.
    ///   - environment: the caller's environment: what `${VAR}` reads, and the base of every
    ///     service's environment.
    ///   - cacheRoot: where initialized and seeded databases are cached.
    ///   - portAllocator: where ports are reserved (tests may use a private lock folder).
    ///   - tapeMode: the mode of every HTTP link for this run (`testbed run --tapes`); nil:
    ///     `TESTBED_TAPES` from `environment`, else each link's own.
    /// - Throws: ``ManifestError`` with every problem found, each at its manifest line.
    package init(manifest: Manifest, name: String? = nil, runDirectory: RunDirectory, environment: [String: String],
                cacheRoot: String, portAllocator: PortAllocator = PortAllocator(), tapeMode: TapeMode? = nil) throws(ManifestError) {
        // HTTP links' `to:` and `tape:` may read ${VAR}, like seed paths.
        let (manifest, linkProblems) = manifest.resolvingLinkVariables(environment: environment)
        let tapes = manifest.tapeModes(chosen: tapeMode, environment: environment)
        let name = name ?? manifest.name
        let context = Context(manifest: manifest, run: runDirectory, caller: environment)
        let order = try Self.dependencyOrder(manifest)
        let ports = try Self.reservePorts(manifest, allocator: portAllocator)
        var linkReservations: [PortReservation] = []
        do throws(ManifestError) {
            var values: [String: [String: String]] = ["run": ["dir": runDirectory.path, "name": name]]
            var problems = linkProblems + tapes.problems
            // Processes' values come from their ports alone; a database's path may refer to them.
            let valueOrder = manifest.services.filter(\.isProcess) + manifest.services.filter { !$0.isProcess }
            for service in valueOrder {
                do {
                    values[service.name] = try context.values(of: service, ports: ports[service.name] ?? [:], valuesSoFar: values)
                } catch {
                    problems.append(error)
                }
            }
            // Links take their targets' values (host and port replaced).
            let plannedLinks = Self.planLinks(manifest, values: &values, allocator: portAllocator)
            linkReservations = plannedLinks.links.map(\.reservation)
            problems += plannedLinks.problems
            let toxiproxy = Self.planToxiproxy(manifest, values: &values, allocator: portAllocator)
            if let port = toxiproxy.port { linkReservations.append(port) }
            problems += toxiproxy.problems
            // Declared URLs (`url:`) may use any service's or link's values, so they come last.
            for service in manifest.services {
                guard let url = ServiceKinds.kind(of: service.kind).declaredURL(of: service.kind) else { continue }
                do {
                    let resolved = try Resolver(manifest: manifest, environment: environment, values: values)
                        .resolveURL(url, service: service.name)
                    values[service.name]?["url"] = resolved
                } catch {
                    problems.append(error)
                }
            }
            // A link in front of a process with a URL has that URL, at the link's address.
            var links = plannedLinks.links
            Self.addLinkURLs(&links, values: &values)
            let resolver = Resolver(manifest: manifest, environment: environment, values: values)
            var planned: [PlannedService] = []
            for service in order {
                do {
                    planned.append(try context.plan(service, ports: ports[service.name] ?? [:], values: values, resolver: resolver))
                } catch {
                    problems.append(contentsOf: error.problems)
                }
            }
            var exports = ["TESTBED_RUN_DIR": runDirectory.path, "TESTBED_ENV_NAME": name]
            if let url = values["run"]?["toxiproxy_url"] {
                // TOXIPROXY_URL for Toxiproxy clients, TESTBED_LINKS_URL for `testbed link`.
                exports["TOXIPROXY_URL"] = url
                exports["TESTBED_LINKS_URL"] = url
            }
            for export in manifest.exports {
                do { exports[export.name] = try resolver.resolve(export.value) } catch { problems.append(error) }
            }
            if !problems.isEmpty { throw ManifestError(problems: problems) }
            self.name = name
            self.runDirectory = runDirectory
            self.services = planned
            self.values = values
            self.exports = exports
            self.cacheRoot = cacheRoot
            self.links = links
            self.toxiproxyPort = toxiproxy.port
            self.tapeMode = tapes.override
        } catch {
            for reservations in ports.values { for reservation in reservations.values { reservation.release() } }
            for reservation in linkReservations { reservation.release() }
            throw error
        }
    }

    /// The node called `name`, or nil.
    package func service(named name: String) -> PlannedService? {
        services.first { $0.name == name }
    }

    /// Every port reservation of the plan.
    package var reservations: [PortReservation] {
        services.flatMap { $0.ports.values } + links.map(\.reservation) + (toxiproxyPort.map { [$0] } ?? [])
    }

    /// Releases every port the plan reserved (socket and cross-run lock). The runtime calls
    /// it at the end of its teardown; a caller that only inspects a plan calls it when done.
    package func releasePorts() {
        for reservation in reservations { reservation.release() }
    }
}
