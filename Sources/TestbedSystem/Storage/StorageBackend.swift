/// The way a run gets its copy of a seeded cache entry: by reflink where the cache's and
/// the run's folders share a reflink file system, else by copying; `TESTBED_STORAGE`
/// overrides the choice.
///
/// `TESTBED_STORAGE=copy` forces the copy (for tests, and to compare the two);
/// `auto` or unset chooses (see ``ReflinkProbe``); `reflink` chooses too, and also takes
/// the reflink image (``LoopImage``) for seeds too small to gain from it. The chosen method
/// is named in the service's progress notes (`storage: reflink` / `storage: copy`).
package enum StorageBackend {
    /// The environment variable that overrides the choice.
    package static let variable = "TESTBED_STORAGE"

    /// The method for clones of files in `source` into `destination` (both the caller's
    /// folders), or an error naming the bad value of ``variable``.
    package static func method(from source: String, to destination: String,
                               environment: [String: String]) -> Result<CloneMethod, StorageChoiceError> {
        switch environment[variable] ?? "" {
        case "copy": .success(.copy)
        case "", "auto", "reflink": .success(ReflinkProbe.sharesExtents(from: source, to: destination) ? .reflink : .copy)
        case let other: .failure(StorageChoiceError(value: other))
        }
    }
}

/// A value of `TESTBED_STORAGE` that names no backend.
package struct StorageChoiceError: Error, Sendable, CustomStringConvertible {
    /// The value as given.
    package var value: String

    package var description: String {
        "TESTBED_STORAGE=\(value) names no storage backend: use auto (the default: reflink where the file system allows, "
            + "else a copy), reflink (the same, and the reflink image even for a small seed) or copy"
    }
}
