import Foundation
import Testing

/// The module graph of Docs/Architecture.md, checked against the imports in the source files.
@Suite struct ModuleEdgeTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    /// (module directory, file name, import lines) for every Swift file under Sources.
    static func imports() throws -> [(module: String, file: String, lines: [String])] {
        var out: [(String, String, [String])] = []
        let modules = try FileManager.default.contentsOfDirectory(atPath: sources.path)
        for module in modules {
            let dir = sources.appendingPathComponent(module)
            guard let files = FileManager.default.enumerator(atPath: dir.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter {
                        $0.range(of: #"^(@_exported |internal |public |private )?import "#, options: .regularExpression)
                            != nil
                    }
                out.append((module, file, lines))
            }
        }
        return out
    }

    @Test func validatorModelUpstreamAndCLIImportNoNIO() throws {
        let all = try Self.imports()
        #expect(all.count > 40)
        for (module, file, lines) in all
        where ["DNSModel", "Upstream", "DNSSECValidator", "ipseckey-verify"].contains(module) {
            for line in lines {
                #expect(!line.contains("import NIO"), "\(module)/\(file): \(line)")
                if module != "ipseckey-verify" {
                    #expect(!line.hasSuffix("import DNSTransport"), "\(module)/\(file): \(line)")
                }
            }
        }
    }

    @Test func onlyTheBridgesImportC() throws {
        let bridges: Set<String> = ["DNSCrypto", "TestAuthority/LDNSSigner.swift"]
        for (module, file, lines) in try Self.imports() {
            for line in lines where line.hasSuffix("import CLDNS") || line.hasSuffix("import COpenSSL") {
                #expect(bridges.contains(module) || bridges.contains("\(module)/\(file)"), "\(module)/\(file): \(line)")
                #expect(line.hasPrefix("internal import"), "\(module)/\(file): \(line) (a C type could leak)")
            }
        }
    }

    /// The command line talks only to the front: no file of it imports the model, the validator, the transport or
    /// Logging by name (IPSecKeyResolver re-exports what it needs), and its target depends on nothing else.
    @Test func theCLIImportsOnlyTheFront() throws {
        let allowed: Set<String> = [
            "IPSecKeyResolver", "ArgumentParser", "SystemPackage", "Foundation", "Synchronization",
        ]
        let cli = try Self.imports().filter { $0.module == "ipseckey-verify" }
        #expect(cli.count > 5)
        for (module, file, lines) in cli {
            for line in lines {
                let name = String(line.split(separator: " ").last ?? "")
                #expect(allowed.contains(name), "\(module)/\(file): \(line)")
            }
        }
        let manifest = try String(
            contentsOf: Self.sources.deletingLastPathComponent().appendingPathComponent("Package.swift"),
            encoding: .utf8)
        let start = try #require(manifest.range(of: #".executableTarget(name: "ipseckey-verify""#))
        let end = try #require(manifest[start.upperBound...].range(of: "]),"))
        let block = manifest[start.upperBound..<end.lowerBound]
        for module in ["DNSModel", "DNSSECValidator", "DNSTransport", "Upstream", "DNSCrypto", "NIO", "Logging"] {
            #expect(!block.contains("\"\(module)"), "the CLI target depends on \(module)")
        }
        #expect(block.contains("\"IPSecKeyResolver\""))
    }

    /// Style (issue 14): no line of Sources, Tests or Examples longer than 120 characters; swift-format (run by
    /// Scripts/test) checks the rest of the layout but cannot break a long string literal.
    @Test func noLineLongerThan120Characters() throws {
        let root = Self.sources.deletingLastPathComponent()
        var long: [String] = []
        for top in ["Sources", "Tests", "Examples"] {
            let dir = root.appendingPathComponent(top)
            guard let files = FileManager.default.enumerator(atPath: dir.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.count > 120 {
                    long.append("\(top)/\(file):\(n + 1) (\(line.count))")
                }
            }
        }
        #expect(long.isEmpty, "\(long)")
    }
}
