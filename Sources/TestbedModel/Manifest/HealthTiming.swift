/// How often and how long a health check tries: the one timing of the manifest's check
/// (``HealthCheckSpec``), the plan's (``PlannedHealthCheck``) and the health gate's.
///
/// Each wait is a tenth of the time the check has waited so far, at least ``interval`` and at
/// most ``maxInterval`` (equal to ``interval`` or below it: no backoff, every wait is
/// ``interval``). So a service is seen at most about 10% after it is ready — in a few ms
/// when it is ready in a few ms, within 50 ms when it takes half a second (a container) —
/// and a probe that keeps failing costs a bounded share of a core (about 65 attempts in the
/// first 2.5 s, then ``deadline`` / ``maxInterval``).
package struct HealthTiming: Sendable, Hashable {
    /// Time between the first attempts.
    package var interval: Duration
    /// The longest time between attempts: waits grow from ``interval`` up to it.
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

    /// The wait after a failed attempt, `elapsed` after the check began: a tenth of
    /// `elapsed`, at least ``interval`` and at most ``maxInterval``.
    package func wait(elapsed: Duration) -> Duration {
        guard maxInterval > interval else { return interval }
        return min(max(elapsed / 10, interval), maxInterval)
    }
}
