import Foundation

/// Finds the manifest a trait or XCTest helper names, and says where it looked when it is not there.
struct ManifestPath: Sendable, Hashable {
    /// The path used: the first candidate that exists, else the one against the current directory.
    let path: String
    /// Every path tried, in order (just `path` for an absolute manifest path).
    let tried: [String]

    /// An absolute path as is; a relative one against the current directory (the package
    /// root under `swift test`), else against the folders above `filePath` (the test file),
    /// which also works when the tests run with another working directory.
    init(_ manifest: String, filePath: String) {
        if manifest.hasPrefix("/") {
            path = Self.standardized(manifest)
            tried = [path]
            return
        }
        let fileManager = FileManager.default
        var candidates = [Self.standardized(fileManager.currentDirectoryPath + "/" + manifest)]
        var folder = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while folder.path != "/" {
            candidates.append(Self.standardized(folder.appendingPathComponent(manifest).path))
            folder = folder.deletingLastPathComponent()
        }
        tried = candidates
        path = candidates.first { fileManager.fileExists(atPath: $0) } ?? candidates[0]
    }

    /// The error for a manifest found at none of the paths `tried`.
    static func missing(_ path: String, tried: [String]) -> TestbedScopeError {
        TestbedScopeError("no manifest at any of: " + (tried.isEmpty ? [path] : tried).joined(separator: ", "),
                                hint: "give a path relative to the package root (where `swift test` runs), "
                                    + "to a folder above the test file, or an absolute path")
    }

    private static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
