/// A file Testbed writes into a service's folder before the service starts (`files:`).
///
/// Its text is inline (`content:`) or read from a template beside the manifest
/// (`template:`); either way `${…}` placeholders are filled when the run is planned and
/// every other `$` (nginx's `$host`, a shell's `$VAR`) is left as it is. The written path
/// is the value `${service.files.KEY}`.
package struct ServiceFileSpec: Sendable {
    /// The key under `files:`: the value is `files.KEY`.
    package var key: String
    /// The file's name in the service's folder (`name:`, else the key); never a path.
    package var name: String
    /// The text, one template per line, each with its own file:line (the template file's
    /// line for `template:`, the manifest's for `content:`). Joined with newlines.
    package var lines: [Template]
    /// Permission bits (default 0600: the file may hold secrets).
    package var mode: UInt16
    /// The template file read, when the text comes from one.
    package var templatePath: String?
    /// Where the file also appears inside a container, read-only (an `image:` service's
    /// `target:`); nil: only in the service's folder.
    package var target: String?
    /// Where the file is declared in the manifest.
    package var location: SourceLocation

    /// Makes a file spec; ``ManifestLoader`` does this for each `files:` entry.
    package init(key: String, name: String, lines: [Template], mode: UInt16 = 0o600, templatePath: String? = nil,
                location: SourceLocation) {
        self.key = key
        self.name = name
        self.lines = lines
        self.mode = mode
        self.templatePath = templatePath
        self.location = location
    }
}

/// The account a process service runs as (`user:`).
package struct ServiceUserSpec: Sendable, Hashable {
    /// The account's login name.
    package var name: String
    /// True: switch only when Testbed runs as root, and run as the caller otherwise (what the
    /// presets use for servers that refuse root); false: a non-root caller must be this user.
    package var onlyAsRoot: Bool
    /// Where `user:` is written.
    package var location: SourceLocation

    /// Makes a user spec.
    package init(name: String, onlyAsRoot: Bool = false, location: SourceLocation) {
        self.name = name
        self.onlyAsRoot = onlyAsRoot
        self.location = location
    }
}

/// A program a service needs and the Debian package that installs it (presets set it),
/// so a missing one is reported with the `apt-get install` line.
package struct RequiredProgram: Sendable, Hashable {
    /// The executable's name, looked up on PATH and in /usr/sbin.
    package var program: String
    /// The Debian package that provides it.
    package var package: String

    /// Makes a requirement.
    package init(program: String, package: String) {
        self.program = program
        self.package = package
    }
}
