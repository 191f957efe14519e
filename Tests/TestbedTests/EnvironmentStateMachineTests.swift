import Foundation
import Testing
@testable import Testbed
@testable import TestbedSystem

/// The environment's life as a value: every transition of ``EnvironmentStateMachine`` and the
/// action it returns, the refused ones included, with no process started.
@Suite struct EnvironmentStateMachineTests {
    private let run = RunDirectory(path: "/nonexistent/testbed-machine/run")

    /// A machine whose start has reached its services, with a run directory (and no plan).
    private func startingServices(keepsRunDirectory: Bool = false) -> (EnvironmentStateMachine, Milestone) {
        var machine = EnvironmentStateMachine(keepsRunDirectory: keepsRunDirectory)
        _ = machine.startRequested()
        machine.runDirectoryCreated(run)
        machine.runRegistered()
        let abort = machine.servicesStarting()
        return (machine, abort)
    }

    private func running(keepsRunDirectory: Bool = false) -> EnvironmentStateMachine {
        var (machine, _) = startingServices(keepsRunDirectory: keepsRunDirectory)
        machine.startSucceeded()
        return machine
    }

    private func died(_ afterReady: Bool) -> EnvironmentError {
        EnvironmentError(afterReady ? .serviceDied : .exitedDuringStart, service: "app", "exited (status 1)")
    }

    @Test func aStartRunsThroughItsStepsToRunningAndAStopTearsDownToStopped() {
        var machine = EnvironmentStateMachine(keepsRunDirectory: false)
        #expect(machine.isAtRest && !machine.isReady && !machine.isDown && machine.runDirectory == nil)
        guard case .start = machine.startRequested() else { Issue.record("the first start was refused"); return }
        #expect(!machine.isAtRest && !machine.isReady)
        machine.runDirectoryCreated(run)
        #expect(machine.runDirectory == run)
        machine.runRegistered()
        _ = machine.servicesStarting()
        machine.startSucceeded()
        #expect(machine.isReady && !machine.isDown && !machine.isAtRest)
        guard case .tearDown = machine.stopRequested() else { Issue.record("a running stop did not tear down"); return }
        #expect(!machine.isReady && machine.isDown && !machine.isAtRest)
        guard case .remove(let removed, savingLogs: false) = machine.servicesStopped() else {
            Issue.record("the run directory was not removed"); return
        }
        #expect(removed == run)
        let tornDown = machine.teardownFinished()
        guard case .stopped = machine.state else { Issue.record("not stopped: \(machine.state)"); return }
        #expect(machine.isAtRest && machine.isDown && machine.runDirectory == run && tornDown === machine.tornDown)
    }

    @Test func aSecondStartIsRefusedWhileRunningAndAfterTheStop() {
        var machine = running()
        guard case .refuse(let error) = machine.startRequested() else { Issue.record("a second start ran"); return }
        #expect(error.code == .alreadyStarted)
        #expect(machine.isReady)
        _ = machine.stopRequested()
        _ = machine.teardownFinished()
        guard case .refuse = machine.startRequested() else { Issue.record("a start after the stop ran"); return }
    }

    @Test func aStopBeforeTheStartStopsAndTheStartIsThenRefused() {
        var machine = EnvironmentStateMachine(keepsRunDirectory: false)
        guard case .none = machine.stopRequested() else { Issue.record("an idle stop did something"); return }
        #expect(machine.isDown && machine.isAtRest)
        guard case .refuse = machine.startRequested() else { Issue.record("a start after the stop ran"); return }
    }

    @Test func aStopDuringTheStartInterruptsItAndTheInterruptedStartKeepsNothing() async {
        var (machine, abort) = startingServices()
        guard case .interruptStart(let toFail, let error, let finished) = machine.stopRequested() else {
            Issue.record("a stop during the start did not interrupt it"); return
        }
        #expect(toFail === abort && finished === machine.startFinished && error.code == .interrupted)
        #expect(!machine.isDown, "the start's own failure tears down, not the stop")
        abort.fail(error)
        await #expect(throws: EnvironmentError.self) { try await abort.wait() }
        guard case .reportAndTearDown(let failure) = machine.startFailed(error) else { Issue.record("no teardown"); return }
        #expect(failure.code == .interrupted && failure.runDirectory == nil)
        guard case .wait(let milestones) = machine.stopRequested() else { Issue.record("a second stop did not wait"); return }
        #expect(milestones.count == 2 && milestones[0] === machine.startFinished && milestones[1] === machine.tornDown)
        guard case .remove(_, savingLogs: false) = machine.servicesStopped() else { Issue.record("the run was kept"); return }
        _ = machine.teardownFinished()
        guard case .failed(let run) = machine.state else { Issue.record("not failed: \(machine.state)"); return }
        #expect(run?.directory == self.run && machine.isAtRest)
    }

    @Test func aServiceThatFailsItsStartKeepsTheRunDirectoryAndNamesIt() {
        var (machine, _) = startingServices()
        let error = EnvironmentError(.healthCheckFailed, service: "app", "did not pass")
        guard case .reportAndTearDown(let failure) = machine.startFailed(error) else { Issue.record("no teardown"); return }
        #expect(failure.runDirectory == run.path && failure.code == .healthCheckFailed)
        guard case .keep(let kept) = machine.servicesStopped() else { Issue.record("the run was removed"); return }
        #expect(kept == run)
    }

