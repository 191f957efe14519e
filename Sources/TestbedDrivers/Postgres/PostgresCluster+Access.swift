import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

extension PostgresCluster {
    /// Makes the service directory ready for a start: checks it is the caller's and no
    /// one else can write it, makes the socket folder for the server's account (0711:
    /// others may pass, not list; the socket itself is 0700 unless the manifest's
    /// `unix_socket_permissions` opens it),
    /// and writes the run's `pg_hba.conf` (see ``PostgresServer/hbaRules``).
    ///
    /// Throws ``PostgresError`` (`.account`) for a service directory another account
    /// could write: every file the caller opens there would be open to redirection.
    func prepareServiceDirectory() throws(PostgresError) {
        var info = stat()
        guard lstat(options.serviceDirectory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
              info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
            throw PostgresError(
                code: .account, message: "the service directory \(options.serviceDirectory) is not a folder "
                    + "of this account that only it can write",
                hint: "let Testbed create the run directory (TESTBED_RUN_ROOT names where), or fix its owner and mode")
        }
        ClusterFiles.remove(hbaFile)
        try prepareSocketDirectory(for: account.user)
        try ClusterFiles.createFile(hbaFile, contents: PostgresServer.hbaRules, mode: 0o644)
    }

    /// Makes the socket folder anew for `owner`, the account of the run's servers.
    func prepareSocketDirectory(for owner: UnixUser?) throws(PostgresError) {
        ClusterFiles.remove(socketDirectory)
        guard mkdir(socketDirectory, 0o700) == 0 else { throw ClusterFiles.failure("cannot create \(socketDirectory)") }
        chmod(socketDirectory, 0o711)
        try ServerAccount.own(socketDirectory, to: owner)
    }

    /// Lets the run's other accounts that use the socket (``Options/socketClients``) reach
    /// it: search on the folders above it and an ACL entry `user:CLIENT:rw-` on the socket
    /// itself, set without following a link (the socket's folder is the server account's).
    func grantSocketClients() throws(PostgresError) {
        let clients = options.socketClients.filter { $0.uid != account.user?.uid ?? geteuid() }
        guard !clients.isEmpty else { return }
        let socket = socketDirectory + "/.s.PGSQL.\(port)"
        for client in clients {
            if let path = PrivateDirectory.firstUnreachableAncestor(of: socket, for: client, grantingLevels: 5) {
                throw PostgresError(code: .account, message: "'\(client.name)' cannot reach the socket of \(options.serviceName): "
                                        + "\(path) is not searchable by it",
                                    hint: "use a run root on a file system with POSIX ACLs (tmpfs, ext4)")
            }
            guard PrivateDirectory.grantAccess(socket, to: client.uid, permissions: 6) else {
                throw PostgresError(code: .account, message: "cannot let '\(client.name)' use the socket \(socket): \(errnoText())")
            }
        }
    }

    /// Creates the empty data directory `directory` (0700) for `owner`, for initdb.
    func makeDataDirectory(_ directory: String, owner: UnixUser?) throws(PostgresError) {
        guard mkdir(directory, 0o700) == 0 else { throw ClusterFiles.failure("cannot create \(directory)") }
        try ServerAccount.own(directory, to: owner)
    }

    /// Gives the role its password for this run, over the Unix socket: a SCRAM verifier
    /// computed here, so the password itself never reaches the server. Until then no
    /// TCP login succeeds (the role has no password and TCP needs one).
    func setPassword() async throws {
        guard let password else { return }
        let connector = connector
        let user = spec.user
        try await BlockingWork.run { () -> Result<Void, PostgresError> in
            Result { () throws(PostgresError) in
                let admin = try connector.connect("postgres")
                defer { admin.close() }
                let verifier = try admin.scramVerifier(password: password, user: user)
                try admin.execute("ALTER ROLE \(quoteIdentifier(user)) PASSWORD \(quoteLiteral(verifier))")
            }
        }.get()
    }

    /// A password for one run (``RunPassword/make()``).
    static func randomPassword() -> String {
        RunPassword.make()
    }

    /// Unpacks the cache entry `name` into `destination`, for `owner`, on a blocking-work thread.
    ///
    /// A damaged entry (it fails its checksum) is reported with one warning line,
    /// deleted with what was unpacked of it, and `false` is returned so the caller builds
    /// it again — when `retrying`; otherwise, and for every other failure, it throws.
    /// With `deferTemplates`, the template databases' folders stay in the pack until a
    /// reset or clone needs them (see ``DeferredTemplates``).
    func unpackCached(_ name: String, to destination: String, owner: UnixUser?, retrying: Bool,
                      deferTemplates: Bool = false) async throws -> Bool {
        let cache = cache
        let deferring = deferTemplates ? templates.folders : []
        let result = await BlockingWork.run { () -> Result<ClusterPack.Deferred?, PostgresError> in
            Result { () throws(PostgresError) in try cache.unpack(name, to: destination, owner: owner, deferring: deferring) }
        }
        if deferTemplates, case .success(let deferred) = result { templates.keep(deferred) }
        switch result {
        case .success:
            return true
        case .failure(let error) where error.code == .damagedCache && retrying:
            options.report(.note, "warning: \(error.message); it is deleted and rebuilt")
            cache.discard(name)
            ClusterFiles.remove(destination)
            return false
        case .failure(let error):
            throw error
        }
    }
}
