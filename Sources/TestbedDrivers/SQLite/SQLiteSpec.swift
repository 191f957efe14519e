import TestbedModel
/// An SQLite database file of the run's own.
package struct SQLiteSpec: ServiceKindSpec {
    /// nil: `RUN_DIR/NAME/NAME.sqlite`. Relative paths are against the manifest's folder.
    package var path: Template?
    /// Pragmas applied on every connection Testbed opens; `foreign_keys` is on unless set.
    package var pragmas: [(name: String, value: String)]

    /// `sqlite`.
    package var kindName: String { "sqlite" }

    /// Makes an SQLite spec; the defaults put the file in the run directory with no extra pragmas.
    package init(path: Template? = nil, pragmas: [(name: String, value: String)] = []) {
        self.path = path
        self.pragmas = pragmas
    }
}
