/// The content key of one database service's seeded snapshot: the name of the file a run
/// finds (warm) or writes (cold) in the cache, computed without starting anything.
///
/// CI systems that restore and save `TESTBED_CACHE_DIR` between jobs key that cache with
/// these values (`testbed cache key MANIFEST`), so a job restores exactly the snapshots
/// its manifest needs and a changed fixture byte gives a new key.
public struct CacheKey: Sendable, Hashable, Codable {
    /// The kind of the database that keeps the snapshot (`postgres`, `sqlite`); each kind
    /// defines its own (`CacheKey.Kind.postgres`).
    package struct Kind: RawRepresentable, Sendable, Hashable, Codable {
        /// The kind's word, as in the JSON of `testbed cache key --json`.
        package var rawValue: String

        /// Makes a kind from its word.
        public init(rawValue: String) {
            self.rawValue = rawValue
        }
    }

    /// The service's name in the manifest.
    package var service: String
    /// Which database the service is.
    package var kind: Kind
    /// The entry's name in the cache (`seeded-HASH` or `HASH`); nil when the seed cannot be
    /// cached (see ``reason``).
    package var key: String?
    /// The entry's file relative to the cache root (`postgres/seeded-HASH.pack`,
    /// `sqlite/HASH.sqlite`); nil with ``key``.
    package var file: String?
    /// Why there is no key: a command seed step that is not `cacheable: true`, or one whose
    /// command refers to values that change every run.
    package var reason: String?

    /// Makes a key; `file` (where the kind keeps the entry) counts only with a key.
    package init(service: String, kind: Kind, key: String?, file: String?, reason: String? = nil) {
        self.service = service
        self.kind = kind
        self.key = key
        self.file = key == nil ? nil : file
        self.reason = key == nil ? reason : nil
    }
}
