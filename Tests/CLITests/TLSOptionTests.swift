import Foundation
import Testing

// The DNS-over-TLS options of the command line (the transport itself: Tests/DNSTransportTests/TLSUpstreamTests.swift
// and the unbound integration tests).

@Suite struct TLSOptionTests {
    private static let pin = "sha256:eG1/bgtWI/lD+GhXZAPTE8oUDH1rJPPD03sGdVhf7Gc="

    @Test(arguments: [
        ("--tls-name dns.test gw.example.", "need a --server tls://"),
        ("--tls-pin \(pin) --server 127.0.0.1 gw.example.", "need a --server tls://"),
        ("--server tls://127.0.0.1 --server 127.0.0.2 gw.example.", "cannot be mixed"),
        ("--server tls://127.0.0.1 --tls-pin sha256:AAAA gw.example.", "not the base64 of 32 octets"),
        ("--server tls://127.0.0.1 --tls-pin \(String(pin.dropFirst(7))) gw.example.", "must be sha256:BASE64"),
        ("--server tls://127.0.0.1 --tls-name 127.0.0.1 gw.example.", "is an IP address"),
        ("--server tls://dns.example gw.example.", "host names are not accepted"),
        ("--server tls://127.0.0.1:99999 gw.example.", "out of range"),
    ])
    func usageErrors(line: String, message: String) throws {
        let r = try cli(line.split(separator: " ").map(String.init))
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }

    @Test func missingCAFileIsMissingInput() throws {
        let r = try cli([
            "--server", "tls://127.0.0.1", "--tls-name", "dns.test", "--tls-ca", "/nonexistent/ca.pem", "gw.example.",
        ])
        #expect(r.status == 66, "\(r.stderr)")
        #expect(r.stderr.contains("/nonexistent/ca.pem"))
    }

    @Test func caFileWithoutCertificatesIsBadData() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(getpid()).pem").path
        try "not a certificate\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try cli(["--server", "tls://127.0.0.1", "--tls-name", "dns.test", "--tls-ca", path, "gw.example."])
        #expect(r.status == 65, "\(r.stderr)")
    }

    @Test func plainDNSServerOnTheTLSPortIsIndeterminate() async throws {
        // The test authority answers plain DNS over TCP on this port; asked for TLS, the client must not use it.
        let f = try await CLIFixture.shared.get()
        let r = try cli([
            "--server", "tls://\(f.server.address)", "--tls-pin", Self.pin, "--trust-anchor", f.anchor,
            "--timeout", "1", "--retries", "1", "gw.ecdsa256.test.",
        ])
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stderr.contains("TLS handshake"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
