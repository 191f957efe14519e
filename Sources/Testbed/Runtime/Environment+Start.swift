import Foundation
import TestbedSystem
import TestbedSeed
import TestbedDrivers

extension Environment {
    /// Starts every service in dependency order (independent ones in parallel) and
    /// returns when all are healthy and every one-shot job has completed.
    ///
    /// Throws `ManifestError` for unresolvable values and ``EnvironmentError`` for
    /// everything else; before it throws, all it started is torn down (the run directory
    /// is kept, and named in the error, unless nothing had started yet).
    public func start() async throws {
        if case .refuse(let error) = machine.startRequested() { throw error }
        defer { machine.startFinished.reach() }
        emit(nil, .starting, name)
        let plan: EnvironmentPlan
        do {
            let run = try await makeRunDirectory()
            plan = try await setUp(run)
            try await startServices(of: plan)
        } catch {
            throw await startFailed(error)
        }
        machine.startSucceeded()
        emit(nil, .ready, plan.services.map(\.name).joined(separator: ", "))
    }

    /// Chooses the run root, makes the run directory in it and registers it for crash
    /// cleanup. Throws ``EnvironmentError`` (`runDirectory`, or the root's own errors).
    private func makeRunDirectory() async throws -> RunDirectory {
        // The room the run needs is known (from the cached packs) before its root is chosen:
        // a run that does not fit in memory goes to disk, or fails here, never halfway.
        let size = await BlockingWork.run { self.runSize() }
        let chosen = try RunRoot.choose(named: options.runRoot, environment: options.environment, need: size.bytes,
                                        isEstimate: !size.isKnown)
        if let note = chosen.note { announce(note) }
        let root = chosen.path
        let run: RunDirectory
        do {
            // A root another user made or can write is refused before anything in it is trusted.
            try RunDirectory.prepareRoot(root)
            // The cheap part of `testbed gc`: what dead runs left, except the newest few
            // directories kept on purpose (failed starts), so a library user needs no `gc`.
            // It reads /proc and deletes trees: off the concurrency pool.
            try await BlockingWork.run {
                Result { _ = try Collector(root: root).collect(includingKept: false, keepingNewest: Collector.keptRunsLimit) }
            }.get()
            run = try RunDirectory.create(root: root, name: name)
        } catch let error as PathTrustError {
            throw EnvironmentError(.runDirectory, error.message, hint: error.hint)
        } catch {
            throw EnvironmentError(.runDirectory, "cannot create the run directory: \(error)",
                                   hint: "set TESTBED_RUN_ROOT to a writable folder")
        }
        machine.runDirectoryCreated(run)
        RunState(pid: getpid(), name: name, manifest: manifest.path).write(to: run)
        do {
            // One watchdog per process, its list under the user's default run root (where
            // `testbed gc` looks), whatever root this environment uses.
            try Watchdog.ensureStarted(root: RunDirectory.root(environment: ProcessInfo.processInfo.environment))
            ProcessRegistry.addDirectory(run.path)
        } catch {
            if let error = error as? PathTrustError { throw EnvironmentError(.runDirectory, error.message, hint: error.hint) }
            throw EnvironmentError(.runDirectory, "cannot start the watchdog that cleans up after a crash: \(error)")
        }
        machine.runRegistered()
        return run
    }

    /// Plans the run, makes the drivers, plans the links and starts the Toxiproxy endpoint
    /// and the links to external URLs: all but the services.
    private func setUp(_ run: RunDirectory) async throws -> EnvironmentPlan {
        let plan = try EnvironmentPlan(manifest: manifest, name: name, runDirectory: run, environment: options.environment,
                                       cacheRoot: options.cacheRoot ?? Caches.root(environment: options.environment),
                                       tapeMode: options.tapeMode)
        machine.planned(plan)
        try await makeDrivers(for: plan)
        try await planLinks(plan)
        try await startToxiproxy()
        try await startExternalLinks()
        return plan
    }

