import Foundation

/// Finds the manifest a trait or XCTest helper names.
enum ManifestPath {
    /// An absolute path as is; a relative one against the current directory (the package
    /// root under `swift test`), else against the folders above `filePath` (the test file),
    /// which also works when the tests run with another working directory.
    static func resolve(_ path: String, filePath: String) -> String {
        if path.hasPrefix("/") { return standardized(path) }
        let fileManager = FileManager.default
        let fromCurrent = standardized(fileManager.currentDirectoryPath + "/" + path)
        if fileManager.fileExists(atPath: fromCurrent) { return fromCurrent }
        var folder = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent(path).path
            if fileManager.fileExists(atPath: candidate) { return standardized(candidate) }
            folder = folder.deletingLastPathComponent()
        }
        return fromCurrent
    }

    private static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
