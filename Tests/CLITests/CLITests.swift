import DNSModel
import Foundation
import TestAuthority
import Testing

/// The `ipseckey-verify` binary against the test authority on a loopback port.
actor CLIFixture {
    static let shared = CLIFixture()
    var started: (server: LoopbackServer, anchor: String)?

    func get() async throws -> (server: LoopbackServer, anchor: String) {
        if let started { return started }
        let h = try await TestHierarchy.shared()
        let server = try await LoopbackServer.start(engine: h.engine)
        let anchor = FileManager.default.temporaryDirectory.appendingPathComponent("cli-root-\(getpid()).ds").path
        try h.dsAnchorText.write(toFile: anchor, atomically: true, encoding: .utf8)
        started = (server, anchor)
        return (server, anchor)
    }
}

struct Run { let status: Int32; let stdout: String; let stderr: String }

func binary() -> URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ipseckey-verify")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return repo.appendingPathComponent(".build/debug/ipseckey-verify")
}

func cli(_ args: [String], stdin: String? = nil) throws -> Run {
    let p = Process()
    p.executableURL = binary()
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    if let stdin {
        let inp = Pipe()
        p.standardInput = inp
        try p.run()
        inp.fileHandleForWriting.write(Data(stdin.utf8))
        try inp.fileHandleForWriting.close()
    } else {
        try p.run()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

@Suite(.serialized) struct CLITests {
    func base() async throws -> [String] {
        let f = try await CLIFixture.shared.get()
        return ["--server", f.server.address, "--trust-anchor", f.anchor, "--timeout", "3"]
    }

    @Test(arguments: [
        ("gw.ecdsa256.test.", Int32(0)), ("nxdomain.nsec3.test.", 1), ("gw.unsigned.test.", 2), ("gw.expired.test.", 3),
        ("gw.tampered.test.", 3), ("loop1.nsec.test.", 4), ("192.0.2.38", 0), ("big.ecdsa256.test.", 0),
    ])
    func exitCodes(name: String, code: Int32) async throws {
        let r = try cli(try await base() + [name])
        #expect(r.status == code, "\(r.stdout)\n\(r.stderr)")
        if code == 0 { #expect(r.stdout.contains("IPSECKEY")); #expect(r.stdout.contains(";; secure:")) }
        if code >= 2 { #expect(r.stderr.contains(name.hasSuffix(".") ? name : name)) ; #expect(r.stdout.isEmpty) }
    }

    @Test func expiredReasonNamesTheRecordAndDate() async throws {
        let r = try cli(try await base() + ["gw.expired.test."])
        #expect(r.stderr.contains("RRSIG over gw.expired.test. IPSECKEY"))
        #expect(r.stderr.contains("expired at 20"))
    }

    @Test func jsonOutput() async throws {
        let r = try cli(try await base() + ["--json", "gw.ed25519.test.", "gw.dsmismatch.test."])
        #expect(r.status == 3)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["verdict"] as? String == "secure")
        #expect((first?["keys"] as? [[String: Any]])?.count == 2)
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        #expect(second?["verdict"] as? String == "bogus")
        #expect((second?["reason"] as? [String: Any])?["code"] as? String == "ds-mismatch")
        #expect((second?["records"] as? [Any])?.isEmpty == true)
    }

    @Test func formatsAndTrace() async throws {
        let pem = try cli(try await base() + ["--pem", "key-ed25519.ecdsa256.test."])
        #expect(pem.stdout.contains("-----BEGIN PUBLIC KEY-----"))
        let ls = try cli(try await base() + ["--format", "libreswan", "key-rsa.ecdsa256.test."])
        #expect(ls.stdout.contains("key=0sAwEAA"))
        let tr = try cli(try await base() + ["--trace", "--type", "A", "www.ecdsa256.test."])
        #expect(tr.status == 0)
        #expect(tr.stderr.contains("DNSKEY RRset of . "))
        #expect(tr.stderr.contains("DS RRset of ecdsa256.test."))
        let q = try cli(try await base() + ["--quiet", "gw.expired.test."])
        #expect(q.status == 3 && q.stdout.isEmpty && q.stderr.isEmpty)
    }

    @Test func batchKeepsInputOrderAndReturnsHighestCode() async throws {
        let r = try cli(try await base() + ["--batch", "-", "--json"], stdin: "gw.ecdsa256.test.\ngw.unsigned.test.\n# comment\ngw.ed448.test.\n")
        #expect(r.status == 2)
        let targets = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.compactMap { $0["target"] as? String }
        #expect(targets == ["gw.ecdsa256.test.", "gw.unsigned.test.", "gw.ed448.test."])
    }

    @Test(arguments: [
        "66 --trust-anchor /nonexistent/root.ds gw.example.",
        "64",
        "64 192.0.2.999",
        "64 --server not-an-address x.",
        "64 --validation-time yesterday x.",
        "64 --type NOSUCHTYPE x.",
    ])
    func badCommandLines(line: String) throws {
        let words = line.split(separator: " ").map(String.init)
        let code = Int32(words[0])!
        let r = try cli(Array(words.dropFirst()))
        #expect(r.status == code, "\(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test func malformedAnchorFileIsDataError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(getpid()).ds").path
        try ". IN DS 1 8 2 ZZZZ\n".write(toFile: path, atomically: true, encoding: .utf8)
        let r = try cli(["--server", "127.0.0.1:9", "--trust-anchor", path, "gw.example."])
        #expect(r.status == 65)
        #expect(r.stderr.contains(path + ":1"))
    }

    @Test func unreachableUpstreamIsIndeterminate() async throws {
        let f = try await CLIFixture.shared.get()
        let r = try cli(["--server", "127.0.0.1:9", "--trust-anchor", f.anchor, "--timeout", "0.3", "--retries", "1", "gw.ecdsa256.test."])
        #expect(r.status == 4)
    }

    @Test func validationTimeInThePastMakesSignaturesNotYetValid() async throws {
        let r = try cli(try await base() + ["--validation-time", "20200101000000", "gw.ecdsa256.test."])
        #expect(r.status == 3)
        #expect(r.stderr.contains("not valid before"))
    }
}
