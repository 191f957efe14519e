import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// One request's life on its event loop: connect (each address in turn), send, collect the
/// answer, and finish exactly once — by the answer, a failure, the deadline (one task
/// scheduled on the loop) or the caller's cancellation. Finishing closes the connection.
final class PlainHTTPExchange: Sendable {
    let endpoint: PlainHTTPEndpoint
    let timeout: Duration
    let loop: any EventLoop
    /// nil for a bare connect (a `tcp` check).
    let request: PlainHTTPRequest?
    let readBody: Bool
    let bodyLimit: Int
    private let promise: EventLoopPromise<PlainHTTPResponse>
    private let state = Mutex(State())

    private struct State {
        /// The channel of the current attempt, closed when the exchange finishes.
        var channel: (any Channel)?
        var connected = false
        var finished = false
        var timer: Scheduled<Void>?
    }

    init(endpoint: PlainHTTPEndpoint, timeout: Duration, loop: any EventLoop, request: PlainHTTPRequest?,
         readBody: Bool, bodyLimit: Int) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.loop = loop
        self.request = request
        self.readBody = readBody
        self.bodyLimit = bodyLimit
        promise = loop.makePromise(of: PlainHTTPResponse.self)
    }

    /// How the exchange gets its connection.
    enum Start {
        /// NIO connects to the first address, then to the next while each fails.
        case connect(ArraySlice<SocketAddress>)
        /// A socket that ``ImmediateConnect`` connected: NIO takes it over.
        case connected(Int32)
    }

    /// Starts the exchange and waits for its end; cancellation of the calling task ends it at once.
    func run(_ start: Start, deadline: NIODeadline) async throws(PlainHTTPError) -> PlainHTTPResponse {
        let timer = loop.scheduleTask(deadline: deadline) { self.timeUp() }
        state.withLock { $0.timer = timer }
        switch start {
        case .connect(let addresses):
            connect(addresses, deadline: deadline, failure: nil)
        case .connected(let fd):
            ClientBootstrap(group: loop)
                .channelInitializer { channel in self.prepare(channel) }
                .withConnectedSocket(fd)
                .whenComplete { result in
                    switch result {
                    case .success(let channel): self.connected(channel)
                    case .failure(let error): self.finish(.failure(self.connectFailure(error)))
                    }
                }
        }
        do {
            return try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                finish(.failure(PlainHTTPError(.cancelled, endpoint, "the request to \(endpoint) was cancelled")))
            }
        } catch let error as PlainHTTPError {
            throw error
        } catch {
            throw PlainHTTPError(.failed, endpoint, "\(endpoint): \(error)")
        }
    }

    /// Ends the exchange with `result` unless it has ended; closes the connection.
    func finish(_ result: Result<PlainHTTPResponse, PlainHTTPError>) {
        let ending = state.withLock { state -> (channel: (any Channel)?, timer: Scheduled<Void>?)? in
            guard !state.finished else { return nil }
            state.finished = true
            return (state.channel, state.timer)
        }
        guard let ending else { return }
        ending.timer?.cancel()
        ending.channel?.close(promise: nil)
        switch result {
        case .success(let response): promise.succeed(response)
        case .failure(let error): promise.fail(error)
        }
    }

    /// Connects to the first of `addresses`; on a failure other than the deadline, to the next.
    private func connect(_ addresses: ArraySlice<SocketAddress>, deadline: NIODeadline, failure: PlainHTTPError?) {
        guard !state.withLock({ $0.finished }) else { return }
        guard let address = addresses.first else {
            return finish(.failure(failure ?? PlainHTTPError(.cannotConnect, endpoint, "cannot connect to \(endpoint)")))
        }
        let remaining = deadline - .now()
        guard remaining > .zero else { return timeUp() }
        ClientBootstrap(group: loop)
            .connectTimeout(remaining)
            .channelInitializer { channel in self.prepare(channel) }
            .connect(to: address)
            .whenComplete { result in
                switch result {
                case .success(let channel): self.connected(channel)
                case .failure(let error):
                    let failure = self.connectFailure(error)
                    if failure.code == .connectTimedOut { return self.finish(.failure(failure)) }
                    self.connect(addresses.dropFirst(), deadline: deadline, failure: failure)
                }
            }
    }

    /// Keeps the attempt's channel (so that finishing closes it) and adds the HTTP handlers.
    private func prepare(_ channel: any Channel) -> EventLoopFuture<Void> {
        let open = state.withLock { state in
            if !state.finished { state.channel = channel }
            return !state.finished
        }
        guard open else { return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        guard let request else { return channel.eventLoop.makeSucceededVoidFuture() }
        do {
            let pipeline = channel.pipeline.syncOperations
            let counter = PlainHTTPByteCounter()
            try pipeline.addHandler(counter)
            try pipeline.addHTTPClientHandlers()
            try pipeline.addHandler(PlainHTTPCollector(exchange: self, request: request, counter: counter))
            return channel.eventLoop.makeSucceededVoidFuture()
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    /// The connection is made: from now on the deadline means "no answer", not "no connection".
    private func connected(_ channel: any Channel) {
        let open = state.withLock { state in
            if !state.finished { state.connected = true }
            return !state.finished
        }
        guard open else { return channel.close(promise: nil) }
        if request == nil { finish(.success(PlainHTTPResponse(status: 0, headers: [:], body: []))) }
    }

    private func timeUp() {
        if state.withLock({ $0.connected }) {
            finish(.failure(PlainHTTPError(.timedOut, endpoint, "no HTTP answer from \(endpoint) within \(timeout)")))
        } else {
            finish(.failure(PlainHTTPError(.connectTimedOut, endpoint, "timed out after \(timeout) connecting to \(endpoint)")))
        }
    }

    private func connectFailure(_ error: any Error) -> PlainHTTPError {
        if let error = error as? IOError {
            if error.errnoCode == ECONNREFUSED {
                return PlainHTTPError(.refused, endpoint, "connection refused on \(endpoint)", errno: error.errnoCode)
            }
            return PlainHTTPError(.cannotConnect, endpoint, "cannot connect to \(endpoint): \(errnoText(error.errnoCode))", errno: error.errnoCode)
        }
        if let error = error as? ChannelError, case .connectTimeout = error {
            return PlainHTTPError(.connectTimedOut, endpoint, "timed out after \(timeout) connecting to \(endpoint)")
        }
        return PlainHTTPError(.cannotConnect, endpoint, "cannot connect to \(endpoint): \(error)")
    }

    /// The failure for `error` raised while the answer was read (or the request written).
    func answerFailure(_ error: any Error, counter: PlainHTTPByteCounter) -> PlainHTTPError {
        if let error = error as? HTTPParserError {
            if error == .invalidEOFState { return closedFailure(received: counter.received) }
            var failure = PlainHTTPError(.notHTTP, endpoint, "\(endpoint) did not answer with HTTP: '\(counter.firstLine)'")
            failure.received = counter.received
            failure.firstLine = counter.firstLine
            return failure
        }
        if let error = error as? IOError {
            var failure = PlainHTTPError(.failed, endpoint, "cannot exchange with \(endpoint): \(errnoText(error.errnoCode))", errno: error.errnoCode)
            failure.received = counter.received
            return failure
        }
        return PlainHTTPError(.failed, endpoint, "cannot exchange with \(endpoint): \(error)")
    }

    /// The failure for a connection the server closed before the answer was complete.
    func closedFailure(received: Int) -> PlainHTTPError {
        var failure = PlainHTTPError(.closed, endpoint, received == 0
            ? "\(endpoint) closed the connection without answering"
            : "\(endpoint) closed the connection after \(received) bytes, before a complete answer")
        failure.received = received
        return failure
    }
}
