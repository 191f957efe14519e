import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Hands out loopback TCP ports that no two concurrent Testbed runs can both hold — runs in
/// this process or in any other process on the machine, however many start at once.
///
/// Ports are chosen outside the kernel's ephemeral range (`PortCandidates`): a port the
/// kernel can hand to anyone's outgoing connection or `bind(port 0)` could be taken in the
/// moment between ``PortReservation/releaseSocket()`` and the service's own bind.
///
/// A port is reserved in two ways at once:
/// - a socket bound to `127.0.0.1:port` (`SO_REUSEADDR` set after the bind, never
///   listening), so no other process binds the port without `SO_REUSEADDR` and no other
///   run's probe of the port succeeds;
/// - an exclusive `flock` on `<lockDirectory>/<port>.lock`, which every Testbed run checks
///   before it takes a port. The lock outlives ``PortReservation/releaseSocket()``, which
///   is called just before the service binds the port itself, so another run that
///   tries the port in that window sees the lock and moves on.
///
/// Locks belong to the open file and die with the process, so a crashed run leaks nothing.
/// Lock files are removed at release while still locked; a run that locked a file just
/// removed notices (the path no longer names its file) and tries again.
///
/// The lock directory is shared by every user (`/tmp/testbed-ports`, mode 1777), so runs of
/// different users on one machine never hand out the same port either. Nobody can use it
/// to stall or redirect another user's run:
/// - it is used only when it is a real directory owned by root (or by this account) and
///   sticky; otherwise — another user made it — this account uses its own private
///   `/tmp/testbed-ports-UID` (0700), and only the kernel's bound sockets keep it apart
///   from other users' runs;
/// - lock files are opened with `O_NONBLOCK | O_NOFOLLOW` (a FIFO or a symlink planted
///   there never blocks `open` or leads elsewhere) and checked after opening: only a regular
///   file with one link, owned by root or this account, counts as a lock. Anything else —
///   another user's file, which that user could delete under the lock — means "taken", and
///   the next port is tried, as when another process has the port bound.
///
/// A service that does not set `SO_REUSEADDR` can fail to bind its port if another run
/// probes the same candidate in the microseconds between its `bind` and its lock check.
public struct PortAllocator: Sendable {
    /// Shared by every Testbed run on the machine, whoever runs it.
    package static let defaultLockDirectory = "/tmp/testbed-ports"
    /// How many candidates ``reserve()`` tries before it gives up.
    static let candidateLimit = 128

    /// The folder holding the per-port lock files (created mode 1777 when missing; see the type
    /// for when a private one is used instead).
    package let lockDirectory: String

    /// Makes an allocator; tests pass a private `lockDirectory`, everything else uses the shared default.
    package init(lockDirectory: String = PortAllocator.defaultLockDirectory) {
        self.lockDirectory = lockDirectory
    }

    /// Reserves a free port outside the kernel's ephemeral range (see `PortCandidates`).
    /// Throws ``PortError``.
    package func reserve() throws -> PortReservation {
        var candidates = PortCandidates.current()
        return try reserve { try candidates.next() }
    }

    /// Reserves the first candidate whose lock is free; `candidate` returns a bound socket, or
    /// nil when the port it tried is in use. Tests pass their own candidates to prove that a
    /// locked port is skipped.
    func reserve(candidate: () throws -> Int32?) throws -> PortReservation {
        let directory = try usableLockDirectory()
        var locked: Set<Int> = [], busy = 0
        for _ in 0..<Self.candidateLimit {
            guard let socket = try candidate() else {
                busy += 1
                continue
            }
            let port = Self.boundPort(socket)
            let lock: Int32?
            do {
                lock = try lockFile(for: port, in: directory)
            } catch {
                close(socket)
                throw error
            }
            if let lock {
                return PortReservation(port: port, socket: socket, lock: lock, lockPath: "\(directory)/\(port).lock")
            }
            // Held by another run, which may be about to bind it: let go at once.
            locked.insert(port)
            close(socket)
        }
        throw PortError(.exhausted, port: nil,
                        "no free port after \(Self.candidateLimit) tries: \(busy) candidates were bound by other "
                        + "processes or listed in ip_local_reserved_ports and \(locked.count) reserved by other "
                        + "Testbed runs (lock files in \(directory))")
    }

