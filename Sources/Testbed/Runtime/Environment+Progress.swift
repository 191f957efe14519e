import TestbedModel
extension Environment {
    /// When progress reports come: the first once an activity has lasted `first`, then
    /// every `every` while it lasts. Tests make both short.
    struct ProgressTiming: Sendable {
        var first: Duration = .milliseconds(2500)
        var every: Duration = .seconds(5)

        /// How often the reporter looks: often enough that reports are at most a quarter late.
        var tick: Duration { min(first, every) / 4 }
    }

    /// Reports `service`'s activity (``StartStage``) as `progress` events until cancelled.
    /// Returns nil when nobody listens to events.
    nonisolated func reportProgress(of service: String, stage: StartStage) -> Task<Void, Never>? {
        guard let onEvent = options.onEvent else { return nil }
        let timing = options.progressTiming, start = startInstant
        return Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: timing.tick)
                let now = ContinuousClock.now
                guard !Task.isCancelled,
                      let progress = stage.dueReport(at: now, first: timing.first, every: timing.every) else { continue }
                onEvent(Event(service: service, phase: .progress, elapsed: now - start, detail: progress.text,
                              progress: progress))
            }
        }
    }
}
