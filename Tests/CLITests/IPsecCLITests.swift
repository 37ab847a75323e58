import DNSModel
import Foundation
import TestAuthority
import Testing

@testable import ipseckey_verify

func temporaryDirectory(_ tag: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "ipsec-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func listing(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

/// `--write-pubkey`, `--expect-gateway`, the daemon formats and `record`, against the test authority.
@Suite(.serialized) struct IPsecCLITests {
    func base() async throws -> [String] {
        let f = try await CLIFixture.shared.get()
        return ["--server", f.server.address, "--trust-anchor", f.anchor, "--timeout", "3"]
    }

    @Test func writePubkeyWritesOneFilePerKeyAtomically() async throws {
        let dir = try temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A stale file of the same owner (a withdrawn third key) and an unrelated file.
        try "old".write(toFile: dir + "/gw.ecdsa256.test.p30.3.pem", atomically: false, encoding: .utf8)
        try "keep".write(toFile: dir + "/gw.ecdsa256.test.p30.pem", atomically: false, encoding: .utf8)
        let r = try cli(try await base() + ["--write-pubkey", dir, "gw.ecdsa256.test."])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(
            listing(dir) == ["gw.ecdsa256.test.p10.1.pem", "gw.ecdsa256.test.p20.2.pem", "gw.ecdsa256.test.p30.pem"])
        let first = try String(contentsOfFile: dir + "/gw.ecdsa256.test.p10.1.pem", encoding: .utf8)
        #expect(first.hasPrefix("-----BEGIN PUBLIC KEY-----\n") && first.hasSuffix("-----END PUBLIC KEY-----\n"))
        let mode =
            try FileManager.default.attributesOfItem(atPath: dir + "/gw.ecdsa256.test.p10.1.pem")[.posixPermissions]
            as? Int
        #expect(mode == 0o644)
        // The file's key is the record's key: back through `record`, the RDATA is the served one.
        let rec = try cli([
            "record", "--precedence", "10", "--gateway", "192.0.2.38", "--rdata", dir + "/gw.ecdsa256.test.p10.1.pem",
        ])
        #expect(rec.status == 0, "\(rec.stderr)")
        let served = try cli(try await base() + ["gw.ecdsa256.test."])
        #expect(served.stdout.contains("IPSECKEY\t" + rec.stdout.trimmingCharacters(in: .newlines) + "\n"))
    }

    @Test(arguments: ["gw.expired.test.", "gw.tampered.test.", "gw.unsigned.test.", "nxdomain.nsec3.test."])
    func nothingWrittenUnlessSecure(name: String) async throws {
        let dir = try temporaryDirectory("untouched")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stem = name.dropLast()
        try "previous key".write(toFile: dir + "/\(stem).p10.1.pem", atomically: false, encoding: .utf8)
        let before =
            try FileManager.default.attributesOfItem(atPath: dir + "/\(stem).p10.1.pem")[.modificationDate] as? Date
        let r = try cli(try await base() + ["--write-pubkey", dir, name])
        #expect(r.status != 0)
        #expect(listing(dir) == ["\(stem).p10.1.pem"])
        #expect(try String(contentsOfFile: dir + "/\(stem).p10.1.pem", encoding: .utf8) == "previous key")
        #expect(
            try FileManager.default.attributesOfItem(atPath: dir + "/\(stem).p10.1.pem")[.modificationDate] as? Date
                == before)
    }

    @Test(arguments: ["key-dsa.ecdsa256.test.", "key-none.ecdsa256.test.", "key-unknown.ecdsa256.test.", "192.0.2.38"])
    func unexportableKeysExit6(name: String) async throws {
        let dir = try temporaryDirectory("unexportable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try cli(try await base() + ["--write-pubkey", dir, name])
        #expect(r.status == 6, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("no exportable key"))
        #expect(listing(dir).isEmpty)
        // --format pem no longer exits 0 with no key printed.
        let p = try cli(try await base() + ["--format", "pem", name])
        #expect(p.status == 6)
        #expect(!p.stdout.contains("BEGIN PUBLIC KEY"))
    }

    @Test func rfc4025ExampleKeyIsTooSmall() async throws {
        let r = try cli(try await base() + ["--format", "pem", "192.0.2.38"])
        #expect(r.stderr.contains("RSA modulus of 255 bits is below the 2048 bits RFC 8247 requires"))
    }

    @Test func expectGateway() async throws {
        let v6 = try cli(
            try await base() + [
                "--expect-gateway", "2001:0db8:0:8002:0:0:2000:1", "--format", "pem", "gw.ecdsa256.test.",
            ])
        #expect(v6.status == 0, "\(v6.stderr)")
        #expect(v6.stdout.components(separatedBy: "BEGIN PUBLIC KEY").count == 2)
        #expect(v6.stdout.contains("key 2 of 2 (precedence 20, gateway 2001:db8:0:8002::2000:1"))
        let none = try cli(try await base() + ["--expect-gateway", "192.0.2.99", "gw.ecdsa256.test."])
        #expect(none.status == 5)
        #expect(none.stderr.contains("no IPSECKEY record at gw.ecdsa256.test. has gateway 192.0.2.99"))
        #expect(none.stdout.isEmpty)
        let named = try cli(try await base() + ["--expect-gateway", "GW.ecdsa256.test", "gw-name.ecdsa256.test."])
        #expect(named.status == 0)
    }

    @Test func severalKeysAreLabelled() async throws {
        let r = try cli(try await base() + ["--format", "pem", "gw.ecdsa256.test."])
        #expect(r.status == 0)
        #expect(
            r.stdout.contains(
                "# gw.ecdsa256.test. key 1 of 2 (precedence 10, gateway 192.0.2.38, RSA 2048-bit)\n-----BEGIN"))
        #expect(r.stderr.contains("2 keys"))
    }

    @Test func libreswanDirectives() async throws {
        let r = try cli(
            try await base() + ["--format", "libreswan", "key-ecdsa256.ecdsa256.test.", "key-rsa.ecdsa256.test."])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\nrightecdsakey=0s"))
        #expect(r.stdout.contains("\nrightrsasigkey=0sAwEAA"))
        let ed = try cli(try await base() + ["--format", "libreswan", "key-ed25519.ecdsa256.test."])
        #expect(ed.status == 6)
        #expect(ed.stderr.contains("libreswan 4.x cannot load EdDSA"))
        let p384 = try cli(try await base() + ["--format", "libreswan", "key-ecdsa384.ecdsa256.test."])
        #expect(p384.stdout.contains("crashes on P-384"))
    }

    @Test func swanctlSectionNamesTheFiles() async throws {
        let dir = try temporaryDirectory("swanctl")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try cli(
            try await base() + [
                "--format", "swanctl", "--write-pubkey", dir, "--expect-gateway", "192.0.2.38", "gw.ecdsa256.test.",
            ])
        #expect(r.status == 0, "\(r.stderr)")
        let path = URL(fileURLWithPath: dir).appendingPathComponent("gw.ecdsa256.test.p10.1.pem").standardizedFileURL
            .path
        #expect(r.stdout.contains("remote {\n    auth = pubkey\n    id = 192.0.2.38\n    pubkeys = \(path)\n}\n"))
        #expect(listing(dir) == ["gw.ecdsa256.test.p10.1.pem"])
        let usage = try cli(try await base() + ["--format", "swanctl", "gw.ecdsa256.test."])
        #expect(usage.status == 64)
    }

    @Test func recordRefusesWeakKeysAndMissingFiles() throws {
        let dir = try temporaryDirectory("record")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try cli(["record", "--gateway", ".", dir + "/missing.pem"]).status == 66)
        try "garbage\n".write(toFile: dir + "/g.pem", atomically: false, encoding: .utf8)
        let g = try cli(["record", "--gateway", ".", dir + "/g.pem"])
        #expect(g.status == 65)
        #expect(g.stderr.contains("no PEM public key"))
        #expect(try cli(["record", "--gateway", "300.1.1.1", dir + "/g.pem"]).status == 64)
    }
}

