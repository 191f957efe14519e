// Testbed is Linux only (docs/architecture.md, "Platform"): say so once, instead of a page
// of Glibc errors, when someone builds it elsewhere.
#if !os(Linux)
#error("Testbed runs on Linux only: it relies on Glibc, /proc, waitid and Linux socket behaviour (see docs/architecture.md, Platform)")
#endif
