import DNSCrypto
import DNSModel
import DNSSECValidator
import Foundation
import IPSecKeyResolver
import Logging
import TestAuthority
import Testing

func makeResolver() async throws -> (Resolver, InProcessUpstream) {
    let h = try await TestHierarchy.shared()
    let upstream = InProcessUpstream(engine: h.engine)
    let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "test-root.ds")
    return (Resolver(upstream: upstream, anchors: anchors, logger: Logger(label: "test")), upstream)
}

@Suite struct ResolveAuthenticatedTests {
    @Test func secureKeysInPrecedenceOrder() async throws {
        let (r, _) = try await makeResolver()
        let keys = try await r.resolveAuthenticated(name: try DNSName("gw.ecdsa256.test."))
        #expect(keys.map(\.precedence) == [10, 20])
        #expect(keys[0].gateway == .ipv4([192, 0, 2, 38]))
        guard case .rsa(let bits, _) = keys[0].kind else { Issue.record("expected RSA, got \(keys[0].kind)"); return }
        #expect(bits == 2048)
        let pem = try keys[0].pem()
        #expect(pem.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
    }

    @Test func reverseLookupOfRFC4025Example() async throws {
        let (r, _) = try await makeResolver()
        let keys = try await r.resolveAuthenticated(address: "192.0.2.38")
        #expect(keys.count == 5)
        #expect(Set(keys.map(\.gateway.gatewayType)) == [0, 1, 2, 3])
        let v6 = try await r.resolveAuthenticated(address: "2001:db8::1")
        #expect(v6.count == 1)
        #expect(v6[0].kind == .ed25519)
    }

    @Test(arguments: [
        ("gw.unsigned.test.", "insecure"), ("gw.expired.test.", "bogus"), ("gw.tampered.test.", "bogus"),
        ("nxdomain.ecdsa256.test.", "denied"), ("www.ecdsa256.test.", "denied"), ("loop1.nsec.test.", "indeterminate"),
        ("cname-insecure.nsec.test.", "insecure"), ("cname-bogus.nsec.test.", "bogus"),
    ])
    func rejectedNeverReturnsKeys(name: String, expected: String) async throws {
        let (r, _) = try await makeResolver()
        let dname = try DNSName(name)
        do throws(IPSecKeyLookupError) {
            let keys = try await r.resolveAuthenticated(name: dname)
            Issue.record("\(name) returned \(keys.count) keys")
        } catch {
            let kind: String =
                switch error {
                case .denied: "denied"
                case .insecure: "insecure"
                case .bogus: "bogus"
                case .indeterminate: "indeterminate"
                case .malformedRecords: "malformed"
                }
            #expect(kind == expected, "\(error)")
            #expect(error.reason != nil)
        }
    }

    @Test func malformedKeyIsNotAccepted() async throws {
        let (r, _) = try await makeResolver()
        await #expect(throws: IPSecKeyLookupError.self) {
            try await r.resolveAuthenticated(name: try DNSName("key-bad-ecdsa.ecdsa256.test."))
        }
    }

    @Test(arguments: ["key-ecdsa256", "key-ecdsa384", "key-ed25519", "key-ed448", "key-rsa", "key-dsa"])
    func keyExportIsAcceptedByOpenSSL(label: String) async throws {
        let (r, _) = try await makeResolver()
        let keys = try await r.resolveAuthenticated(name: try DNSName("\(label).ecdsa256.test."))
        let der = try keys[0].subjectPublicKeyInfo()
        #expect(VerifyingKey.isValidSPKI(der))
        // openssl itself reads the PEM.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("k-\(label)-\(UUID()).pem")
        try keys[0].pem().write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["pkey", "-pubin", "-in", url.path, "-noout"]
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(keys[0].libreswanKey?.hasPrefix("0s") == true)
    }

    @Test func noKeyAndUnknownAlgorithmKeysAreNotExportable() async throws {
        let (r, _) = try await makeResolver()
        let none = try await r.resolveAuthenticated(name: try DNSName("key-none.ecdsa256.test."))
        #expect(throws: KeyExportError.self) { try none[0].pem() }
        let unknown = try await r.resolveAuthenticated(name: try DNSName("key-unknown.ecdsa256.test."))
        #expect(unknown[0].algorithm.code == 200)
        #expect(throws: KeyExportError.self) { try unknown[0].pem() }
    }

    @Test func concurrentLookupsShareUpstreamQueries() async throws {
        let (r, upstream) = try await makeResolver()
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<50 { g.addTask { _ = try? await r.resolveAuthenticated(name: try DNSName("gw.ed448.test.")) } }
        }
        let q = Question(name: try DNSName("gw.ed448.test."), type: .ipseckey)
        #expect(upstream.count(for: q) == 1)
        #expect(upstream.count(for: Question(name: try DNSName("ed448.test."), type: .dnskey)) == 1)
    }
}

@Suite struct TrustAnchorFileTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func bundledFilesAgreeWithBuiltIn() throws {
        let ds = try TrustAnchors.load(path: Self.repo.appendingPathComponent("TrustAnchors/root.ds").path)
        let xml = try TrustAnchors.load(path: Self.repo.appendingPathComponent("TrustAnchors/root-anchors.xml").path)
        let builtIn = TrustAnchors.ianaRoot
        let tags = { (a: TrustAnchors) in
            Set(a.anchors[.root]!.compactMap { if case .ds(_, let d) = $0 { d } else { nil } })
        }
        #expect(tags(ds) == tags(builtIn))
        #expect(tags(xml) == tags(builtIn))
        #expect(Set(tags(builtIn).map(\.keyTag)) == [20326, 38696])
    }

    @Test func xmlValidityWindowIsHonoured() throws {
        let xml = try String(
            contentsOf: Self.repo.appendingPathComponent("TrustAnchors/root-anchors.xml"), encoding: .utf8)
        let before2024 = try TrustAnchors.parse(text: xml, file: "x", now: Date(timeIntervalSince1970: 1_600_000_000))
        #expect(before2024.anchors[.root]?.count == 1)
        #expect(throws: TrustAnchorError.self) {
            try TrustAnchors.parse(text: xml, file: "x", now: Date(timeIntervalSince1970: 1_000_000_000))
        }
    }

    @Test func errorsNameFileAndLine() throws {
        do {
            _ = try TrustAnchors.parse(text: ". IN DS 20326 8 2 E06D\n. IN DS bad\n", file: "anchors.ds")
            Issue.record("accepted a malformed line")
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("anchors.ds:2:"))
        }
        #expect(throws: TrustAnchorError.self) { try TrustAnchors.parse(text: "example. IN A 192.0.2.1\n", file: "a") }
        #expect(throws: TrustAnchorError.self) { try TrustAnchors.parse(text: "; only a comment\n", file: "a") }
        #expect(throws: TrustAnchorError.self) { try TrustAnchors.load(path: "/nonexistent/anchor.ds") }
    }
}
