/// The life of one ``Environment`` as a value: idle, starting, running, stopping, and
/// stopped or failed, each state holding what it owns.
///
/// The actor tells it what happened (an event: `startRequested()`, `stopRequested()`,
/// `serviceExited(_:)`, …) and performs the action the event returns: the machine decides,
/// the actor does the work (processes, files, events). So every transition, the refused ones
/// included (a second start, a stop while the start runs, a death after the stop), can be
/// checked without starting anything. Events that the actor's own flow makes impossible
/// (a run directory while nothing starts) stop the program: they are bugs, not states.
struct EnvironmentStateMachine {
    /// Where the environment is in its life.
    enum State {
        /// Made; nothing started.
        case idle
        /// ``Environment/start()`` runs.
        case starting(Starting)
        /// Every service is healthy or completed; until a stop.
        case running(Run)
        /// The teardown runs (after ``Environment/stop()``, or for a start that failed).
        case stopping(Stopping)
        /// Stopped: torn down, or stopped before it started (then `nil`).
        case stopped(Run?)
        /// The start failed and what it had started is gone; `nil` when no run directory was made.
        case failed(Run?)
    }

    /// What a run has made: its folder, then its plan. Kept after the stop (the public
    /// ``Environment/runDirectory`` and ``Environment/plan``).
    struct Run {
        var directory: RunDirectory
        var plan: EnvironmentPlan?
    }

    /// How far a start has come: what a failure must undo.
    enum StartStep {
        /// Choosing the run root and making the run directory: nothing to undo.
        case preparing
        /// The run directory exists, not yet registered for crash cleanup: remove it.
        case registering
        /// Planning, drivers, links: tear down what exists, the run directory too.
        case settingUp
        /// The services start: tear down, keeping the run directory for the logs.
        case startingServices
    }

    /// The starting state's own data.
    struct Starting {
        var step = StartStep.preparing
        var run: Run?
        /// Fails when a service dies or ``Environment/stop()`` interrupts the start; the
        /// start's services wait on it.
        let abort = Milestone()
    }

    /// The stopping state's own data.
    struct Stopping {
        var run: Run?
        /// Mark the run directory kept instead of removing it.
        var keep: Bool
        /// True when a failed start tears down: the machine ends in ``State/failed(_:)``.
        var afterFailedStart: Bool
    }

    /// Who waits in ``Environment/waitForFailure()``.
    typealias FailureWaiter = CheckedContinuation<EnvironmentError, Never>

    private(set) var state = State.idle
    /// ``Environment/Options/keepRunDirectory``: every teardown keeps the run directory.
    let keepsRunDirectory: Bool
    /// Reached when ``Environment/start()`` returns, whichever way.
    let startFinished = Milestone()
    /// Reached when the teardown has finished.
    let tornDown = Milestone()
    /// The first service that died (or exited during the start); what ``Environment/waitForFailure()`` returns.
    private(set) var failure: EnvironmentError?
    private var failureWaiters: [FailureWaiter] = []
    /// Set by ``Environment/keepLogs()``: a teardown that removes the run directory saves the logs first.
    private(set) var savesLogs = false

    init(keepsRunDirectory: Bool) {
        self.keepsRunDirectory = keepsRunDirectory
    }

    /// True while every service is up: from the end of the start until teardown begins.
    var isReady: Bool { if case .running = state { true } else { false } }

    /// True once a teardown has begun, and after a stop or a failed start.
    var isDown: Bool {
        switch state {
        case .stopping, .stopped, .failed: return true
        case .idle, .starting, .running: return false
        }
    }

    /// True when nothing runs or stops: before the start, and after the stop or a failed start.
    var isAtRest: Bool {
        switch state {
        case .idle, .stopped, .failed: return true
        case .starting, .running, .stopping: return false
        }
    }

    /// The run's folder, once the start has made it; kept after the stop.
    var runDirectory: RunDirectory? { run?.directory }
    /// The run's plan, once the start has made it; kept after the stop.
    var plan: EnvironmentPlan? { run?.plan }

    private var run: Run? {
        switch state {
        case .idle: return nil
        case .starting(let starting): return starting.run
        case .running(let run): return run
        case .stopping(let stopping): return stopping.run
        case .stopped(let run), .failed(let run): return run
        }
    }

    /// ``Environment/start()`` was called.
    mutating func startRequested() -> StartAction {
        guard case .idle = state else {
            return .refuse(EnvironmentError(.alreadyStarted, "this environment was already started",
                                            hint: "make a new Environment for another run"))
        }
        state = .starting(Starting())
        return .start
    }

    /// The start made the run directory (not yet registered for crash cleanup).
    mutating func runDirectoryCreated(_ directory: RunDirectory) {
        guard case .starting(var starting) = state, starting.step == .preparing else { invalid("runDirectoryCreated") }
        starting.run = Run(directory: directory)
        starting.step = .registering
        state = .starting(starting)
    }

    /// The run directory is registered with the watchdog: a crash from here on is cleaned up.
    mutating func runRegistered() {
        guard case .starting(var starting) = state, starting.step == .registering else { invalid("runRegistered") }
        starting.step = .settingUp
        state = .starting(starting)
    }

