/// How often and how long a health check tries: the one timing of the manifest's check
/// (``HealthCheckSpec``), the plan's (``PlannedHealthCheck``) and the health gate's.
///
/// The first wait is ``interval``; each failed attempt doubles the next wait up to
/// ``maxInterval`` (equal to ``interval`` or below it: no backoff, every wait is ``interval``).
/// So a service that is ready in a few ms is seen in a few ms, and a probe that keeps failing
/// costs a bounded share of a core (about ``deadline`` / ``maxInterval`` attempts).
package struct HealthTiming: Sendable, Hashable {
    /// Time between the first attempts.
    package var interval: Duration
    /// The longest time between attempts: waits double from ``interval`` up to it.
    package var maxInterval: Duration
    /// Time one attempt may take.
    package var timeout: Duration
    /// Time after the spawn before the first attempt.
    package var startPeriod: Duration
    /// Overall time from spawn to healthy before the start fails.
    package var deadline: Duration

    /// Time between attempts when the manifest gives none: 5 ms (probes are cheap).
    package static let defaultInterval: Duration = .milliseconds(5)
    /// Time between attempts of a command check when the manifest gives none: 50 ms, since each spawns a process.
    package static let defaultCommandInterval: Duration = .milliseconds(50)
    /// The longest wait between attempts when the manifest gives no `interval:` (backoff cap): 250 ms.
    package static let defaultMaxInterval: Duration = .milliseconds(250)
    /// Time one attempt may take when the manifest gives none: 2 seconds.
    package static let defaultTimeout: Duration = .seconds(2)
    /// Time from spawn to healthy when the manifest gives none: 60 seconds.
    package static let defaultDeadline: Duration = .seconds(60)

    /// Makes a timing; a nil `maxInterval` is `interval` (no backoff).
    package init(interval: Duration = defaultInterval, maxInterval: Duration? = nil, timeout: Duration = defaultTimeout,
                startPeriod: Duration = .zero, deadline: Duration = defaultDeadline) {
        self.interval = interval
        self.maxInterval = maxInterval ?? interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.deadline = deadline
    }

    /// The wait after the `attempts`-th failed attempt.
    package func wait(after attempts: Int) -> Duration {
        guard maxInterval > interval else { return interval }
        var wait = interval
        for _ in 1..<max(1, attempts) {
            wait = wait * 2
            if wait >= maxInterval { return maxInterval }
        }
        return wait
    }
}
