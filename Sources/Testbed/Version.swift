/// Testbed's version: the one place it is written. `testbed --version` prints it, and
/// scripts/package.sh reads it from the built binary to name the tarball and the .deb.
public let testbedVersion = "0.3.0"