    /// Starts every service, each once its dependencies are ready; ends early, throwing,
    /// when one fails, a service dies or ``stop()`` interrupts the start.
    private func startServices(of plan: EnvironmentPlan) async throws {
        for service in plan.services { milestones[service.name] = ServiceMilestones() }
        let abort = machine.servicesStarting()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in plan.services {
                group.addTask { try await self.startService(service) }
            }
            group.addTask {
                // Ends the group early when a service dies or stop() interrupts the start.
                try await abort.wait()
            }
            do {
                for _ in plan.services { try await group.next() }
                abort.reach()
                try await group.next()
            } catch {
                for milestones in self.milestones.values { milestones.failAll(error) }
                abort.fail(error)
                group.cancelAll()
                throw error
            }
        }
    }

    /// Undoes what the failed start had made, as the state machine says; returns the error to throw.
    private func startFailed(_ error: any Error) async -> any Error {
        switch machine.startFailed(error) {
        case .fail(let error):
            return error
        case .removeRunDirectory(let run, let error):
            run.remove()
            return error
        case .tearDown(let error):
            await teardown()
            return error
        case .reportAndTearDown(let failure):
            emit(failure.service, .failed, failure.message)
            await teardown()
            return failure
        }
    }

    /// A note for the user about the whole run: an event, and on stderr when nobody
    /// listens to events (a library caller would otherwise never see it).
    private func announce(_ note: String) {
        emit(nil, .note, note)
        if options.onEvent == nil { FileHandle.standardError.write(Data("testbed: note: \(note)\n".utf8)) }
    }

    private func startService(_ service: PlannedService) async throws {
        guard let milestones = milestones[service.name], let driver = drivers[service.name] else { return }
        if !service.dependencies.isEmpty {
            emit(service.name, .waiting, service.dependencies.map(\.service).joined(separator: ", "))
        }
        for dependency in service.dependencies {
            guard let other = self.milestones[dependency.service] else { continue }
            switch dependency.condition {
            case .started: try await other.started.wait()
            case .healthy: try await other.healthy.wait()
            case .completedSuccessfully: try await other.completed.wait()
            }
        }
        try Task.checkCancellation()
        let stage = stages[service.name] ?? StartStage()
        let progress = reportProgress(of: service.name, stage: stage)
        defer { progress?.cancel() }
        try await withStartDeadline(service, driver: driver, stage: stage) {
            try await self.bringUp(service, driver: driver, milestones: milestones, stage: stage)
        }
    }

    /// Starts one service whose dependencies are ready, and returns once it is ready.
    private func bringUp(_ service: PlannedService, driver: any ServiceDriver, milestones: ServiceMilestones,
                         stage: StartStage) async throws {
        emit(service.name, .starting)
        // Hand the ports over: each reservation's socket goes, its cross-run lock stays
        // until the teardown releases the plan's reservations.
        for port in service.ports.values { port.releaseSocket() }
        stage.set(service.seedStepCount == 0 ? "its start" : "its start (\(service.seedStepCount) seed step(s))")
        let process: ServiceProcess?
        do {
            process = try await driver.start(report: reporter(for: service.name, stage: stage, startTimeout: service.startTimeout))
        } catch let error as SeedError {
            // A step cut short by the start deadline: the deadline's error names it.
            if Task.isCancelled { throw error }
            throw EnvironmentError(.seedFailed, service: service.name, error.description)
        } catch {
            if let launch = service.kind as? ProcessPlan {
                throw EnvironmentError(.spawnFailed, service: service.name, "cannot start \(launch.argv.joined(separator: " ")): \(error)",
                                       hint: "check 'command' in the manifest; a string runs through /bin/sh -c, a list runs directly")
            }
            // A kind that spawns a program of its own (a container's engine) failed to spawn it.
            if error is ServiceProcessError { throw EnvironmentError(.spawnFailed, service: service.name, "\(error)") }
            throw EnvironmentError(.databaseFailed, service: service.name, "\(error)")
        }
        if let process { processes[service.name] = process }
        milestones.started.reach()
        if service.isJob, let process {
            stage.set("the one-shot job (pid \(process.pid))")
            stage.begin(.running, subject: "the one-shot job (pid \(process.pid))", limit: service.startTimeout,
                        limitSetting: "start_timeout")
            let status = await process.waitForExit(stoppingOnCancel: Self.jobTeardown(service))
            stage.endActivity()
            try Task.checkCancellation()
            guard status.isSuccess else {
                throw EnvironmentError(.jobFailed, service: service.name, "the one-shot job failed (\(status))",
                                       logTail: await process.finalLines(), logFile: process.options.logFile,
                                       hint: "dependents wait for it to exit with status 0")
            }
            milestones.healthy.reach()
            milestones.completed.reach()
            emit(service.name, .completed, status.description)
            return
        }
        if let check = service.healthCheck {
            try await waitUntilHealthy(service, check: check, process: process, stage: stage)
        } else {
            if let process, let status = process.exitStatus {
                throw Self.exitedDuringStart(service, process, status, logTail: await process.finalLines())
            }
            emit(service.name, .healthy, "no health check")
        }
        if let process, let status = process.exitStatus {
            throw Self.exitedDuringStart(service, process, status, logTail: await process.finalLines())
        }
        try await startLinks(fronting: service.name)
        milestones.healthy.reach()
        // A reset during the start may have replaced the process (see resetDatabase).
        if let process = processes[service.name] ?? process { watch(service, process) }
    }

    /// Reports a long-running service that exits while the environment is up, unless a
    /// reset replaced the process (a planned restart): its exit waits for the service's
    /// resets to end, then counts only if the process is still the service's.
    func watch(_ service: PlannedService, _ process: ServiceProcess) {
        Task {
            let status = await process.waitForExit()
            let lines = await process.finalLines()
            await self.resetsSettled(service.name)
            guard self.processes[service.name] === process else { return }
            self.serviceExited(service, process, status, lines)
        }
    }

    private func serviceExited(_ service: PlannedService, _ process: ServiceProcess, _ status: ExitStatus, _ lines: [String]) {
        let action = machine.serviceExited { afterReady in
            // Before ready, the stack was never ready: the start fails with it, and start() reports it (once).
            afterReady ? Self.died(service, process, status, logTail: lines)
                : Self.exitedDuringStart(service, process, status, logTail: lines)
        }
        switch action {
        case .none:
            return
        case .failStart(let error, let abort, let waiters):
            abort.fail(error)
            for waiter in waiters { waiter.resume(returning: error) }
        case .reportDeath(let error, let waiters):
            emit(service.name, .failed, error.message)
            for waiter in waiters { waiter.resume(returning: error) }
        }
    }

    /// A long-running service whose process ended after the environment was ready.
    static func died(_ service: PlannedService, _ process: ServiceProcess, _ status: ExitStatus,
                     logTail: [String]) -> EnvironmentError {
        var error = EnvironmentError(.serviceDied, service: service.name, "exited unexpectedly (\(status))",
                                     logTail: logTail, logFile: process.options.logFile,
                                     hint: status.isSuccess ? EnvironmentError.exitZeroHint
                                         : "the environment is torn down when a service dies; its log says why")
        error.location = service.location
        return error
    }

    /// A long-running service whose process ended before the environment was ready.
    static func exitedDuringStart(_ service: PlannedService, _ process: ServiceProcess, _ status: ExitStatus,
                                  logTail: [String]) -> EnvironmentError {
        var error = EnvironmentError(.exitedDuringStart, service: service.name, "exited during the start (\(status))",
                                     logTail: logTail, logFile: process.options.logFile,
                                     hint: status.isSuccess ? EnvironmentError.exitZeroHint : "the service's own output above says why")
        error.location = service.location
        return error
    }

}

/// What a run directory records about its owner, for `testbed ls` and `gc`.
struct RunState: Codable {
    var pid: Int32
    var name: String
    var manifest: String

    func write(to run: RunDirectory) {
        if let data = try? JSONEncoder().encode(self) {
            try? data.write(to: URL(fileURLWithPath: run.stateFile))
        }
    }

    static func read(from run: RunDirectory) -> RunState? {
        guard let data = FileManager.default.contents(atPath: run.stateFile) else { return nil }
        return try? JSONDecoder().decode(RunState.self, from: data)
    }
}
