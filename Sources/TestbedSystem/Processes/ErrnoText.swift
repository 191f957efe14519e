#if canImport(Glibc)
import Glibc
#endif

/// The system's text for an `errno` value (`strerror`), e.g. `No such file or directory`:
/// the one way Testbed turns a failed system call into words for a message.
///
/// Read `errno` right after the call that failed (the default argument does): any call in
/// between may change it.
package func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
