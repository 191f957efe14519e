import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestbedSeed

/// The size of a seed's fixture files, for a kind's estimate of a cold start.
enum FixtureFiles {
    /// The bytes of the steps' files (folders: the regular files in them); a file that
    /// cannot be read counts as nothing (the start reports it).
    static func bytes(_ seed: [PlannedSeedStep]) -> UInt64 {
        var total: UInt64 = 0
        for path in seed.flatMap(\.absolutePaths) {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                let files = FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []
                for file in files where stat(path + "/" + file, &info) == 0 && info.st_mode & S_IFMT == S_IFREG {
                    total += UInt64(info.st_size)
                }
            } else {
                total += UInt64(info.st_size)
            }
        }
        return total
    }
}
