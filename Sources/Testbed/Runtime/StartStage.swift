import Synchronization
import TestbedModel

/// What a service's start is doing: in words, for the message when it times out, and as
/// the activity its periodic progress reports describe.
///
/// Written by the start (and by the driver's reports), read by the deadline and by the
/// progress reporter, from any thread.
final class StartStage: Sendable {
    private struct Activity {
        var kind: ServiceProgress.Activity
        var subject: String
        var since: ContinuousClock.Instant
        var lastResult: String?
        var limit: Duration
        var limitSetting: String
        var lastReport: ContinuousClock.Instant?
    }
    private struct State {
        var text = "its start"
        var activity: Activity?
    }
    private let state = Mutex(State())

    /// What is running now.
    var current: String { state.withLock { $0.text } }

    /// Records what runs from now on.
    func set(_ stage: String) { state.withLock { $0.text = stage } }

    /// Starts an activity that progress reports describe until ``endActivity()`` or the next one.
    func begin(_ kind: ServiceProgress.Activity, subject: String, limit: Duration, limitSetting: String) {
        let now = ContinuousClock.now
        state.withLock {
            $0.activity = Activity(kind: kind, subject: subject, since: now, limit: limit, limitSetting: limitSetting)
        }
    }

    /// What the activity works on now (the seed step); ignored without one.
    func update(subject: String) { state.withLock { $0.activity?.subject = subject } }

    /// The health check's latest result; ignored without an activity.
    func record(result: String) { state.withLock { $0.activity?.lastResult = result } }

    /// Ends the activity: no more reports.
    func endActivity() { state.withLock { $0.activity = nil } }

    /// The report that is due at `now`: the activity has lasted `first`, and the previous
    /// report is `every` old. nil when none is due (or there is no activity).
    func dueReport(at now: ContinuousClock.Instant, first: Duration, every: Duration) -> ServiceProgress? {
        state.withLock { state -> ServiceProgress? in
            guard let activity = state.activity, now - activity.since >= first else { return nil }
            if let last = activity.lastReport, now - last < every { return nil }
            state.activity?.lastReport = now
            return ServiceProgress(activity: activity.kind, subject: activity.subject, waited: now - activity.since,
                                   lastResult: activity.lastResult, limit: activity.limit,
                                   limitSetting: activity.limitSetting)
        }
    }
}
