// swift-tools-version:6.0
// libFuzzer targets for the root package. Not part of the root build: see Docs/Security.md, "Fuzzing and sanitizers".
// Build one with
//   swift build --package-path Fuzz --scratch-path .build-fuzz -c debug \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzWire
// or simply run Scripts/fuzz.
import PackageDescription

let package = Package(
    name: "ipseckey-verify-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "ipseckey-verify", path: "..")],
    targets: [
        // libFuzzer's driver, shared by every fuzzer's entry point.
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzWire", dependencies: ["FuzzDriver", .product(name: "DNSModel", package: "ipseckey-verify")]),
        .executableTarget(name: "FuzzIPSecKey", dependencies: [
            "FuzzDriver",
            .product(name: "IPSecKeyResolver", package: "ipseckey-verify"),
            .product(name: "DNSModel", package: "ipseckey-verify"),
        ]),
        // The front's public text parsers: lookup targets, addresses, gateways, upstream addresses, PEM keys.
        .executableTarget(name: "FuzzTextParsers", dependencies: [
            "FuzzDriver",
            .product(name: "IPSecKeyResolver", package: "ipseckey-verify"),
        ]),
        .executableTarget(name: "FuzzTrustAnchor", dependencies: [
            "FuzzDriver",
            .product(name: "DNSSECValidator", package: "ipseckey-verify"),
        ]),
        // Upstream (the DNSUpstream protocol) is not a product of the root package; it is importable because
        // DNSSECValidator depends on it and every module of a package build shares one module directory.
        .executableTarget(name: "FuzzValidator", dependencies: [
            "FuzzDriver",
            .product(name: "DNSSECValidator", package: "ipseckey-verify"),
            .product(name: "DNSModel", package: "ipseckey-verify"),
        ]),
        // Differential: our signature verification against libldns's ldns_verify_rrsig_keylist_time.
        .executableTarget(name: "FuzzLDNSDifferential", dependencies: [
            "FuzzDriver",
            .product(name: "DNSSECValidator", package: "ipseckey-verify"),
            .product(name: "DNSModel", package: "ipseckey-verify"),
            .product(name: "DNSCrypto", package: "ipseckey-verify"),
        ]),
    ]
)
