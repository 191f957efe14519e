/// How a file's contents reached its copy, strongest first: the way a clone is named in
/// progress output and `--json`.
package enum CloneMethod: String, Sendable, Comparable, CaseIterable {
    /// `FICLONE`: the copy shares the source's extents (copy-on-write); it costs no data
    /// blocks until one of them is written. Only within one reflink file system (btrfs, XFS
    /// made with `reflink=1`, bcachefs).
    case reflink
    /// `copy_file_range`: copied inside the kernel (some file systems share extents here too).
    case copyFileRange = "copy_file_range"
    /// `sendfile`, or `read`/`write` where the kernel refuses it: a full copy.
    case copy

    private var strength: Int {
        switch self {
        case .reflink: 2
        case .copyFileRange: 1
        case .copy: 0
        }
    }

    /// The weaker method is the lesser: `min` of the methods a tree's files used names the tree's.
    package static func < (lhs: CloneMethod, rhs: CloneMethod) -> Bool { lhs.strength < rhs.strength }
}
