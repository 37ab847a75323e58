import ArgumentParser
import DNSModel
import Foundation
import TestAuthority

/// Serves the private signed test hierarchy (Docs/TestAuthority.md) on a loopback address, UDP and TCP.
@main
struct Testbed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ipseckey-testbed",
        abstract: "The project's signed test hierarchy, served like a recursive resolver on loopback.",
        subcommands: [Serve.self, Dump.self], defaultSubcommand: Serve.self)

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build the hierarchy with fresh keys and serve it.")
        @Option(help: "Loopback address to listen on (127.0.0.0/8 or ::1).") var address = "127.0.0.1"
        @Option(help: "Port (0: ephemeral).") var port = 53535
        @Option(help: "Directory to write root.ds, root-anchors.xml and testbed.env into.") var anchorDir: String
        @Option(help: "Hold every answer this many milliseconds (a distant resolver).") var delayMs = 0
        @Option(
            help: ArgumentHelp(
                "Publish an IPSECKEY record (RDATA in presentation form, e.g. from `ipseckey-verify record --rdata`) "
                    + "at NAME, signed with the rest (repeatable).",
                valueName: "NAME=RDATA"))
        var ipseckey: [String] = []
        @Option(
            help: ArgumentHelp(
                "Zone-file lines with absolute owner names, each added to the zone that holds it and signed with it "
                    + "(repeatable).",
                valueName: "FILE"))
        var zoneExtra: [String] = []
        @Option(
            help: ArgumentHelp(
                "Change NAME's IPSECKEY RRset after signing, so that it validates as bogus (repeatable).",
                valueName: "NAME"))
        var tamper: [String] = []

        func validate() throws {
            guard address.hasPrefix("127.") || address == "::1" else {
                throw ValidationError("--address must be a loopback address")
            }
            guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
            guard (0...10_000).contains(delayMs) else { throw ValidationError("--delay-ms must be 0…10000") }
            _ = try extraRecords()
            for t in tamper { do { _ = try DNSName(t) } catch { throw ValidationError("--tamper '\(t)': \(error)") } }
        }

        /// The records of --ipseckey and --zone-extra.
        func extraRecords() throws -> [ResourceRecord] {
            var text = ""
            for item in ipseckey {
                guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                    throw ValidationError("--ipseckey '\(item)': expected NAME=RDATA")
                }
                var name = String(item[..<eq])
                if !name.hasSuffix(".") { name += "." }
                text += "\(name) 300 IN IPSECKEY \(item[item.index(after: eq)...])\n"
            }
            for file in zoneExtra {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("--zone-extra \(file): cannot read")
                }
                text += String(decoding: data, as: UTF8.self) + "\n"
            }
            do { return try ZoneText.records(text, defaultTTL: 300, origin: .root) } catch {
                throw ValidationError("extra records: \(error)")
            }
        }

        func run() async throws {
            let h = try TestHierarchy.build(extra: try extraRecords(), tamper: try tamper.map { try DNSName($0) })
            let server = try await LoopbackServer.start(
                engine: h.engine, host: address, port: port, delay: .milliseconds(delayMs))
            let dir = URL(fileURLWithPath: anchorDir)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try h.dsAnchorText.write(to: dir.appendingPathComponent("root.ds"), atomically: true, encoding: .utf8)
            try h.anchorXML.write(to: dir.appendingPathComponent("root-anchors.xml"), atomically: true, encoding: .utf8)
            try (h.rootKSK.description + "\n").write(
                to: dir.appendingPathComponent("root.key"), atomically: true, encoding: .utf8)
            let env = "TESTBED_SERVER=\(server.address)\nTESTBED_ANCHOR=\(dir.path)/root.ds\nTESTBED_PID=\(getpid())\n"
            try env.write(to: dir.appendingPathComponent("testbed.env"), atomically: true, encoding: .utf8)
            FileHandle.standardError.write(
                Data("ipseckey-testbed: serving \(h.engine.zones.count) zones on \(server.address)\n".utf8))
            while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
        }
    }

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every zone of a freshly built hierarchy.")
        func run() async throws {
            let h = try TestHierarchy.build()
            for apex in h.engine.zones.keys.sorted() {
                let z = h.engine.zones[apex]!
                print("; zone \(apex)")
                for key in z.rrsets.keys.sorted(by: { ($0.name, $0.type.rawValue) < ($1.name, $1.type.rawValue) }) {
                    print(z.rrsets[key]!.description)
                    for s in z.signatures[key] ?? [] { print(s.description) }
                }
            }
        }
    }
}
