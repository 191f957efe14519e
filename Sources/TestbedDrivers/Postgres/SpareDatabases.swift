import Foundation
import TestbedSystem

/// One ready copy of each seeded database, `DB__testbed_spare`, made from its template
/// in the background after the first reset or clone of it (or ``prepare(_:)``), so that a reset is a few catalog updates: the used database is
/// renamed away (`DB__testbed_trashN`, dropped later in the background) and the spare
/// renamed into its place. ``PostgresCluster/cloneDatabase(named:from:)`` takes the spare the same way.
///
/// Resets and clones run one at a time, in call order. A reset that finds no spare
/// ready waits for the one being made; without one (its creation failed) it falls back
/// to drop + create from the template. ``close()`` stops new work and hands back what
/// is under way, for ``PostgresCluster/stop()`` to await once the server is gone.
///
/// A reset that re-clones the whole cluster (``restart(_:_:)``) takes its turn like a reset,
/// once nothing is being made, and only while no clone or preparation runs beside it; those
/// that come while it runs wait for it. The spares, trash and written templates of the old
/// data directory are forgotten then.
actor SpareDatabases {
    private let connector: ClusterConnector
    /// Spare creations under way, by seeded database.
    private var refills: [String: Task<Void, Never>] = [:]
    /// Seeded databases whose spare exists.
    private var ready: Set<String> = []
    /// The last reset or clone: the next one waits for it.
    private var tail: Task<Void, Never>?
    /// Databases that resets renamed away, to drop once the spare that replaces them is made.
    private var trash: [String] = []
    private var trashCount = 0
    /// The last drop of such databases: the next one waits for it.
    private var cleanup: Task<Void, Never>?
    private var closed = false
    /// The administration connection of resets and clones.
    private let admin: AdminSession

    /// The templates a warm start left in the pack.
    private let templates: DeferredTemplates
    /// Template folders being written, by seeded database.
    private var restoring: [String: Task<Result<Void, PostgresError>, Never>] = [:]

    /// The connections of clones made side by side.
    private let connections: AdminConnections

    /// Clones and preparations running outside the turn of resets (a restart waits for none).
    private var sideWork = 0
    /// True while a restart (a re-clone of the cluster) runs; side work waits for it.
    private var restarting = false
    private var restartWaiters: [CheckedContinuation<Void, Never>] = []

    init(connector: ClusterConnector, templates: DeferredTemplates, connections: AdminConnections) {
        self.connector = connector
        self.connections = connections
        self.admin = AdminSession(connector: connector)
        self.templates = templates
    }

    /// Makes sure the template of `database` is in the data directory (written from the
    /// pack the first time; see ``DeferredTemplates``).
    func ensureTemplate(_ database: String) async throws {
        guard templates.isDeferred(database) else { return }
        guard !closed else { throw PostgresError(code: .connection, message: "the cluster is stopping") }
        let task = restoring[database] ?? {
            let templates = templates
            let task = Task { await BlockingWork.run { Result { () throws(PostgresError) in try templates.restore(database) } } }
            restoring[database] = task
            return task
        }()
        let result = await task.value
        if case .failure = result { restoring[database] = nil }  // the next call tries again
        try result.get()
    }

    /// Makes the templates and spares of `databases` now, and waits for them: later
    /// resets and clones then cost a rename each.
    func prepare(_ databases: [String]) async throws {
        await waitForRestart()
        sideWork += 1
        defer { sideWork -= 1 }
        for database in databases {
            try await ensureTemplate(database)
            refill(database)
        }
        for database in databases { await refills[database]?.value }
    }

    static func spareName(_ database: String) -> String { database + "__testbed_spare" }
    static func trashName(_ database: String, _ number: Int) -> String { trashPrefix(database) + String(number) }
    private static func trashPrefix(_ database: String) -> String { database + "__testbed_trash" }
    /// True when `name` is a database a reset of `database` renamed away (``trashName(_:_:)``).
    static func isTrash(_ name: String, of database: String) -> Bool {
        let prefix = trashPrefix(database)
        return name.hasPrefix(prefix) && Int(name.dropFirst(prefix.count)) != nil
    }

    /// Starts making the spare of each of `databases` that has none.
    func refill(_ databases: [String]) {
        for database in databases { refill(database) }
    }

    private func refill(_ database: String) {
        guard !closed, !restarting, refills[database] == nil, !ready.contains(database) else { return }
        let connector = connector
        refills[database] = Task {
            guard let strategy = try? await self.copyStrategy(database) else { return self.refilled(database, made: false) }
            let made = await BlockingWork.run { (try? connector.makeSpare(of: database, strategy: strategy)) != nil }
            self.refilled(database, made: made)
        }
    }

    private func refilled(_ database: String, made: Bool) {
        refills[database] = nil
        if made && !closed { ready.insert(database) }
        dropTrash()
    }

    /// Drops the databases resets renamed away, in the background, after the spare
    /// (which a reset may be waiting for) is made: both would wait for checkpoints.
    private func dropTrash() {
        guard !closed, !trash.isEmpty else { return }
        let names = trash
        trash = []
        let previous = cleanup
        let connector = connector
        cleanup = Task {
            await previous?.value
            await BlockingWork.run {
                guard let admin = try? connector.connect("postgres") else { return }
                defer { admin.close() }
                for name in names { try? admin.execute("DROP DATABASE IF EXISTS \(quoteIdentifier(name))") }
            }
        }
    }

    private func nextTrashName(_ database: String) -> String {
        trashCount += 1
        return Self.trashName(database, trashCount)
    }

    private func discarded(_ name: String) { trash.append(name) }

    /// True (and the spare is no longer counted as ready) when the spare of `database`
    /// exists, after waiting for one under way.
    private func takeSpare(_ database: String) async -> Bool {
        await refills[database]?.value
        return ready.remove(database) != nil
    }

    /// Puts `database` back in its seeded state.
    func reset(_ database: String) async throws {
        try await serialized {
            try await self.ensureTemplate(database)
            let spare = await self.takeSpare(database)
            let strategy = try await self.copyStrategy(database)
            let trash = await self.nextTrashName(database)
            let admin = self.admin
            let result = await BlockingWork.run { () -> Result<Bool, PostgresError> in
                Result { () throws(PostgresError) in
                    var renamed = false
                    try admin.run(avoiding: database) { admin, connector throws(PostgresError) in
                        renamed = try connector.replace(database, useSpare: spare ? trash : nil, strategy: strategy, admin: admin)
                    }
                    return renamed
                }
            }
            if case .success(true) = result { await self.discarded(trash) }
            await self.refill(database)
            _ = try result.get()
        }
    }

    /// Creates `name` as a copy of the seeded state of `source`: the spare, renamed, when
    /// it is ready; else a copy of the template made at once, alongside other clones (the
    /// server copies several databases at a time; a clone does not wait for a spare).
    func clone(_ name: String, from source: String) async throws {
        await waitForRestart()
        sideWork += 1
        defer { sideWork -= 1 }
        try await ensureTemplate(source)
        guard !ready.contains(source) else {
            return try await serialized {
                let spare = await self.takeSpare(source)
                let strategy = try await self.copyStrategy(source)
                let admin = self.admin
                let result = await BlockingWork.run { () -> Result<Void, PostgresError> in
                    Result { () throws(PostgresError) in
                        try admin.run(avoiding: name) { admin, connector throws(PostgresError) in
                            try connector.clone(name, from: source, useSpare: spare, strategy: strategy, admin: admin)
                        }
                    }
                }
                await self.refill(source)
                try result.get()
            }
        }
        guard !closed else { throw PostgresError(code: .connection, message: "the cluster is stopping") }
        let strategy = try await copyStrategy(source)
        let (connector, connections) = (connector, connections)
        try await BlockingWork.run { () -> Result<Void, PostgresError> in
            Result { () throws(PostgresError) in
                try connections.run(avoiding: name) { admin throws(PostgresError) in
                    try connector.clone(name, from: source, useSpare: false, strategy: strategy, admin: admin)
                }
            }
        }.get()
    }

    /// How copies of the template of `database` are made (see ``CopyStrategy``).
    func copyStrategy(_ database: String) async throws -> CopyStrategy {
        CopyStrategy.templates
    }

    private func serialized<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tail
        let task = Task {
            await previous?.value
            try Task.checkCancellation()
            return try await operation()
        }
        tail = Task { _ = await task.result }
        return try await task.value
    }

    /// Runs `restart` (which stops the server, makes its data directory anew and starts
    /// it again) in the turn of resets, once no spare or drop is being made, and
    /// returns what it returns. Returns nil without running it when a spare of `databases`
    /// is ready (``prepare(_:)`` asked for resets by rename) or a clone or preparation runs
    /// beside it; `restart` itself returns nil when it declines. Once `restart` ran (or threw),
    /// the spares, trash and written templates of the old data directory are forgotten.
    func restart(_ databases: [String],
                 _ restart: @escaping @Sendable () async throws -> ServiceProcess?) async throws -> ServiceProcess? {
        try await serialized {
            guard await self.beginRestart(databases) else { return nil }
            do {
                let process = try await restart()
                await self.endRestart(restarted: process != nil)
                return process
            } catch {
                await self.endRestart(restarted: true)
                throw error
            }
        }
    }

    /// Waits until no spare or drop is being made; true (and restarting) when a restart may
    /// run. Template writes need no wait: only resets (not running: this is their turn),
    /// clones and preparations (none runs) start them, and each waits for its own.
    private func beginRestart(_ databases: [String]) async -> Bool {
        while true {
            guard !closed, sideWork == 0, ready.isDisjoint(with: databases) else { return false }
            if let refill = refills.values.first {
                await refill.value
            } else if let drop = cleanup {
                await drop.value
                if cleanup == drop { cleanup = nil }
            } else {
                restarting = true
                return true
            }
        }
    }

    private func endRestart(restarted: Bool) {
        if restarted {
            ready = []
            trash = []
            restoring = [:]
            admin.close()
            connections.dropIdle()
        }
        restarting = false
        let waiters = restartWaiters
        restartWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no restart runs.
    private func waitForRestart() async {
        while restarting {
            await withCheckedContinuation { restartWaiters.append($0) }
        }
    }

    /// Waits until no spare is being made and no reset or clone runs.
    func settle() async {
        await tail?.value
        while let refill = refills.values.first { await refill.value }
        await cleanup?.value
    }

    /// True while the spare of `database` is being made.
    func isRefilling(_ database: String) -> Bool { refills[database] != nil }

    /// True when the spare of `database` is ready.
    func isReady(_ database: String) -> Bool { ready.contains(database) }

    /// Stops starting work; returns what is under way (it ends with an error once the
    /// server is stopped).
    func close() -> [Task<Void, Never>] {
        closed = true
        ready = []
        let writes = restoring.values.map { task in Task { _ = await task.value } }
        return Array(refills.values) + writes + [tail, cleanup].compactMap { $0 }
    }

    /// Closes the administration connection, once what ``close()`` returned has ended.
    func finish() { admin.close() }
}
