/// Something that happened to a service during a run, for progress output, `--json`
/// and `--report`.
public struct Event: Sendable, Hashable {
    /// The step of a service's life an event reports.
    public enum Phase: String, Sendable, Hashable, CaseIterable {
        /// Waiting for dependencies.
        case waiting
        /// A service that is not ready yet says what it is doing, every few seconds while it
        /// lasts: the health check it waits for and its last result, the seed step it applies,
        /// the one-shot job it runs. ``Event/progress`` has the parts.
        case progress
        /// Preparing (copying a cluster, creating a file) before the spawn.
        case starting
        /// The process exists.
        case spawned
        /// Fixtures are being applied.
        case seeding
        /// Fixtures were applied (detail says whether from the cache).
        case seeded
        /// The health check passed.
        case healthy
        /// A one-shot job exited with status 0.
        case completed
        /// The service failed (detail says why).
        case failed
        /// Teardown of the service has begun.
        case stopping
        /// The service is stopped; with service nil, the whole environment is torn down.
        case stopped
        /// The whole environment is ready (service is nil).
        case ready
        /// Informational detail from a driver (cache hits, timings).
        case note
        /// A link changed — a fault added, updated or removed, the link down or up, created
        /// or deleted; ``Event/link`` says what, and service is the link's name.
        case link
    }

    /// nil for events of the whole environment.
    package var service: String?
    /// What happened.
    package var phase: Phase
    /// Time since the run started.
    package var elapsed: Duration
    /// Extra text for people (attempt counts, cache hits, failure messages); not meant to be parsed.
    package var detail: String?
    /// For `link` events: what happened to the link, with the fault and the wall-clock time.
    package var link: LinkEvent?
    /// For `progress` events: what the service waits for, for how long, and its last result.
    package var progress: ServiceProgress?

    /// Makes an event; `elapsed` is the time since the run started.
    public init(service: String?, phase: Phase, elapsed: Duration, detail: String? = nil, link: LinkEvent? = nil,
                progress: ServiceProgress? = nil) {
        self.service = service
        self.phase = phase
        self.elapsed = elapsed
        self.detail = detail
        self.link = link
        self.progress = progress
    }
}

/// Where a driver reports its phases; the runtime stamps service and time.
///
/// `progress` is not passed on as an event: its detail names what the driver works on now
/// (the seed step's file), which the runtime's periodic progress reports show.
public typealias PhaseReporter = @Sendable (_ phase: Event.Phase, _ detail: String?) -> Void
