// swift-tools-version:6.1
// Micro-benchmarks of the hot paths (wire parse, canonical form, signature verification, NSEC3 hashing), built
// with ordo-one's package-benchmark. A separate package so the root package does not depend on it.
// Run with ../Scripts/microbench (or `swift package --package-path Benchmarks benchmark` from the root).
import PackageDescription
import class Foundation.ProcessInfo
import struct Foundation.URL

// The root package is depended on by path; SwiftPM names a path dependency after its folder ("main" in the
// usual work tree, something else in a fresh clone), so the product references use that folder's name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "ipseckey-verify-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "DNSBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "DNSModel", package: root),
                .product(name: "DNSCrypto", package: root),
                .product(name: "DNSSECValidator", package: root),
                .product(name: "IPSecKeyResolver", package: root),
                .product(name: "TestAuthority", package: root),
            ],
            path: "Benchmarks/DNSBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)
