import Foundation
@testable import Testbed

/// A virtual environment with packages from PyPI, made once and kept between runs in the
/// user's cache (`test-venvs/NAME`), for tests that run an unmodified Python tool.
///
/// The venv (Debian's python3-venv) is made first, then its pip downloads the packages; only
/// a failed download (PyPI unreachable) makes the tests skip, everything else fails them.
struct PythonVenv {
    enum Setup { case ready, unreachable, failed(String) }

    /// The venv's folder.
    let path: String
    /// How the setup went.
    let setup: Setup

    /// Makes (or finds) the venv `name` with `packages`; `download` holds extra arguments of
    /// the download (e.g. `--no-deps`, when the install may fetch the dependencies itself).
    init(_ name: String, packages: [String], download: [String] = [], installFromDownload: Bool = true) {
        path = Caches.root(environment: ProcessInfo.processInfo.environment) + "/test-venvs/" + name
        setup = Self.prepare(path, packages: packages, download: download, installFromDownload: installFromDownload)
    }

    /// False when PyPI could not be reached (the tests skip).
    var reachable: Bool {
        if case .unreachable = setup { return false }
        return true
    }

    private static func prepare(_ venv: String, packages: [String], download: [String], installFromDownload: Bool) -> Setup {
        if FileManager.default.fileExists(atPath: venv + "/.installed") { return .ready }
        do {
            try? FileManager.default.removeItem(atPath: venv)
            try FileManager.default.createDirectory(atPath: (venv as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let made = try shell(["python3", "-m", "venv", venv])
            guard made.status == 0 else {
                return .failed("python3 -m venv failed (on Debian: apt-get install python3-venv): \(made.output)")
            }
            let folder = NSTemporaryDirectory() + "tbt-pip-\(UUID().uuidString.prefix(8))"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let fetched = try shell([venv + "/bin/python", "-m", "pip", "download", "-q"] + download + ["-d", folder] + packages)
            guard fetched.status == 0 else { return .unreachable }
            let source = installFromDownload ? ["--no-index", "--find-links", folder] : []
            let installed = try shell([venv + "/bin/python", "-m", "pip", "install", "-q"] + source + packages)
            guard installed.status == 0 else { return .failed("pip install \(packages) failed: \(installed.output)") }
            _ = FileManager.default.createFile(atPath: venv + "/.installed", contents: nil)
            return .ready
        } catch {
            return .failed("cannot set up the venv \(venv): \(error)")
        }
    }
}
