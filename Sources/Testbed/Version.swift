/// Testbed's version: the one place it is written. `testbed --version` prints it, and
/// scripts/package.sh reads it from the built binary to name the tarball and the .deb.
package let testbedVersion = "0.5.0"
