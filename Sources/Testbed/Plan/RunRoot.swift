import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedDrivers

/// The run root a run's directory goes to, chosen against the room the run needs before
/// anything is written: memory (``RunDirectory/root(environment:)``) when the run fits
/// there, else Testbed's own folder on disk (``RunDirectory/diskRoot()``) with
/// one note saying why and how to stay in memory. A root the user named
/// (`TESTBED_RUN_ROOT`, ``Environment/Options/runRoot``) is never swapped for another:
/// a run that does not fit there fails before it starts, with both sizes and the fix.
struct RunRoot: Sendable, Equatable {
    /// The chosen root.
    var path: String
    /// Why the run is not in memory, for the user; nil when it is where it was meant to be.
    var note: String?

    /// Chooses the root for a run that needs `need` bytes (0: unknown, nothing is checked).
    ///
    /// `free` reports the bytes available at a path (``FreeSpace/available(at:)`` by
    /// default; tests pass their own). Throws ``EnvironmentError`` (`.diskFull`) naming
    /// the sizes and what to do when no root has room.
    static func choose(named: String?, environment: [String: String], need: UInt64, isEstimate: Bool = false,
                       free: (String) -> UInt64? = RunRoot.available) throws(EnvironmentError) -> RunRoot {
        let given = named ?? environment["TESTBED_RUN_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
        let memory = given ?? RunDirectory.root(environment: environment)
        guard need > 0, let room = free(memory), room < need else { return RunRoot(path: memory) }
        let needed = "\(isEstimate ? "about " : "")\(FreeSpace.megabytes(need)) MB"
        let shm = "Docker: --shm-size=\(FreeSpace.suggestedSize(need)); GitLab's docker executor: shm_size in config.toml"
        if let given {
            throw EnvironmentError(
                .diskFull, "the run needs \(needed) in its run root \(given), which has \(FreeSpace.megabytes(room)) MB free",
                hint: "give that file system more room (\(shm)), point TESTBED_RUN_ROOT at a folder with room, "
                    + "or unset it to let Testbed choose /dev/shm or, when that is too small, /var/tmp")
        }
        let disk = RunDirectory.diskRoot()
        if let diskRoom = free(disk), diskRoom >= need, !sameFileSystem(memory, disk) {
            return RunRoot(path: disk, note: "the run needs \(needed) and \(memory) has \(FreeSpace.megabytes(room)) MB free: "
                + "its run directory is on disk in \(disk) (slower); to keep it in memory give /dev/shm more room (\(shm)) "
                + "or set TESTBED_RUN_ROOT to a tmpfs folder with room")
        }
        let diskRoom = free(disk).map { "\(FreeSpace.megabytes($0)) MB" } ?? "an unknown amount"
        throw EnvironmentError(
            .diskFull, "the run needs \(needed), but \(memory) has \(FreeSpace.megabytes(room)) MB free "
                + "and \(disk) has \(diskRoom) free",
            hint: "free space in one of them, give /dev/shm more room (\(shm)), "
                + "or set TESTBED_RUN_ROOT to a folder with \(FreeSpace.megabytes(need)) MB free")
    }

    /// Bytes free on the file system that holds `path`, or would hold it once created (its
    /// nearest existing ancestor's); nil when unknown.
    static func available(_ path: String) -> UInt64? {
        FreeSpace.available(at: existingAncestor(path))
    }

    private static func existingAncestor(_ path: String) -> String {
        var current = path
        var info = stat()
        while !current.isEmpty && current != "/" && stat(current, &info) != 0 {
            current = (current as NSString).deletingLastPathComponent
        }
        return current.isEmpty ? "/" : current
    }

    /// True when both paths are on one file system: falling back from one to the other gains nothing.
    private static func sameFileSystem(_ first: String, _ second: String) -> Bool {
        var one = stat(), two = stat()
        guard stat(existingAncestor(first), &one) == 0, stat(existingAncestor(second), &two) == 0 else { return false }
        return one.st_dev == two.st_dev
    }
}