    /// Reserves `port`, a fixed port from the manifest.
    ///
    /// Throws ``PortError`` with code `inUse` when another Testbed run holds it or another
    /// process has it bound (naming that process, pid and command, when /proc shows it; only
    /// its account when it is another user's), `invalidPort` for a number outside 1–65535.
    package func reserve(fixed port: Int) throws -> PortReservation {
        let advice = "remove the fixed port from the manifest to let Testbed choose one"
        guard (1...65535).contains(port) else {
            throw PortError(.invalidPort, port: port, "port \(port) is not a TCP port number (1-65535)")
        }
        let directory = try usableLockDirectory()
        let path = "\(directory)/\(port).lock"
        guard let lock = try lockFile(for: port, in: directory) else {
            throw PortError(.inUse, port: port, "port \(port) is reserved by another Testbed run; \(advice)")
        }
        do {
            let socket = try Self.bindLoopback(port: port)
            return PortReservation(port: port, socket: socket, lock: lock, lockPath: path)
        } catch {
            unlink(path)
            close(lock)
            switch error.code {
            case EADDRINUSE:
                // Who holds it, from /proc: the process, or only its account when this one cannot look.
                let holder = ProcessTable.holder(ofPort: port).map { "\($0)" } ?? "another process"
                throw PortError(.inUse, port: port, "port \(port) is in use by \(holder); \(advice)")
            case EACCES:
                throw PortError(.inUse, port: port,
                                "port \(port) needs privileges to bind (ports below 1024 need root); \(advice)")
            default:
                throw PortError(.system, port: port, "cannot bind port \(port): \(errnoText(error.code))")
            }
        }
    }

    /// The folder to keep lock files in: ``lockDirectory`` (created mode 1777 when missing) when
    /// it can be trusted, else this account's private `LOCKDIRECTORY-UID` (see the type).
    func usableLockDirectory() throws -> String {
        if mkdir(lockDirectory, 0o1777) == 0 {
            _ = chmod(lockDirectory, 0o1777)  // mkdir's mode is cut by the umask
        } else if errno != EEXIST {
            throw PortError(.system, port: nil, "cannot create the port lock directory \(lockDirectory): \(errnoText())")
        }
        var info = stat()
        if lstat(lockDirectory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            let sticky = info.st_mode & S_ISVTX != 0
            let privateToMe = info.st_uid == geteuid() && info.st_mode & 0o022 == 0
            if (sticky && (info.st_uid == 0 || info.st_uid == geteuid())) || privateToMe { return lockDirectory }
        }
        let own = lockDirectory + "-\(geteuid())"
        do {
            try PrivateDirectory.ensure(own, what: "the port lock directory")
        } catch {
            throw PortError(.system, port: nil, "\(error.message) (\(lockDirectory) belongs to another user)")
        }
        return own
    }

