import TestbedModel
import TestbedTapes
/// Replays every recorded request of a tape against a real provider and compares each
/// answer with the recorded one (``ResponseComparison``): the compatibility check of
/// `testbed verify`.
///
/// Requests go one at a time, in tape order (a consumer's later requests may rely on its
/// earlier ones). With `Options/learn` the whole tape is replayed twice: what differs
/// between the two answers to a request is volatile (`VolatileFields`) and left out of
/// that exchange's comparison; the first replay's answers are compared. A tape with
/// requests that change state (POST, DELETE) is then applied twice: learn against a
/// provider that can take it.
public struct TapeVerifier: Sendable {
    /// How to compare and what to send.
    public struct Options: Sendable, Hashable {
        /// Paths ignored, values compared or not, new fields allowed or not.
        package var comparison: ResponseComparison
        /// Replay twice and ignore what differs between the two answers.
        package var learn: Bool
        /// Headers set on every request, replacing recorded ones of the same name.
        package var headers: [TapeHeader]
        /// How long one request may take.
        package var timeout: Duration

        /// Makes options; by default shapes only, nothing learned, 30 s per request.
        public init(comparison: ResponseComparison = ResponseComparison(), learn: Bool = false,
                    headers: [TapeHeader] = [], timeout: Duration = .seconds(30)) {
            self.comparison = comparison
            self.learn = learn
            self.headers = headers
            self.timeout = timeout
        }
    }

    /// How to compare and what to send.
    package var options: Options

    /// Makes a verifier.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Checks `tape` against the provider at `provider` (an http(s) base URL); `name` is how
    /// the report names the tape. Throws ``VerifyError`` only when the check cannot run (a bad
    /// URL); a provider that does not answer is a broken exchange in the report.
    public func verify(_ tape: Tape, named name: String, against provider: String) async throws(VerifyError) -> VerifyReport {
        let client = try ProviderClient(base: provider, headers: options.headers, timeout: options.timeout)
        let first = await replay(tape, with: client)
        let second = options.learn ? await replay(tape, with: client) : []
        await client.shutdown()
        var results: [VerifyReport.ExchangeResult] = []
        var learnedAll = Set<String>()
        for (index, exchange) in tape.exchanges.enumerated() {
            var comparison = options.comparison
            var learned: [String] = []
            if options.learn, case .success(let one) = first[index], case .success(let two) = second[index] {
                let paths = VolatileFields.learn(one, two)
                comparison.ignored += paths
                learned = paths.map(\.description)
                learnedAll.formUnion(learned)
            }
            switch first[index] {
            case .success(let response):
                results.append(.init(index: index, method: exchange.request.method, target: exchange.request.target,
                                     recordedStatus: exchange.response.status, status: response.status, learned: learned,
                                     differences: comparison.differences(recorded: exchange.response, current: response)))
            case .failure(let failure):
                results.append(.init(index: index, method: exchange.request.method, target: exchange.request.target,
                                     recordedStatus: exchange.response.status, status: nil,
                                     differences: [ContractDifference(.unreachable, current: failure.message, breaking: true)]))
            }
        }
        return VerifyReport(tape: name, provider: client.base, exchanges: results, learned: learnedAll.sorted())
    }

    /// Why a request got no answer.
    struct NoAnswer: Error {
        var message: String
    }

    private func replay(_ tape: Tape, with client: ProviderClient) async -> [Result<TapeResponse, NoAnswer>] {
        var answers: [Result<TapeResponse, NoAnswer>] = []
        for exchange in tape.exchanges {
            do {
                answers.append(.success(try await client.send(exchange.request)))
            } catch {
                answers.append(.failure(NoAnswer(message: "\(client.url(for: exchange.request.target)): \(error)")))
            }
        }
        return answers
    }
}
