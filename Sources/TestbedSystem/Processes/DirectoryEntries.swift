import Glibc

/// Reading a folder's entries through a descriptor, so that a link swapped in for the folder
/// is never followed.
package enum DirectoryEntries {
    /// The names in the folder `folder` (a descriptor, left open), without `.` and `..`, sorted.
    package static func names(in folder: Int32) -> [String] {
        let copy = dup(folder)
        guard copy >= 0, let dir = fdopendir(copy) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
