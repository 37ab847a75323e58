// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ipseckey-verify",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "IPSecKeyResolver", targets: ["IPSecKeyResolver"]),
        .library(name: "DNSSECValidator", targets: ["DNSSECValidator"]),
        .library(name: "DNSModel", targets: ["DNSModel"]),
        .library(name: "DNSCrypto", targets: ["DNSCrypto"]),
        // Test side only (zone signing with libldns, the in-process authority): for Benchmarks/ and Fuzz/.
        .library(name: "TestAuthority", targets: ["TestAuthority"]),
        .executable(name: "ipseckey-verify", targets: ["ipseckey-verify"]),
        .executable(name: "ipseckey-testbed", targets: ["ipseckey-testbed"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // `swift package generate-documentation --target IPSecKeyResolver` (README.md, "The library").
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // C declarations only. Every call into them lives in DNSCrypto.
        .systemLibrary(name: "CLDNS", pkgConfig: "ldns", providers: [.apt(["libldns-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // The one bridging module: owns every ldns_* / EVP_* call and every raw pointer.
        .target(name: "DNSCrypto", dependencies: ["CLDNS", "COpenSSL"]),
        // Pure Swift DNS message model: names, records, wire codec, presentation, canonical form.
        .target(name: "DNSModel"),
        // The upstream protocol and the types it speaks, NIO-free: what the validator asks through.
        .target(name: "Upstream", dependencies: ["DNSModel"]),
        // The socket module: UDP/TCP and DNS over TLS to upstream resolvers (the only module that uses NIOSSL).
        .target(name: "DNSTransport", dependencies: [
            "DNSModel", "Upstream", "DNSCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "DNSSECValidator", dependencies: [
            "DNSModel", "DNSCrypto", "Upstream",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "IPSecKeyResolver", dependencies: [
            "DNSModel", "DNSCrypto", "Upstream", "DNSTransport", "DNSSECValidator",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Test side only: the in-process authority, and zone signing through its own small libldns bridge.
        .target(name: "TestAuthority", dependencies: [
            "DNSModel", "DNSCrypto", "DNSTransport", "CLDNS", "COpenSSL",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The command line talks only to the front: IPSecKeyResolver re-exports the model, the validator's value
        // types, the upstream protocol and Logging (Exports.swift).
        .executableTarget(name: "ipseckey-verify", dependencies: [
            "IPSecKeyResolver",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // The getting-started article's code (IPSecKeyResolver.docc), compiled; DocumentationTests checks the two agree.
        .executableTarget(name: "GettingStarted", dependencies: ["IPSecKeyResolver"], path: "Examples/GettingStarted"),
        .executableTarget(name: "ipseckey-testbed", dependencies: [
            "TestAuthority", "DNSModel",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "DNSModelTests", dependencies: ["DNSModel", "DNSCrypto", "TestAuthority"]),
        .testTarget(name: "DNSCryptoTests", dependencies: ["DNSCrypto"]),
        .testTarget(name: "DNSTransportTests", dependencies: ["DNSTransport", "DNSModel", "DNSSECValidator", "TestAuthority",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOEmbedded", package: "swift-nio")]),
        .testTarget(name: "DNSSECValidatorTests", dependencies: ["DNSSECValidator", "DNSModel", "DNSCrypto", "DNSTransport", "TestAuthority"]),
        .testTarget(name: "IPSecKeyResolverTests", dependencies: ["IPSecKeyResolver", "DNSModel", "DNSCrypto", "DNSSECValidator", "DNSTransport", "TestAuthority",
            .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "CLITests", dependencies: ["TestAuthority", "DNSModel", "DNSTransport", "DNSSECValidator", "IPSecKeyResolver", "ipseckey-verify",
            .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "IntegrationTests", dependencies: ["IPSecKeyResolver", "DNSModel", "DNSSECValidator", "DNSTransport", .product(name: "Logging", package: "swift-log")]),
    ]
)
