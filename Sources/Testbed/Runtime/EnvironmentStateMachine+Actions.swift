/// The actions ``EnvironmentStateMachine``'s events return: what ``Environment`` does next.
extension EnvironmentStateMachine {
    /// What ``Environment/start()`` does when called.
    enum StartAction {
        /// Start: the machine is ``State/starting(_:)``.
        case start
        /// Throw this (`alreadyStarted`): the environment was started, or stopped, before.
        case refuse(EnvironmentError)
    }

    /// What the start does after a failure, before it throws.
    enum StartFailureAction {
        /// Nothing was made: throw the error as it is.
        case fail(any Error)
        /// Remove the run directory (no crash cleanup knows it yet), then throw the error.
        case removeRunDirectory(RunDirectory, then: any Error)
        /// Tear down what the setup made (the run directory too), then throw the error as it is.
        case tearDown(then: any Error)
        /// Report the failure (a `failed` event), tear down, then throw it.
        case reportAndTearDown(EnvironmentError)
    }

    /// What ``Environment/stop()`` does when called.
    enum StopAction {
        /// Nothing runs: return.
        case none
        /// The start runs: fail `abort` with `error` (the start then tears down), and wait for `finished`.
        case interruptStart(abort: Milestone, error: EnvironmentError, finished: Milestone)
        /// Tear the running environment down.
        case tearDown
        /// A teardown runs already: wait for each milestone in turn.
        case wait(for: [Milestone])
    }

    /// What a teardown does with the run directory once every service has stopped.
    enum FilesAction {
        /// There is none (a start that failed before making one).
        case none
        /// Mark it kept.
        case keep(RunDirectory)
        /// Remove it, saving the logs first when asked.
        case remove(RunDirectory, savingLogs: Bool)
    }

    /// What the environment does when a service's process exits on its own.
    enum FailureAction {
        /// Nothing: the environment is not up (or not yet starting services), or stops anyway.
        case none
        /// Fail the start with the error: fail `abort` and resume the waiters.
        case failStart(EnvironmentError, abort: Milestone, waiters: [FailureWaiter])
        /// Report the death (a `failed` event) and resume the waiters (none after the first death).
        case reportDeath(EnvironmentError, waiters: [FailureWaiter])
    }
}
