import Foundation

extension Environment {
    /// Tears the environment down: dependents before their dependencies, each service's
    /// teardown steps, then files. Safe to call at any time and more than once; while a
    /// start is running it interrupts it and waits for its cleanup.
    public func stop() async {
        switch phase {
        case .idle:
            phase = .stopped
        case .starting:
            abort.fail(EnvironmentError(.interrupted, "the start was interrupted"))
            try? await startFinished.wait()
        case .ready:
            await teardown(keep: options.keepRunDirectory)
        case .stopping:
            try? await startFinished.wait()
            try? await tornDown.wait()
        case .stopped:
            break
        }
    }

    /// Stops every service in reverse dependency order, in parallel where allowed.
    func teardown(keep: Bool) async {
        phase = .stopping
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
        if let run = runDirectory {
            ProcessRegistry.removeDirectory(run.path)
            if savesLogs && !keep && !options.keepRunDirectory { await saveLogs(of: run) }
            // A PostgreSQL data directory is thousands of files: removed off the concurrency pool.
            if !keep && !options.keepRunDirectory { await BlockingWork.run { run.remove() } } else { run.markKept() }
        }
        phase = .stopped
        emit(nil, .stopped, nil)
        tornDown.reach()
    }
}
