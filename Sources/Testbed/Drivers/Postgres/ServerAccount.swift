import Foundation

/// Which account runs `initdb` and `postgres`, and who owns the cluster's files.
///
/// PostgreSQL refuses to run as root. When Testbed is root, the server runs as
/// `spec.runAs ?? "postgres"` (via `setpriv`, see ``UnixUser/commandPrefix``) and its
/// files are chowned to that account; otherwise everything runs as the caller.
struct ServerAccount: Sendable, Equatable {
    /// The account to switch to; nil means "the caller, no switch, no chown".
    var user: UnixUser?

    /// Decides the account: a pure function of the inputs, so it can be tested without root.
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
        return ServerAccount(user: user)
    }

    /// The command prefix that switches to the account (empty when none).
    var commandPrefix: [String] { user?.commandPrefix ?? [] }

    /// Gives `path` (one entry, not recursive) to the account.
    func own(_ path: String) throws(PostgresError) {
        guard let user else { return }
        if lchown(path, user.uid, user.gid) != 0 {
            throw PostgresError(code: .account, message: "cannot give \(path) to \(user.name): \(errnoText())")
        }
    }

    /// Checks that the account can reach `directory` (every ancestor searchable by it).
    ///
    /// The four nearest ancestors — `RUN_DIR/services/NAME`, `RUN_DIR/services`, `RUN_DIR` and the run root, private
    /// (0700) folders of this process — are opened to the account alone with an ACL entry
    /// `user:ACCOUNT:--x` (search, not list) when this process owns them. Folders further up
    /// (a home directory, say) are never changed: they must already be searchable.
    func checkReaches(_ directory: String) throws(PostgresError) {
        guard let user else { return }
        if let path = PrivateDirectory.firstUnreachableAncestor(of: directory, for: user, grantingLevels: 4) {
            throw PostgresError(
                code: .account, message: "the server user '\(user.name)' cannot reach \(directory): "
                    + "\(path) is not searchable by it",
                hint: "use a run root on a file system with POSIX ACLs (tmpfs, ext4), or make \(path) searchable (chmod o+x \(path))")
        }
    }
}