    /// Takes the lock of `port` in `directory` without waiting: its descriptor, or nil when
    /// another run holds it (or anything but a lock file of root's or ours is in its place).
    ///
    /// Existing files are opened without `O_CREAT`, which `fs.protected_regular` refuses for
    /// other users' files in a sticky directory.
    private func lockFile(for port: Int, in directory: String) throws -> Int32? {
        let path = "\(directory)/\(port).lock"
        for _ in 0..<100 {
            var fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            if fd < 0 && errno == ENOENT {
                fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
                if fd < 0 && errno == EEXIST { continue }
                if fd >= 0 { _ = fchmod(fd, 0o644) }  // readable by other users' runs, which lock it to test it
            }
            guard fd >= 0 else {
                switch errno {
                case EINTR: continue
                case ELOOP, EACCES, EPERM, ENXIO, EISDIR: return nil  // a symlink, a socket, another user's private file
                default: throw PortError(.system, port: port, "cannot open the port lock file \(path): \(errnoText())")
                }
            }
            var locked = stat()
            guard fstat(fd, &locked) == 0, locked.st_mode & S_IFMT == S_IFREG, locked.st_nlink == 1,
                  locked.st_uid == 0 || locked.st_uid == geteuid() else {
                close(fd)
                return nil
            }
            var result = flock(fd, LOCK_EX | LOCK_NB)
            while result != 0 && errno == EINTR { result = flock(fd, LOCK_EX | LOCK_NB) }
            if result != 0 {
                let error = errno
                close(fd)
                if error == EWOULDBLOCK { return nil }
                throw PortError(.system, port: port, "cannot lock \(path): \(errnoText(error))")
            }
            // A lock file of ours left by an older build may be writable by others: 0644, as new ones are.
            if locked.st_uid == geteuid() && locked.st_mode & 0o777 != 0o644 { _ = fchmod(fd, 0o644) }
            // The previous holder may have removed the file between our open and flock.
            var current = stat()
            if fstat(fd, &locked) == 0, lstat(path, &current) == 0,
               locked.st_dev == current.st_dev, locked.st_ino == current.st_ino {
                return fd
            }
            close(fd)
        }
        return nil
    }

    struct Errno: Error { var code: Int32 }

    /// A socket bound to 127.0.0.1:`port` with SO_REUSEADDR, not listening.
    ///
    /// With `exclusive`, the bind is made before SO_REUSEADDR is set, so it fails while any
    /// other socket holds the port — one bound with SO_REUSEADDR by another run, or a closed
    /// connection still in TIME_WAIT, which would stop a service that binds without
    /// SO_REUSEADDR. Setting it afterwards still lets the service bind over this socket.
    static func bindLoopback(port: Int, exclusive: Bool = false) throws(Errno) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(code: errno) }
        var one: Int32 = 1
        if !exclusive { _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(INADDR_LOOPBACK).bigEndian
        let error = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 ? 0 : errno
            }
        }
        guard error == 0 else {
            close(fd)
            throw Errno(code: error)
        }
        if exclusive { _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
        return fd
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A port reserved by ``PortAllocator``: held by a lock file and a bound socket until released.
///
/// Call ``releaseSocket()`` right before starting the service that binds the port, and
/// ``release()`` at teardown. Dropping the last reference releases everything.
package final class PortReservation: Sendable, CustomStringConvertible {
    /// The reserved loopback TCP port number.
    package let port: Int
    private let lockPath: String
    private struct Descriptors {
        var socket: Int32
        var lock: Int32
    }
    private let descriptors: Mutex<Descriptors>

    init(port: Int, socket: Int32, lock: Int32, lockPath: String) {
        self.port = port
        self.lockPath = lockPath
        self.descriptors = Mutex(Descriptors(socket: socket, lock: lock))
    }

    deinit { release() }

    /// The folder of the port's lock file (the shared one, or this account's private one).
    package var lockDirectory: String { String(lockPath[..<(lockPath.lastIndex(of: "/") ?? lockPath.endIndex)]) }

    /// True until ``release()``: no other Testbed run can take the port.
    package var isHeld: Bool { descriptors.withLock { $0.lock >= 0 } }

    /// Closes the bound socket so the service can bind the port; the lock stays. Idempotent.
    package func releaseSocket() {
        descriptors.withLock { fds in
            if fds.socket >= 0 { close(fds.socket) }
            fds.socket = -1
        }
    }

    /// Closes the socket and drops the lock, removing the lock file. Idempotent.
    package func release() {
        descriptors.withLock { fds in
            if fds.socket >= 0 { close(fds.socket) }
            if fds.lock >= 0 {
                unlink(lockPath)  // while still locked: see PortAllocator
                close(fds.lock)
            }
            fds = Descriptors(socket: -1, lock: -1)
        }
    }

    /// `port N (reserved)` or `port N (released)`.
    package var description: String { "port \(port)" + (isHeld ? " (reserved)" : " (released)") }
}
