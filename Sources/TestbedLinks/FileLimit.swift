#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open descriptors. A link holds two per connection, so a link
/// with a thousand clients needs more than the common soft limit of 1,024.
enum FileLimit {
    /// Raises the soft `RLIMIT_NOFILE` to the hard limit, once; failures are ignored (the
    /// link then works up to the soft limit, and accept errors say why).
    static func raiseToHard() {
        _ = raised
    }

    private static let raised: Bool = {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return false }
        limit.rlim_cur = limit.rlim_max
        return setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0
    }()
}