    /// The start planned the run (before making drivers and links).
    mutating func planned(_ plan: EnvironmentPlan) {
        guard case .starting(var starting) = state, starting.step == .settingUp else { invalid("planned") }
        starting.run?.plan = plan
        state = .starting(starting)
    }

    /// Drivers and links are set up; the services start now. Returns the milestone that
    /// fails when a service dies or a stop interrupts the start: the start waits on it too.
    mutating func servicesStarting() -> Milestone {
        guard case .starting(var starting) = state, starting.step == .settingUp else { invalid("servicesStarting") }
        starting.step = .startingServices
        state = .starting(starting)
        return starting.abort
    }

    /// Every service is up (or completed).
    mutating func startSucceeded() {
        guard case .starting(let starting) = state, starting.step == .startingServices, let run = starting.run else {
            invalid("startSucceeded")
        }
        state = .running(run)
    }

    /// A step of the start threw `error`. A failure while the services start becomes an
    /// ``EnvironmentError`` (`interrupted` for anything else) at the service's manifest line;
    /// its run directory is kept and named, unless the start was interrupted (and the
    /// options keep no run directory).
    mutating func startFailed(_ error: any Error) -> StartFailureAction {
        guard case .starting(let starting) = state else { invalid("startFailed") }
        switch starting.step {
        case .preparing:
            state = .failed(nil)
            return .fail(error)
        case .registering:
            state = .failed(starting.run)
            guard let run = starting.run else { invalid("startFailed") }
            return .removeRunDirectory(run.directory, then: error)
        case .settingUp:
            state = .stopping(Stopping(run: starting.run, keep: keepsRunDirectory, afterFailedStart: true))
            return .tearDown(then: error)
        case .startingServices:
            var failure = (error as? EnvironmentError) ?? EnvironmentError(.interrupted, "the start was interrupted: \(error)")
            if let service = failure.service, failure.location == nil {
                failure.location = starting.run?.plan?.services.first { $0.name == service }?.location
            }
            let interrupted = failure.code == .interrupted
            if !interrupted || keepsRunDirectory { failure.runDirectory = starting.run?.directory.path }
            state = .stopping(Stopping(run: starting.run, keep: !interrupted || keepsRunDirectory, afterFailedStart: true))
            return .reportAndTearDown(failure)
        }
    }

    // MARK: - Stop

    /// ``Environment/stop()`` was called.
    mutating func stopRequested() -> StopAction {
        switch state {
        case .idle:
            state = .stopped(nil)
            return .none
        case .starting(let starting):
            return .interruptStart(abort: starting.abort, error: EnvironmentError(.interrupted, "the start was interrupted"),
                                   finished: startFinished)
        case .running(let run):
            state = .stopping(Stopping(run: run, keep: keepsRunDirectory, afterFailedStart: false))
            return .tearDown
        case .stopping:
            return .wait(for: [startFinished, tornDown])
        case .stopped, .failed:
            return .none
        }
    }

    /// ``Environment/keepLogs()`` was called.
    mutating func logsRequested() { savesLogs = true }

    /// The teardown has stopped every service and link.
    func servicesStopped() -> FilesAction {
        guard case .stopping(let stopping) = state else { invalid("servicesStopped") }
        guard let directory = stopping.run?.directory else { return .none }
        return stopping.keep ? .keep(directory) : .remove(directory, savingLogs: savesLogs)
    }

    /// The teardown is done. Returns the milestone to reach (after the `stopped` event).
    mutating func teardownFinished() -> Milestone {
        guard case .stopping(let stopping) = state else { invalid("teardownFinished") }
        state = stopping.afterFailedStart ? .failed(stopping.run) : .stopped(stopping.run)
        return tornDown
    }

    // MARK: - Failures

    /// A service's process exited on its own; `describe` gives the error, told whether the
    /// environment was ready (a death) or still starting (an exit during the start).
    mutating func serviceExited(_ describe: (_ afterReady: Bool) -> EnvironmentError) -> FailureAction {
        switch state {
        case .starting(let starting):
            guard failure == nil else { return .none }
            let error = describe(false)
            return .failStart(error, abort: starting.abort, waiters: recordFailure(error))
        case .running:
            let error = describe(true)
            return .reportDeath(error, waiters: failure == nil ? recordFailure(error) : [])
        case .idle, .stopping, .stopped, .failed:
            return .none
        }
    }

    /// ``Environment/waitForFailure()`` waits: `waiter` is resumed with the first failure.
    /// Returns the failure when there is one already (then `waiter` is not kept).
    mutating func failureAwaited(_ waiter: FailureWaiter) -> EnvironmentError? {
        if let failure { return failure }
        failureWaiters.append(waiter)
        return nil
    }

    private mutating func recordFailure(_ error: EnvironmentError) -> [FailureWaiter] {
        failure = error
        defer { failureWaiters = [] }
        return failureWaiters
    }

    private func invalid(_ event: String) -> Never {
        preconditionFailure("EnvironmentStateMachine: \(event) in state \(state)")
    }
}
