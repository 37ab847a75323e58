import DNSCrypto
import DNSModel
import DNSSECValidator
import Foundation
import IPSecKeyResolver
import TestAuthority
import Testing

@testable import IPSecKeyResolver

/// PEM → IPSECKEY (`record`) → our parser → PEM, export refusals, gateway matching, answer lifetime.
@Suite struct KeyPolicyTests {
    /// A PEM SubjectPublicKeyInfo for a freshly generated key of a DNSSEC algorithm (the DNSKEY key field has the
    /// same form as the IPSECKEY one: RFC 3110 for RSA, raw for ECDSA and EdDSA).
    static func pem(dnssecAlgorithm: UInt8, bits: UInt16 = 2048) throws -> (pem: String, raw: [UInt8]) {
        let key = try SigningKey(algorithm: dnssecAlgorithm, flags: 256, bits: bits)
        let raw = Array(key.dnskeyRDATA.dropFirst(4))
        return (DER.pem(try DER.dnskeySPKI(algorithm: dnssecAlgorithm, publicKey: raw)), raw)
    }

    @Test(arguments: [
        (UInt8(8), UInt8(2), "RSA 2048-bit"), (13, 3, "ECDSA P-256"), (14, 3, "ECDSA P-384"),
        (15, 4, "Ed25519"), (16, 4, "Ed448"),
    ])
    func roundTrip(dnssec: UInt8, ipseckey: UInt8, kind: String) throws {
        let (pem, raw) = try Self.pem(dnssecAlgorithm: dnssec)
        let made = try IPSecKey(publishing: pem, precedence: 10, gateway: try IPSecKey.gateway(parsing: "192.0.2.38"))
        #expect(made.algorithm.code == ipseckey)
        #expect(made.publicKey == raw)
        // Presentation form → wire → strict parser → PEM: the same key comes back.
        let text = made.description
        #expect(text.hasPrefix("10 1 \(ipseckey) 192.0.2.38 "))
        let parsedBack = try IPSecKey(unauthenticatedRDATA: made.rdata)
        #expect(parsedBack.kind.description == kind)
        #expect(try parsedBack.exportablePEM() == pem)
    }

    @Test func gatewayTypeFollowsTheGatewayText() throws {
        #expect(try IPSecKey.gateway(parsing: "192.0.2.1") == .ipv4([192, 0, 2, 1]))
        #expect(try IPSecKey.gateway(parsing: "[2001:db8::1]").gatewayType == 2)
        #expect(try IPSecKey.gateway(parsing: "gw.example.net") == .name(try DNSName("gw.example.net.")))
        #expect(try IPSecKey.gateway(parsing: ".") == IPSECKEYGateway.none)
        #expect(throws: KeyExportError.self) { try IPSecKey.gateway(parsing: "192.0.2") }
        #expect(throws: KeyExportError.self) { try IPSecKey.gateway(parsing: "2001:db8:::1") }
    }

    @Test func weakAndUnsupportedKeysAreRefusedWithTheirReason() throws {
        let (weak, _) = try Self.pem(dnssecAlgorithm: 8, bits: 1024)
        let e1 = #expect(throws: KeyExportError.self) { try IPSecKey(publishing: weak, precedence: 1, gateway: .none) }
        #expect(e1?.description.contains("1024 bits is below the 2048") == true)

        var dsa: [UInt8] = [0] + SecureRandom.bytes(20 + 64 * 3)
        dsa[1] |= 0x80; dsa[21] |= 0x80
        let dsaPEM = DER.pem(try DER.dsaSPKI(rfc2536: dsa))
        let e2 = #expect(throws: KeyExportError.self) {
            try IPSecKey(publishing: dsaPEM, precedence: 1, gateway: .none)
        }
        #expect(e2?.description.contains("DSA") == true)

        let e3 = #expect(throws: KeyExportError.self) {
            try IPSecKey(publishing: "not a key\n", precedence: 1, gateway: .none)
        }
        #expect(e3?.description.contains("no PEM public key") == true)
    }

    @Test func exportRefusals() throws {
        let rfc = TextEncoding.fromBase64("AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==")!
        let small = try IPSecKey(precedence: 10, gateway: .none, algorithm: 2, publicKey: rfc)
        #expect(small.exportRefusal?.contains("255 bits") == true)
        #expect(throws: KeyExportError.self) { try small.exportablePEM() }
        #expect(
            try IPSecKey(precedence: 10, gateway: .none, algorithm: 0, publicKey: []).exportRefusal?.contains(
                "algorithm 0") == true)
        #expect(
            try IPSecKey(precedence: 10, gateway: .none, algorithm: 200, publicKey: [1, 2]).exportRefusal?.contains(
                "200") == true)
        var dsa: [UInt8] = [0] + SecureRandom.bytes(20 + 64 * 3)
        dsa[1] |= 0x80
        #expect(
            try IPSecKey(precedence: 10, gateway: .none, algorithm: 1, publicKey: dsa).exportRefusal?.contains("DSA")
                == true)
        let (_, raw) = try Self.pem(dnssecAlgorithm: 15)
        let ed = try IPSecKey(precedence: 10, gateway: .none, algorithm: 4, publicKey: raw)
        #expect(ed.exportRefusal == nil)
        #expect(ed.libreswanDirective.name == nil)
    }

    @Test func gatewaysComparedAsAddresses() throws {
        let v6 = try IPSecKey(
            precedence: 1, gateway: .ipv6(TextEncoding.fromIPv6("2001:db8::2000:1")!), algorithm: 0, publicKey: [])
        #expect(v6.gatewayMatches("2001:0db8:0:0:0:0:2000:1"))
        #expect(v6.gatewayMatches("[2001:db8::2000:1]"))
        #expect(!v6.gatewayMatches("2001:db8::2000:2"))
        let v4 = try IPSecKey(precedence: 1, gateway: .ipv4([192, 0, 2, 38]), algorithm: 0, publicKey: [])
        #expect(v4.gatewayMatches("192.0.2.38"))
        #expect(!v4.gatewayMatches("192.0.2.3"))
        let named = try IPSecKey(
            precedence: 1, gateway: .name(try DNSName("GW.Example.NET.")), algorithm: 0, publicKey: [])
        #expect(named.gatewayMatches("gw.example.net"))
        #expect(named.gatewayMatches("gw.example.net."))
        #expect(!named.gatewayMatches("example.net"))
        #expect(!named.gatewayMatches("192.0.2.38"))
    }

    @Test func lifetimeOfASecureAnswer() async throws {
        let (r, _) = try await makeResolver()
        let h = try await TestHierarchy.shared()
        let answer = await r.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey)
        let life = try #require(SecureAnswerLifetime(answer))
        #expect(life.ttl == 3600)
        #expect(life.signatureExpiration == h.now &+ 30 * 86400)
        let bogus = await r.resolve(name: try DNSName("gw.tampered.test."), type: .ipseckey)
        #expect(SecureAnswerLifetime(bogus) == nil)
    }

    @Test func exportOrderIsStable() throws {
        let a = try IPSecKey(precedence: 10, gateway: .ipv4([192, 0, 2, 2]), algorithm: 0, publicKey: [])
        let b = try IPSecKey(precedence: 10, gateway: .ipv4([192, 0, 2, 1]), algorithm: 0, publicKey: [])
        let c = try IPSecKey(precedence: 5, gateway: .ipv4([192, 0, 2, 9]), algorithm: 0, publicKey: [])
        #expect(IPSecKey.exportOrder([a, b, c]) == [c, b, a])
        #expect(IPSecKey.exportOrder([b, c, a]) == [c, b, a])
    }
}