/// Records given to the test authority (`ipseckey-testbed serve --ipseckey/--zone-extra/--tamper`) are signed with
/// the zone that holds them; a tampered one is bogus.
@Suite struct ExtraRecordTests {
    @Test func extraRecordsAreSignedAndTamperedOnesAreBogus() async throws {
        let key = "10 1 4 192.0.2.90 upuI06A10LisoWLgX55Y4/WhLU774fgZOkgqH9qBrgM="
        let extra = try ZoneText.records(
            """
            peer.test. 300 IN IPSECKEY \(key)
            peer.ed25519.test. 300 IN IPSECKEY \(key)
            2.100.51.198.in-addr.arpa. 300 IN IPSECKEY \(key)
            bad.test. 300 IN IPSECKEY \(key)
            """, origin: .root)
        let h = try TestHierarchy.build(extra: extra, tamper: [try DNSName("bad.test.")])
        let server = try await LoopbackServer.start(engine: h.engine)
        let anchor = FileManager.default.temporaryDirectory.appendingPathComponent("extra-root-\(getpid()).ds").path
        try h.dsAnchorText.write(toFile: anchor, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: anchor) }
        let base = ["--server", server.address, "--trust-anchor", anchor, "--timeout", "3"]
        for name in ["peer.test.", "peer.ed25519.test.", "198.51.100.2"] {
            let r = try cli(base + [name])
            #expect(r.status == 0, "\(name): \(r.stderr)")
            #expect(r.stdout.contains("IPSECKEY\t\(key)"))
        }
        // The catalogue's own records are still there.
        #expect(try cli(base + ["gw.ecdsa256.test."]).status == 0)
        let bad = try cli(base + ["bad.test."])
        await server.stop()
        #expect(bad.status == 3)
        #expect(bad.stderr.contains("does not verify"))
    }
}

@Suite struct JSONExportTests {
    @Test func jsonCarriesPEMOnlyForExportableKeys() async throws {
        let f = try await CLIFixture.shared.get()
        let base = ["--server", f.server.address, "--trust-anchor", f.anchor, "--timeout", "3", "--json"]
        for (name, exportable) in [
            ("192.0.2.38", false), ("key-dsa.ecdsa256.test.", false), ("key-ed25519.ecdsa256.test.", true),
        ] {
            let r = try cli(base + [name])
            #expect(r.status == 0)
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let keys = try #require(obj["keys"] as? [[String: Any]])
            #expect(!keys.isEmpty)
            #expect(keys.allSatisfy { ($0["pem"] as? String != nil) == exportable }, "\(name)")
        }
    }
}
