import Foundation
import TestbedSystem
import TestbedModel
import TestbedLinks
import TestbedDrivers

/// A running (or runnable) stack: the services of a manifest, started in dependency
/// order, health-checked, and torn down in reverse order.
///
/// ```swift
/// let environment = try Environment(path: "environments/shop.yml")
/// try await environment.start()          // throws EnvironmentError or ManifestError
/// let url = await environment.exports["DATABASE_URL"]
/// await environment.stop()
/// ```
/// `start()` tears down whatever it had started before it throws. `stop()` is safe to
/// call at any time, more than once, and also while `start()` is still running (it
/// interrupts the start and waits for its cleanup).
public actor Environment {
    /// How an environment runs: the variables it sees, where its files go, and who hears about it.
    public struct Options: Sendable {
        /// The caller's environment: interpolation source, and the base of every service's environment.
        public var environment: [String: String]
        /// Where run directories are created (default: `RunDirectory.root(environment:)`).
        public var runRoot: String?
        /// Where initialized and seeded databases are cached (default: `Caches.root(environment:)`).
        public var cacheRoot: String?
        /// The environment's name for this run (run directory, `TESTBED_ENV_NAME`, `${run.name}`);
        /// nil: the manifest's name.
        public var name: String?
        /// Keep the run directory after teardown.
        public var keepRunDirectory: Bool
        /// Receives every `Event` (from any thread).
        public var onEvent: (@Sendable (Event) -> Void)?
        /// Receives every line a service prints (from any thread).
        public var onOutput: (@Sendable (_ service: String, _ line: String) -> Void)?
        /// The mode of every HTTP link for this run (`testbed run --tapes`); nil: `TESTBED_TAPES`
        /// from ``environment``, else each link's own.
        public var tapeMode: TapeMode?
        /// When `progress` events come while a service is not ready (tests shorten it).
        var progressTiming = ProgressTiming()

        /// Makes options; by default the caller's environment is this process's, and nothing is kept or reported.
        public init(environment: [String: String] = ProcessInfo.processInfo.environment, runRoot: String? = nil,
                    cacheRoot: String? = nil, keepRunDirectory: Bool = false,
                    onEvent: (@Sendable (Event) -> Void)? = nil,
                    onOutput: (@Sendable (_ service: String, _ line: String) -> Void)? = nil) {
            self.environment = environment
            self.runRoot = runRoot
            self.cacheRoot = cacheRoot
            self.keepRunDirectory = keepRunDirectory
            self.onEvent = onEvent
            self.onOutput = onOutput
        }
    }

    /// The manifest this environment runs.
    public nonisolated let manifest: Manifest
    /// The options it was made with.
    package nonisolated let options: Options

    /// The links (TCP proxies with faults) of this run: the manifest's, started with their
    /// targets, and those Toxiproxy clients create; all stop with the environment.
    public nonisolated let links: LinkSet

    /// The name of this run: `Options.name`, else the manifest's.
    public nonisolated var name: String { options.name ?? manifest.name }
    let clock = ContinuousClock()
    let startInstant: ContinuousClock.Instant

    /// Where the environment is in its life (idle, starting, running, stopping, stopped or
    /// failed) with what each state owns; its events say what to do next.
    var machine: EnvironmentStateMachine
    /// The run's private folder, set by ``start()``; after ``stop()`` it is gone unless kept.
    package var runDirectory: RunDirectory? { machine.runDirectory }
    /// What this run does, computed by ``start()`` before any driver is made; kept after ``stop()``.
    package var plan: EnvironmentPlan? { machine.plan }
    var drivers: [String: any ServiceDriver] = [:]
    /// The drivers of database services (also in ``drivers``): what ``reset(_:)``, `sql` checks and pools use.
    var databases: [String: any DatabaseDriver] = [:]
    var processes: [String: ServiceProcess] = [:]
    /// Resets under way, by service: the exit of a process a reset may replace waits for them.
    var resetsUnderWay: [String: Int] = [:]
    var resetWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    var milestones: [String: ServiceMilestones] = [:]
    /// What each service's start is doing (for its deadline's message and its progress reports).
    var stages: [String: StartStage] = [:]
    /// The Toxiproxy endpoint once started (its port is the plan's ``EnvironmentPlan/toxiproxyPort``).
    var toxiproxy: ToxiproxyServer?
    /// Where teardown saved the logs after ``keepLogs()``; nil otherwise.
    package internal(set) var keptLogs: String?

    /// Variables for the test command: the manifest's exports plus `TESTBED_RUN_DIR` and
    /// `TESTBED_ENV_NAME` (empty until ``start()`` has planned the run).
    package var exports: [String: String] { plan?.exports ?? [:] }
    /// Every service's values (`values["db"]?["url"]`), and `values["run"]` (empty until planned).
    package var values: [String: [String: String]] { plan?.values ?? [:] }

    /// Makes an environment for a loaded manifest; nothing starts until ``start()``.
    public init(manifest: Manifest, options: Options = Options()) {
        self.manifest = manifest
        self.options = options
        self.startInstant = ContinuousClock().now
        self.machine = EnvironmentStateMachine(keepsRunDirectory: options.keepRunDirectory)
        self.links = LinkSet(reservedNames: Set(manifest.services.map(\.name)))
    }

    /// Loads the manifest at `path`. Throws `ManifestError`.
    public init(path: String, options: Options = Options()) throws {
        self.init(manifest: try ManifestLoader.load(path: path), options: options)
    }

    func emit(_ service: String?, _ phase: Event.Phase, _ detail: String? = nil) {
        options.onEvent?(Event(service: service, phase: phase, elapsed: clock.now - startInstant, detail: detail))
    }

    /// Where `service`'s driver reports; seeding is also recorded in `stage`, for progress
    /// reports (with the service's `startTimeout` as their limit).
    nonisolated func reporter(for service: String, stage: StartStage? = nil, startTimeout: Duration = .zero) -> PhaseReporter {
        let onEvent = options.onEvent, start = startInstant
        return { phase, detail in
            switch phase {
            case .starting: return  // the runtime reports it itself, before the driver runs
            case .progress:
                if let detail { stage?.update(subject: detail) }
                return
            case .seeding:
                stage?.begin(.seeding, subject: detail ?? "the seed", limit: startTimeout, limitSetting: "start_timeout")
            case .seeded:
                stage?.endActivity()
            default:
                break
            }
            onEvent?(Event(service: service, phase: phase, elapsed: ContinuousClock().now - start, detail: detail))
        }
    }

    /// The main process of a service, once started.
    package func process(of service: String) -> ServiceProcess? { processes[service] }

    /// Waits until a service dies unexpectedly after the environment became ready.
    /// Returns at once with the error if one already happened.
    package func waitForFailure() async -> EnvironmentError {
        if let failure = machine.failure { return failure }
        return await withCheckedContinuation { waiter in
            if let failure = machine.failureAwaited(waiter) { waiter.resume(returning: failure) }
        }
    }
}

/// The points of one service's life that its dependents wait for.
struct ServiceMilestones: Sendable {
    let started = Milestone()
    let healthy = Milestone()
    let completed = Milestone()

    func failAll(_ error: any Error) {
        started.fail(error)
        healthy.fail(error)
        completed.fail(error)
    }
}

/// Where Testbed keeps caches that outlive runs.
public enum Caches {
    /// `TESTBED_CACHE_DIR`, else `$XDG_CACHE_HOME/testbed`, else `~/.cache/testbed`.
    package static func root(environment: [String: String]) -> String {
        if let dir = environment["TESTBED_CACHE_DIR"], !dir.isEmpty { return dir }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/testbed" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/testbed"
    }
}
