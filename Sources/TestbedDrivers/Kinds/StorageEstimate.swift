/// The room one service's data takes in the run directory at its largest during the start,
/// estimated before the run root is chosen (``ServiceKind/estimate(_:)``).
package struct StorageEstimate: Sendable, Equatable {
    /// Bytes, margins included.
    package var bytes: UInt64
    /// True when the size came from a cached snapshot; false for an estimate from fixture
    /// files (checked again before the copy).
    package var isKnown: Bool
}
