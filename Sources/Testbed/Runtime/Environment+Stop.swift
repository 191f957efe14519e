import Foundation
import TestbedSystem

extension Environment {
    /// Tears the environment down: dependents before their dependencies, each service's
    /// teardown steps, then files. Safe to call at any time and more than once; while a
    /// start is running it interrupts it and waits for its cleanup.
    public func stop() async {
        switch machine.stopRequested() {
        case .none:
            break
        case .interruptStart(let abort, let error, let finished):
            abort.fail(error)
            try? await finished.wait()
        case .tearDown:
            await teardown()
        case .wait(let milestones):
            for milestone in milestones { try? await milestone.wait() }
        }
    }

    /// Stops every service in reverse dependency order, in parallel where allowed; then
    /// removes or keeps the run directory, as the state machine says.
    func teardown() async {
        let drivers = self.drivers
        await stopToxiproxy()  // first: no client makes links while they stop
        let links = self.links
        await links.delete(fronting: nil)  // links Toxiproxy clients made
        let services = plan?.services ?? []
        let stopped = Dictionary(uniqueKeysWithValues: services.map { ($0.name, Milestone()) })
        let dependents = Dictionary(grouping: services.flatMap { service in
            service.dependencies.map { (dependency: $0.service, dependent: service.name) }
        }, by: \.dependency).mapValues { $0.map(\.dependent) }
        await withTaskGroup(of: Void.self) { group in
            for service in services {
                let waitFor = (dependents[service.name] ?? []).compactMap { stopped[$0] }
                let driver = drivers[service.name]
                let done = stopped[service.name]!
                let report = reporter(for: service.name)
                // A one-shot job that already exited has nothing to stop.
                let started = milestones[service.name]?.started.isReached == true && processes[service.name]?.exitStatus == nil
                group.addTask {
                    for milestone in waitFor { try? await milestone.wait() }
                    await links.delete(fronting: service.name)
                    if let driver {
                        if started { report(.stopping, nil) }
                        await driver.stop()
                        if started { report(.stopped, nil) }
                    }
                    done.reach()
                }
            }
        }
        await links.deleteAll()
        plan?.releasePorts()
        switch machine.servicesStopped() {
        case .none:
            break
        case .keep(let run):
            ProcessRegistry.removeDirectory(run.path)
            run.markKept()
        case .remove(let run, let savingLogs):
            ProcessRegistry.removeDirectory(run.path)
            if savingLogs { await saveLogs(of: run) }
            // A PostgreSQL data directory is thousands of files: removed off the concurrency pool.
            await BlockingWork.run { run.remove() }
        }
        let tornDown = machine.teardownFinished()
        emit(nil, .stopped, nil)
        tornDown.reach()
    }
}
