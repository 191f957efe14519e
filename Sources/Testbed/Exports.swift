// `import Testbed` is the library's one import: it gives a user every public type, whichever
// target defines it (docs/architecture.md, "Targets"). What those targets declare `package`
// stays out of reach of users' code; the CLI and TestbedTesting, in this package, see it.
@_exported import TestbedSystem
@_exported import TestbedModel
@_exported import TestbedHTTP
@_exported import TestbedSeed
@_exported import TestbedTapes
@_exported import TestbedHealth
@_exported import TestbedLinks
@_exported import TestbedDrivers
