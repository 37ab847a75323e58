import DNSModel
import Foundation
import TestAuthority
import Testing

@testable import ipseckey_verify

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
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "ipseckey-verify")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
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
    return Run(
        status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
        stderr: String(decoding: e, as: UTF8.self))
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
        if code >= 2 { #expect(r.stderr.contains(name.hasSuffix(".") ? name : name)); #expect(r.stdout.isEmpty) }
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

    /// On a terminal, batch mode draws a progress bar on stderr; into a pipe it draws nothing. The terminal is a
    /// pseudo-terminal from util-linux `script`.
    @Test func batchProgressBarOnlyOnATerminal() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cli-progress-\(getpid()).txt").path
        try (1...20).map { "w\($0).wild.nsec.test.\n" }.joined().write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let args = try await base() + ["--batch", file]
        let piped = try cli(args)
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("[#"), "\(piped.stderr)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = ([binary().path] + args).map { "'\($0)'" }.joined(separator: " ")
        p.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("[" + String(repeating: "#", count: 30) + "] 100% 20/20"), "\(text)")
        #expect(text.contains("names/s"))
    }

    @Test func progressBarText() {
        let bar = ProgressBar(total: 200).line(done: 50, elapsed: 2)
        #expect(bar.hasPrefix("\r[#######-----------------------] 25% 50/200 25 names/s, 0:06 left"))
    }

    @Test func batchKeepsInputOrderAndReturnsHighestCode() async throws {
        let r = try cli(
            try await base() + ["--batch", "-", "--json"],
            stdin: "gw.ecdsa256.test.\ngw.unsigned.test.\n# comment\ngw.ed448.test.\n")
        #expect(r.status == 2)
        let targets = r.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.compactMap { $0["target"] as? String }
        #expect(targets == ["gw.ecdsa256.test.", "gw.unsigned.test.", "gw.ed448.test."])
    }

    @Test(arguments: [
        "66 --trust-anchor /nonexistent/root.ds gw.example.",
        "64",
        "64 192.0.2.999",
        "64 --server not-an-address x.",
        "64 --validation-time yesterday x.",
        "64 --type NOSUCHTYPE x.",
        "64 --retries 11 x.",
        "64 --retries -1 x.",
    ])
    func badCommandLines(line: String) throws {
        let words = line.split(separator: " ").map(String.init)
        let code = Int32(words[0])!
        let r = try cli(Array(words.dropFirst()))
        #expect(r.status == code, "\(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    /// `--retries 0` is accepted and asks each upstream once, like dig's `+retry=0`.
    @Test func retriesZeroAsksOnce() async throws {
        let r = try cli(try await base() + ["--retries", "0", "gw.ecdsa256.test."])
        #expect(r.status == 0, "\(r.stderr)")
        let down = try cli([
            "--server", "127.0.0.1:9", "--trust-anchor", try await CLIFixture.shared.get().anchor,
            "--retries", "0", "--timeout", "1", "gw.ecdsa256.test.",
        ])
        #expect(down.status == 4, "\(down.stderr)")
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
        let r = try cli([
            "--server", "127.0.0.1:9", "--trust-anchor", f.anchor, "--timeout", "0.3", "--retries", "1",
            "gw.ecdsa256.test.",
        ])
        #expect(r.status == 4)
    }

    @Test func validationTimeInThePastMakesSignaturesNotYetValid() async throws {
        let r = try cli(try await base() + ["--validation-time", "20200101000000", "gw.ecdsa256.test."])
        #expect(r.status == 3)
        #expect(r.stderr.contains("not valid before"))
    }
}

func runTool(_ path: String, _ args: [String], stdin: Data? = nil) throws -> (Int32, Data) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    let inp = Pipe()
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(stdin) }
    try inp.fileHandleForWriting.close()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, data)
}

@Suite(.serialized) struct CLIRecordTests {
    func base() async throws -> [String] {
        let f = try await CLIFixture.shared.get()
        return ["--server", f.server.address, "--trust-anchor", f.anchor, "--timeout", "3"]
    }

