// swift-tools-version:6.1
import PackageDescription

// Linux only (built and tested on Debian 12): the library spawns, signals and watches
// processes through Glibc, /proc and Linux's socket and waitid behaviour. SwiftPM has no
// `.linux` entry for `platforms:`, and a macOS minimum would promise a port that does not
// exist, so there is none; building elsewhere stops at Sources/Testbed/LinuxOnly.swift.
// See docs/architecture.md, "Platform".
// The upstream HTTP client (HTTP links that reach a real upstream, `verify`), built only with
// the HTTPClient trait (below): the targets that use it name this list.
let upstreamHTTPClient: [Target.Dependency] = [
    .product(name: "AsyncHTTPClient", package: "async-http-client", condition: .when(traits: ["HTTPClient"])),
    .product(name: "NIOSSL", package: "swift-nio-ssl", condition: .when(traits: ["HTTPClient"])),
]

let package = Package(
    name: "Testbed",
    products: [
        .library(name: "Testbed", targets: ["Testbed"]),
        .library(name: "TestbedTesting", targets: ["TestbedTesting"]),
        .executable(name: "testbed", targets: ["testbed"]),
    ],
    // HTTPClient brings async-http-client and swift-nio-ssl (BoringSSL), most of a clean build's
    // time: HTTP links that reach a real upstream (record, passthrough) and `verify` need it.
    // On by default; a package that uses only databases and processes through TestbedTesting
    // can leave it out: `.package(url: …, from: …, traits: [])`. docs/architecture.md, "Build cost".
    traits: [
        .trait(name: "HTTPClient", description: "HTTP links to real upstreams (TLS included) and `verify` (async-http-client, swift-nio-ssl)"),
        .default(enabledTraits: ["HTTPClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // The HTTP link's upstream client: TLS (swift-nio-ssl), connection pooling, redirects
        // left to the client. See docs/architecture.md, "HTTP links", for its build cost.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // TLS settings for that client (a link's `ca_file`); already in the graph through it.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // `swift package generate-documentation` (scripts/build-docs.sh): a command plugin, used
        // only when asked; it adds nothing to `swift build`.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // zlib, for the HTTP link's gzip/deflate bodies (decoded for matching and tapes).
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The layers, each target naming only targets below it, so a dependency that points up
        // does not compile: the system, plain values, the engines, the core that composes them;
        // TestbedTesting and the CLI on top. docs/architecture.md, "Targets", has the graph.
        .target(
            name: "TestbedSystem"
        ),
        .target(
            name: "TestbedModel",
            dependencies: [
                "TestbedSystem",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "TestbedHTTP",
            dependencies: [
                "TestbedSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TestbedSeed",
            dependencies: ["TestbedSystem", "TestbedModel"]
        ),
        .target(
            name: "TestbedTapes",
            dependencies: [
                "TestbedSystem",
                "TestbedModel",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TestbedHealth",
            dependencies: ["TestbedSystem", "TestbedModel", "TestbedHTTP"]
        ),
        .target(
            name: "TestbedLinks",
            dependencies: [
                "TestbedSystem",
                "TestbedModel",
                "TestbedHTTP",
                "TestbedTapes",
                "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + upstreamHTTPClient
        ),
        .target(
            name: "TestbedDrivers",
            dependencies: [
                "TestbedSystem",
                "TestbedModel",
                "TestbedSeed",
                "TestbedHealth",
                "CLibPQ",
                "CSQLite",
            ]
        ),
        .target(
            name: "Testbed",
            dependencies: [
                "TestbedSystem",
                "TestbedModel",
                "TestbedHTTP",
                "TestbedSeed",
                "TestbedTapes",
                "TestbedHealth",
                "TestbedLinks",
                "TestbedDrivers",
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + upstreamHTTPClient
        ),
        .target(
            name: "TestbedTesting",
            dependencies: ["Testbed", "TestbedSystem", "TestbedModel"]
        ),
        .executableTarget(
            name: "testbed",
            dependencies: [
                "Testbed",
                "TestbedSystem",
                "TestbedModel",
                "TestbedHTTP",
                "TestbedTapes",
                "TestbedLinks",
                "TestbedDrivers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "TestbedTests",
            dependencies: [
                "Testbed", "TestbedTesting", "TestbedSystem", "TestbedModel", "TestbedHTTP", "TestbedSeed",
                "TestbedTapes", "TestbedHealth", "TestbedLinks", "TestbedDrivers",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
    ]
)
