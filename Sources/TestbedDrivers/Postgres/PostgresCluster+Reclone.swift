import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// Where a warm start cloned the run's data directory from by reflink: the cache entry
/// and the trees that hold its unpacked tree (beside the cache, or in the ``LoopImage``).
struct RecloneSource: Sendable {
    let key: String
    let trees: ClusterTrees
}

extension PostgresCluster {
    /// Resets the whole cluster by cloning its data directory again, when the warm start
    /// cloned it by reflink (``recloneSource``: a pack of ``ClusterTrees/smallestPack`` or
    /// more, or `TESTBED_STORAGE=reflink`; below, a spare costs little and a reset by rename
    /// takes ~3 ms against ~120 ms for a restart) and the cluster holds only the spec's
    /// databases (with their templates, spares and trash, `postgres`, `template0` and
    /// `template1`): the server stops at once (SIGQUIT: connections end, as with any reset),
    /// the used data directory is renamed aside (in the image: the clone in the run's folder,
    /// the folder and the image's hold stay; deleted in the background once the new server
    /// runs, ``stop()`` waits for it), the tree is cloned again as the warm start does
    /// (templates left in the tree), and a server starts on the same port, account, settings,
    /// socket and password. The `postgres` database, roles and every other cluster-wide
    /// object go back to the seeded state too, as in a new run.
    ///
    /// Returns nil, having changed nothing, when it does not apply: no reflink clone, another
    /// database in the cluster (a per-test clone, one a test made), a clone beside it, or a
    /// spare ready (``prepareResets()`` asked for resets by rename); the caller then resets
    /// through the spares. Throws ``PostgresError`` when the clone or the start fails: the
    /// cluster has no server then.
    func resetByRecloning() async throws -> DatabaseReset? {
        guard let source = recloneSource.withLock({ $0 }) else { return nil }
        let process = try await spares.restart(spec.databases) { () async throws -> ServiceProcess? in
            try await withTaskExecutorPreference(BlockingWork.executor) { try await self.reclone(from: source) }
        }
        return process.map { DatabaseReset(replacement: $0, note: "re-cloned by reflink") }
    }

    /// The restart of ``resetByRecloning()``, in the turn of resets; nil when another
    /// database is in the cluster.
    private func reclone(from source: RecloneSource) async throws -> ServiceProcess? {
        let clock = ContinuousClock()
        let began = clock.now
        guard holdsOnlySeededDatabases() else { return nil }
        await stopServer(role: "main", fast: false)
        let stopped = clock.now
        let (link, staging) = (dataDirectory, templates.stagingFolders)
        let used = imageClone.withLock { $0?.dataDirectory } ?? link
        // Renamed aside (same folder, same file system) and deleted once the new server runs.
        let retired = used + "-retired-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        await BlockingWork.run {
            if rename(used, retired) != 0 { ClusterFiles.remove(used) }
            if used != link { ClusterFiles.remove(link) }  // the link into the image
            staging.forEach(ClusterFiles.remove)
        }
        let method = try await cloneCached(source.key, from: source.trees, retrying: false)
        let cloned = clock.now
        let server = try await runningServer(dataDirectory, role: "main")
        removeInBackground(retired)
        let place = imageClone.withLock { $0 != nil } ? ", in the reflink image" : ""
        let how = method == .reflink ? "by reflink" : "(\(method?.rawValue ?? "copy"))"
        options.report(.note, "reset: the cluster re-cloned \(how)\(place) in \(Self.ms(clock.now - began)) ms "
                       + "(server stopped in \(Self.ms(stopped - began)) ms, cloned in \(Self.ms(cloned - stopped)) ms, "
                       + "postgres ready in \(Self.ms(clock.now - cloned)) ms, pid \(server.process.pid))")
        return server.process
    }

    /// Deletes `tree` (nothing in it is followed: the server's account owns it) off the
    /// reset's path; ``stop()`` waits for it. Killed meanwhile, the run directory (or the
    /// clone's folder in the image) it is in goes with the rest.
    private func removeInBackground(_ tree: String) {
        let task = Task { await BlockingWork.run { ClusterFiles.remove(tree) } }
        publications.withLock { $0.append(task) }
    }

    /// True when every database of the cluster is one a re-clone puts back as it was: the
    /// spec's, their templates, spares and trash, `postgres`, `template0`, `template1`.
    /// False when another exists or the catalog cannot be read (the spares then reset).
    private func holdsOnlySeededDatabases() -> Bool {
        let names = try? adminConnections.run(avoiding: "") { admin throws(PostgresError) in
            try admin.query("SELECT datname FROM pg_database").compactMap { $0.first ?? nil }
        }
        guard let names else { return false }
        let known = Set(["postgres", "template0", "template1"] + spec.databases.flatMap { database in
            [database, Self.templateName(database), SpareDatabases.spareName(database)]
        })
        return names.allSatisfy { name in
            known.contains(name) || spec.databases.contains { SpareDatabases.isTrash(name, of: $0) }
        }
    }
}
