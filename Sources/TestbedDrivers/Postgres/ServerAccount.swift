import Foundation
import TestbedSystem
import TestbedHealth
import TestbedModel
import TestbedSeed

/// Which accounts run `initdb` and `postgres`, and who owns the cluster's files.
///
/// PostgreSQL refuses to run as root. When Testbed is root, a run's server runs as an id
/// of its own: a ``DynamicUser`` leased for the cluster's life (no other run's server
/// shares it, so code running as one run's server — `COPY … TO PROGRAM` as superuser —
/// cannot read another run's cluster or socket). Every server of the run runs as that id,
/// the one that seeds a new cache entry too. Only `initdb` (which looks its account up
/// and refuses an id without a passwd entry) runs as the *builder*, `postgres`, in a
/// folder of its own; the run gets a copy owned by its id. With `run_as: NAME`, both are
/// NAME (the manifest's explicit choice). Not root: everything runs as the caller.
struct ServerAccount: Sendable {
    /// The account the run's server runs as (owner of `data` and `socket`); nil means "the
    /// caller, no switch, no chown".
    var user: UnixUser?
    /// The account `initdb` runs as (it needs a passwd entry).
    var builder: UnixUser?
    /// The lease of `user` when it is a dynamic id; released by ``release()`` (or when dropped).
    var lease: DynamicUser?

    /// Decides the accounts without leasing: a pure function of the inputs, so it can be
    /// tested without root. As root, both are `runAs ?? "postgres"` until ``leaseRunUser()``.
    static func resolve(isRoot: Bool, runAs: String?,
                        lookup: (String) -> UnixUser? = UnixUser.named) throws(PostgresError) -> ServerAccount {
        guard isRoot else { return ServerAccount(user: nil) }
        let name = runAs ?? "postgres"
        guard let user = lookup(name) else {
            throw PostgresError(
                code: .account,
                message: "PostgreSQL refuses to run as root, and there is no user '\(name)' to run it as",
                hint: runAs == nil
                    ? "create it (useradd --system postgres, or apt-get install postgresql) or set postgres: {run_as: USER}"
                    : "create the user '\(name)' (useradd --system \(name)) or change run_as")
        }
        guard user.uid != 0 else {
            throw PostgresError(code: .account, message: "run_as '\(name)' is root; PostgreSQL refuses to run as root",
                                hint: "set run_as to an unprivileged user")
        }
        return ServerAccount(user: user, builder: user)
    }

    /// The accounts of one run: ``resolve(isRoot:runAs:lookup:)``, then, as root without
    /// `run_as`, a dynamic id of the run's own for its server.
    static func forRun(runAs: String?) throws(PostgresError) -> ServerAccount {
        var account = try resolve(isRoot: UnixUser.isRoot, runAs: runAs)
        if UnixUser.isRoot && runAs == nil { try account.leaseRunUser() }
        return account
    }

    /// Makes the run's server run as a leased ``DynamicUser``.
    mutating func leaseRunUser() throws(PostgresError) {
        let lease: DynamicUser?
        do { lease = try DynamicUser.lease() } catch {
            throw PostgresError(code: .account, message: "cannot lease a user id for the server: \(error.description)")
        }
        guard let lease else {
            throw PostgresError(code: .account, message: "every user id of Testbed's range is leased (\(DynamicUser.range.count) runs)",
                                hint: "end other runs, or set postgres: {run_as: USER}")
        }
        self.lease = lease
        self.user = lease.user
    }

    /// Gives the leased id back (after its server has stopped): what still runs as it is killed.
    func release() {
        lease?.release()
    }

    /// The command prefix that switches to the run's server account (empty when none).
    var commandPrefix: [String] { user?.commandPrefix ?? [] }

    /// Gives `path` (one entry, not recursive) to `owner`.
    static func own(_ path: String, to owner: UnixUser?) throws(PostgresError) {
        guard let owner else { return }
        if lchown(path, owner.uid, owner.gid) != 0 {
            throw PostgresError(code: .account, message: "cannot give \(path) to \(owner.name): \(errnoText())")
        }
    }

    /// Checks that the run's server account and the builder can reach `directory` (every
    /// ancestor searchable by them).
    ///
    /// The four nearest ancestors — `RUN_DIR/services/NAME`, `RUN_DIR/services`, `RUN_DIR` and the run root, private
    /// (0700) folders of this process — are opened to each account alone with an ACL entry
    /// `user:ACCOUNT:--x` (search, not list) when this process owns them. Folders further up
    /// (a home directory, say) are never changed: they must already be searchable.
    func checkReaches(_ directory: String) throws(PostgresError) {
        for user in [user, builder == user ? nil : builder].compactMap({ $0 }) {
            if let path = PrivateDirectory.firstUnreachableAncestor(of: directory, for: user, grantingLevels: 4) {
                throw PostgresError(
                    code: .account, message: "the server user '\(user.name)' cannot reach \(directory): "
                        + "\(path) is not searchable by it",
                    hint: "use a run root on a file system with POSIX ACLs (tmpfs, ext4), or make \(path) searchable (chmod o+x \(path))")
            }
        }
    }
}