    func json(_ name: String) async throws -> [String: Any] {
        let r = try cli(try await base() + ["--json", name])
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test(arguments: [
        ("gw-none", 0, "none"), ("gw-v4", 1, "192.0.2.38"), ("gw-v6", 2, "2001:db8:0:8002::2000:1"),
        ("gw-name", 3, "gw.ecdsa256.test."),
    ])
    func gatewayTypes(label: String, type: Int, gateway: String) async throws {
        let obj = try await json("\(label).ecdsa256.test.")
        #expect(obj["verdict"] as? String == "secure")
        let rec = try #require((obj["records"] as? [[String: Any]])?.first)
        #expect(rec["gateway_type"] as? Int == type)
        #expect(rec["gateway"] as? String == gateway)
        #expect(rec["ttl"] as? Int == 3600)
    }

    @Test(arguments: [
        ("key-rsa", 2, "RSA 2048-bit"), ("key-ecdsa256", 3, "ECDSA P-256"), ("key-ecdsa384", 3, "ECDSA P-384"),
        ("key-ed25519", 4, "Ed25519"), ("key-ed448", 4, "Ed448"), ("key-dsa", 1, "DSA 512-bit"),
        ("key-none", 0, "no key"), ("key-unknown", 200, "opaque"),
    ])
    func keyAlgorithms(label: String, algorithm: Int, kind: String) async throws {
        let obj = try await json("\(label).ecdsa256.test.")
        #expect(obj["exit"] as? Int == 0)
        let key = try #require((obj["keys"] as? [[String: Any]])?.first)
        #expect(key["algorithm"] as? Int == algorithm)
        #expect(key["key_type"] as? String == kind)
    }

    @Test func badECDSAKeyIsRejected() async throws {
        let r = try cli(try await base() + ["key-bad-ecdsa.ecdsa256.test."])
        #expect(r.status == 3)
        #expect(r.stderr.contains("ECDSA"))
    }

    /// The PEM we print is read back by OpenSSL, and the key it holds is the IPSECKEY's key.
    @Test(arguments: ["key-ed25519", "key-ed448", "key-ecdsa256", "key-ecdsa384", "key-rsa"])
    func pemRoundTripsThroughOpenSSL(label: String) async throws {
        let name = "\(label).ecdsa256.test."
        let pem = try cli(try await base() + ["--pem", name])
        #expect(pem.status == 0)
        let block = pem.stdout.split(separator: "\n").filter { !$0.hasPrefix(";") }.joined(separator: "\n") + "\n"
        let (status, der) = try runTool(
            "/usr/bin/openssl", ["pkey", "-pubin", "-outform", "DER"], stdin: Data(block.utf8))
        #expect(status == 0)
        let obj = try await json(name)
        let rec = try #require((obj["records"] as? [[String: Any]])?.first)
        let key = try #require(Data(base64Encoded: rec["public_key"] as? String ?? ""))
        if label.hasPrefix("key-ed") {
            #expect(der.suffix(key.count) == key)
        } else if label.hasPrefix("key-ecdsa") {
            #expect(der.suffix(key.count) == key)  // uncompressed point 04||x||y ends the SPKI
        } else {
            // RFC 3110: exponent length 3 (01 00 01) then the modulus, which must appear in the DER.
            let modulus = key.dropFirst(4)
            #expect(der.range(of: modulus) != nil)
        }
    }

    @Test func unknownOptionIsUsageError() throws {
        let r = try cli(["--no-such-option", "x."])
        #expect(r.status == 64)
    }

    @Test func severalNamesExitWithTheHighestCode() async throws {
        let r = try cli(try await base() + ["gw.ecdsa256.test.", "nxdomain.ecdsa256.test.", "gw.unsigned.test."])
        #expect(r.status == 2)
        #expect(r.stdout.contains(";; secure: gw.ecdsa256.test. IPSECKEY"))
        #expect(r.stdout.contains(";; secure denial"))
    }

    @Test func versionAndHelp() throws {
        #expect(try cli(["--version"]).stdout.contains("ipseckey-verify"))
        let help = try cli(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("EXIT CODES"))
    }
}
