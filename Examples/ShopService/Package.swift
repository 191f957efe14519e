// swift-tools-version:6.1
import PackageDescription

// A small service tested against real databases with TestbedTesting.
//
//     cd Examples/ShopService && swift test
//
// Linux only, like Testbed itself (docs/architecture.md, "Platform").
let package = Package(
    name: "ShopService",
    products: [
        .library(name: "ShopService", targets: ["ShopService"]),
    ],
    dependencies: [
        // The Testbed package two folders up (this repository). Databases only, no HTTP links to
        // real upstreams and no `verify`: without the default trait HTTPClient the build skips
        // async-http-client and swift-nio-ssl (BoringSSL), most of a clean build's time.
        .package(name: "Testbed", path: "../..", traits: []),
    ],
    targets: [
        .target(name: "ShopService"),
        .testTarget(
            name: "ShopServiceTests",
            dependencies: [
                "ShopService",
                .product(name: "TestbedTesting", package: "Testbed"),
            ]
        ),
    ]
)
