import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ClusterPack {
    /// Opens the pack at `source` (verified, see ``unpack(_:to:owner:deferring:cloningDuplicates:)``)
    /// for its entries at or below `deferring`, without unpacking anything: the template
    /// databases of a cluster whose other files are already in place (a cold start's, whose
    /// `build` became `data`). Nil when no entry is there.
    ///
    /// Throws `.damagedCache` when the pack fails its checksum.
    static func openDeferred(_ source: String, deferring: [String]) throws(PostgresError) -> Deferred? {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw ClusterFiles.failure("cannot open \(source)") }
        var handedOver = false
        defer { if !handedOver { close(input) } }
        let (entries, dataStart) = try readVerified(input, source)
        let later = entries.filter { entry in deferring.contains { entry.path == $0 || entry.path.hasPrefix($0 + "/") } }
        guard !later.isEmpty else { return nil }
        handedOver = true
        return Deferred(input: input, entries: later, dataStart: dataStart, source: source)
    }
}
