/// A service's kind-specific settings from the manifest — a `postgres:` or `sqlite:` block,
/// a process's command and ports — as a plain value.
///
/// ``ServiceSpec/kind`` holds one. What Testbed does with it (reading, values, planning,
/// the driver) belongs to the kind's `ServiceKind`, found by ``kindName`` in
/// `ServiceKinds`; the value itself knows nothing above the manifest model.
package protocol ServiceKindSpec: Sendable {
    /// The kind's word (`process`, `postgres`, `sqlite`), as the CLI prints it.
    var kindName: String { get }
}
