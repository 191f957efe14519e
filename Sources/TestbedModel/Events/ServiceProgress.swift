/// What a service that is not ready yet is doing: the payload of a `progress` ``Event``.
///
/// Reported first a few seconds into an activity, then every few seconds while it lasts, so
/// a slow or stuck start is never silent: `waiting 12 s: GET /healthz → 404 (expected 200)
/// (gives up at 60 s: healthcheck.deadline)`.
public struct ServiceProgress: Sendable, Hashable {
    /// What the service is doing.
    package enum Activity: String, Sendable, Hashable {
        /// Waiting for its health check to pass.
        case waiting
        /// Applying its seed steps.
        case seeding
        /// Running as a one-shot job that dependents wait for.
        case running
    }

    /// What the service is doing.
    package var activity: Activity
    /// What it works on or waits for: the health check (`http GET URL → 200`), the seed step's
    /// file as the manifest wrote it, the job.
    package var subject: String
    /// How long the activity has lasted so far.
    package var waited: Duration
    /// The health check's last result (`connection refused on 127.0.0.1:4123`); nil before the
    /// first attempt has finished, and for other activities.
    package var lastResult: String?
    /// When the start gives up, counted from the service's start (`healthcheck.deadline` from its spawn).
    package var limit: Duration
    /// The manifest setting that sets ``limit``: `healthcheck.deadline` or `start_timeout`.
    package var limitSetting: String

    /// Makes a report.
    package init(activity: Activity, subject: String, waited: Duration, lastResult: String? = nil,
                limit: Duration, limitSetting: String) {
        self.activity = activity
        self.subject = subject
        self.waited = waited
        self.lastResult = lastResult
        self.limit = limit
        self.limitSetting = limitSetting
    }

    /// `seeding 12 s: fixtures/orders.sql (stops at 5 min: start_timeout)`; for a health check
    /// its last result in place of the subject once there is one.
    package var text: String {
        let seconds = Int(waited.milliseconds / 1000)
        let stops = activity == .waiting ? "gives up" : "stops"
        return "\(activity.rawValue) \(seconds) s: \(lastResult ?? subject) (\(stops) at \(limit.settingDescription): \(limitSetting))"
    }
}

extension Duration {
    /// A duration as a manifest would write it, for limits: `5 min`, `90 s`, `1.5 s`.
    var settingDescription: String {
        let ms = milliseconds
        if ms >= 60_000 && ms.truncatingRemainder(dividingBy: 60_000) == 0 { return "\(Int(ms / 60_000)) min" }
        return probeDescription
    }
}
