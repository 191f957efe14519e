import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

/// A run's data directory inside the ``LoopImage`` (as root, where the cache and the run
/// root share no reflink file system): `MNT/runs/NAME/data`, a clone of the entry's tree
/// in `MNT/trees`, reached from the service directory through the link `data`.
///
/// `MNT/runs/NAME` is root's, 0700, with an ACL search entry for the server's account;
/// it is on the watchdog's list (a killed run's clone is deleted with its run directory),
/// and the run holds the image (``LoopImage/Hold``) until ``remove()``.
struct ImageClone: Sendable {
    let hold: LoopImage.Hold
    /// `MNT/runs/NAME`.
    let folder: String
    /// The trees of the cache inside the image.
    let trees: ClusterTrees

    var dataDirectory: String { folder + "/data" }

    /// Holds the image with room for a pack of `packSize` bytes (its tree, about twice the
    /// pack, and what the run writes) and makes the run's folder in it for `user`; nil when
    /// the image cannot be had (not root, no loop devices: the caller copies).
    static func make(image: LoopImage, cache: ClusterCache, packSize: UInt64, serviceName: String,
                     user: UnixUser?) -> ImageClone? {
        guard let hold = image.hold(need: packSize * 3 + (256 << 20)) else { return nil }
        let runs = hold.mountPoint + "/runs"
        if mkdir(runs, 0o700) != 0 && errno != EEXIST { return nil }
        guard (try? PrivateDirectory.verify(runs, what: "the runs' folder of the reflink image")) != nil else { return nil }
        let name = String(serviceName.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" }.prefix(40))
        let folder = runs + "/\(name)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        guard mkdir(folder, 0o700) == 0 else { return nil }
        ProcessRegistry.addDirectory(folder)
        let clone = ImageClone(hold: hold, folder: folder, trees: ClusterTrees(cache: cache, root: hold.mountPoint + "/trees/postgres"))
        if let user, PrivateDirectory.firstUnreachableAncestor(of: clone.dataDirectory, for: user, grantingLevels: 6) != nil {
            clone.remove()
            return nil
        }
        return clone
    }

    /// Deletes the run's folder (nothing in it is followed) and gives the hold up.
    func remove() {
        ClusterFiles.remove(folder)
        ProcessRegistry.removeDirectory(folder)
        hold.release()
    }
}
