import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSystem

extension ClusterPack {
    /// Packs whose checksum already matched during this boot, so that a warm start does not
    /// read every byte twice (the check, then the copy: 0.1–0.4 s of a 1 GB seed's start).
    ///
    /// A mark is the file `.verified/NAME` beside the pack, in the cache's private folder,
    /// holding the pack's identity when it was checked: the boot (`boot_id`), its device,
    /// inode, size, and modification and change times. Any write to the pack changes its
    /// change time (which no call can set back), and a reboot changes the boot, so a pack
    /// cut short, overwritten or never flushed before a crash is checked again in full.
    /// Marks are only a shortcut: one that cannot be read or written means the full check.
    enum VerifiedMarks {
        /// This boot's id, read once.
        static let bootID: String? = {
            // A /proc file says its size is 0: read what it has.
            let input = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { return nil }
            defer { close(input) }
            var buffer = [UInt8](repeating: 0, count: 64)
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard count > 0 else { return nil }
            return String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }()

        /// The mark of the pack at `source` whose `fstat` is `info`.
        static func identity(_ info: stat) -> String? {
            guard let bootID, !bootID.isEmpty else { return nil }
            return bootID + ":" + ClusterFiles.identity(info)
        }

        private static func markPath(_ source: String) -> (folder: String, file: String) {
            let folder = (source as NSString).deletingLastPathComponent + "/.verified"
            return (folder, folder + "/" + (source as NSString).lastPathComponent)
        }

        /// True when the pack at `source`, as `info` describes it, was checked during this boot.
        static func isChecked(_ source: String, _ info: stat) -> Bool {
            guard let identity = identity(info) else { return false }
            return ClusterFiles.readSmallFile(markPath(source).file, limit: 4096) == identity
        }

        /// Records that the pack at `source`, as `info` describes it, passed its check.
        static func markChecked(_ source: String, _ info: stat) {
            guard let identity = identity(info) else { return }
            let (folder, file) = markPath(source)
            ClusterFiles.replaceSmallFile(file, in: folder, contents: identity, what: "the folder of checked cache entries")
        }

        /// Deletes the mark of the pack at `source` (it is deleted or replaced).
        static func forget(_ source: String) {
            unlink(markPath(source).file)
        }
    }
}
