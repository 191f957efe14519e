import TestbedHTTP
extension ProbeFailure {
    /// What a probe throws for a failed ``PlainHTTPClient`` call: a ``ProbeFailure`` worded
    /// for the user (`connection refused on 127.0.0.1:4123`, `no HTTP answer from URL within
    /// 2 s`), or `CancellationError` when the probing task was cancelled.
    ///
    /// `url` is the HTTP probe's URL (nil for a TCP probe); `timeout` the attempt's.
    static func failure(of error: PlainHTTPError, url: String?, timeout: Duration) -> any Error {
        let endpoint = error.endpoint
        switch error.code {
        case .cancelled:
            return CancellationError()
        case .connectTimedOut:
            return ProbeFailure(.timedOut, "timed out after \(timeout.probeDescription) connecting to \(endpoint)")
        case .timedOut:
            return ProbeFailure(.timedOut, "no HTTP answer from \(url ?? endpoint.description) within \(timeout.probeDescription)")
        case .notHTTP:
            return ProbeFailure(.unexpectedAnswer, "\(url ?? endpoint.description) did not answer with HTTP: '\(error.firstLine)'")
        case .closed, .tooLarge:
            return ProbeFailure(.unexpectedAnswer, error.message)
        default:  // refused, cannot connect or resolve, a reset
            return ProbeFailure(.unreachable, error.message)
        }
    }
}