    @Test func anErrorOtherThanAnEnvironmentErrorWhileServicesStartIsAnInterruption() {
        var (machine, _) = startingServices(keepsRunDirectory: true)
        guard case .reportAndTearDown(let failure) = machine.startFailed(CancellationError()) else {
            Issue.record("no teardown"); return
        }
        #expect(failure.code == .interrupted && failure.message.hasPrefix("the start was interrupted: "))
        #expect(failure.runDirectory == run.path, "kept runs are named even when interrupted")
    }

    @Test func aFailureUndoesOnlyWhatTheStartHadMade() {
        struct Planning: Error {}
        var preparing = EnvironmentStateMachine(keepsRunDirectory: false)
        _ = preparing.startRequested()
        guard case .fail(let error) = preparing.startFailed(Planning()) else { Issue.record("undid something"); return }
        #expect(error is Planning && preparing.runDirectory == nil && preparing.isAtRest)

        var registering = EnvironmentStateMachine(keepsRunDirectory: true)
        _ = registering.startRequested()
        registering.runDirectoryCreated(run)
        guard case .removeRunDirectory(let removed, _) = registering.startFailed(Planning()) else {
            Issue.record("the unregistered run directory was not removed"); return
        }
        #expect(removed == run && registering.isAtRest)

        var settingUp = EnvironmentStateMachine(keepsRunDirectory: false)
        _ = settingUp.startRequested()
        settingUp.runDirectoryCreated(run)
        settingUp.runRegistered()
        guard case .tearDown(let thrown) = settingUp.startFailed(Planning()) else { Issue.record("no teardown"); return }
        #expect(thrown is Planning && settingUp.isDown && !settingUp.isAtRest)
        guard case .remove = settingUp.servicesStopped() else { Issue.record("the run was kept"); return }
    }

    @Test func aStopOfARunningEnvironmentKeepsTheRunDirectoryWhenTheOptionsSaySo() {
        var machine = running(keepsRunDirectory: true)
        machine.logsRequested()
        _ = machine.stopRequested()
        guard case .keep = machine.servicesStopped() else { Issue.record("the run was removed"); return }
    }

    @Test func keptLogsAreSavedOnlyWhenTheRunDirectoryIsRemoved() {
        var machine = running()
        machine.logsRequested()
        _ = machine.stopRequested()
        guard case .remove(_, savingLogs: true) = machine.servicesStopped() else { Issue.record("no logs saved"); return }
    }

    @Test func aServiceThatExitsDuringTheStartFailsItOnceAndResumesWhoWaits() async {
        var (machine, abort) = startingServices()
        let received = await withCheckedContinuation { (waiter: CheckedContinuation<EnvironmentError, Never>) in
            #expect(machine.failureAwaited(waiter) == nil)
            guard case .failStart(let error, let toFail, let waiters) = machine.serviceExited(died) else {
                Issue.record("the exit did not fail the start"); waiter.resume(returning: died(true)); return
            }
            #expect(toFail === abort && waiters.count == 1 && error.code == .exitedDuringStart)
            for waiter in waiters { waiter.resume(returning: error) }
        }
        #expect(received.code == .exitedDuringStart && machine.failure?.code == .exitedDuringStart)
        guard case .none = machine.serviceExited(died) else { Issue.record("a second exit failed the start again"); return }
    }

    @Test func aDeathAfterReadyIsReportedEachTimeButRecordedOnce() {
        var machine = running()
        guard case .reportDeath(let first, let waiters) = machine.serviceExited(died) else { Issue.record("unreported"); return }
        #expect(first.code == .serviceDied && waiters.isEmpty && machine.failure?.code == .serviceDied)
        guard case .reportDeath = machine.serviceExited({ _ in EnvironmentError(.serviceDied, service: "other", "exited") }) else {
            Issue.record("the second death was not reported"); return
        }
        #expect(machine.failure?.service == "app")
    }

    @Test func aDeathDuringOrAfterTheStopIsIgnored() {
        var machine = running()
        _ = machine.stopRequested()
        guard case .none = machine.serviceExited(died) else { Issue.record("a death while stopping counted"); return }
        _ = machine.teardownFinished()
        guard case .none = machine.serviceExited(died) else { Issue.record("a death after the stop counted"); return }
        guard case .none = machine.stopRequested() else { Issue.record("a stop after the stop did something"); return }
        #expect(machine.failure == nil)
    }

    @Test func aFailureServicesStartWithIsPlacedAtTheServicesManifestLine() throws {
        let directory = try makeTemporaryDirectory()
        let manifest = try ManifestLoader.parse(yaml: """
            name: m
            services:
              app:
                command: ["sleep", "1"]
            """, path: directory + "/m.yml", directory: directory)
        let plan = try EnvironmentPlan(manifest: manifest, runDirectory: RunDirectory(path: directory + "/run"),
                                       environment: ["PATH": "/usr/bin:/bin"], cacheRoot: directory + "/cache",
                                       portAllocator: PortAllocator(lockDirectory: try makeTemporaryDirectory()))
        defer { plan.releasePorts() }
        var machine = EnvironmentStateMachine(keepsRunDirectory: false)
        _ = machine.startRequested()
        machine.runDirectoryCreated(run)
        machine.runRegistered()
        machine.planned(plan)
        _ = machine.servicesStarting()
        #expect(machine.plan != nil)
        guard case .reportAndTearDown(let failure) = machine.startFailed(died(false)) else { Issue.record("no teardown"); return }
        #expect(failure.location?.line == 3 && failure.location?.file == directory + "/m.yml")
    }
}
