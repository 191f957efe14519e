@_exported import Testbed
