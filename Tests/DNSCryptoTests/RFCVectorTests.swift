import DNSCrypto
import Foundation
import Testing

/// The crypto the bridge owns, against the RFCs' own examples (and ldns-key2ds / ldns-nsec3-hash, which agree).
@Suite struct CryptoVectorTests {
    /// Uncompressed wire form of a name given as labels.
    func wire(_ labels: [String]) -> [UInt8] { labels.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0] }

    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    /// RFC 4034 §5.4: the DS of dskey.example.com.'s DNSKEY (key tag 60485, RSASHA1), SHA-1 as printed there,
    /// SHA-256 as ldns-key2ds computes it.
    @Test func dsDigestsOfRFC4034Example() throws {
        let key = try #require(
            Data(
                base64Encoded: """
                    AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmA\
                    phXdvxegXd/M5+\
                    X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==
                    """))
        let rdata: [UInt8] = [0x01, 0x00, 3, 5] + Array(key)
        let input = wire(["dskey", "example", "com"]) + rdata
        #expect(hex(DigestAlgorithm.sha1.hash(input)) == "2bb183af5f22588179a53b0a98631fad1a292118")
        #expect(
            hex(DigestAlgorithm.sha256.hash(input))
                == "d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a")
        // The same digests as libldns computes them (ldns_key_rr2ds), which the validator uses to match DS to keys.
        let owner = wire(["dskey", "example", "com"])
        #expect(
            DSDigest.digest(ownerWire: owner, dnskeyRDATA: rdata, digestType: 1).map(hex)
                == "2bb183af5f22588179a53b0a98631fad1a292118")
        #expect(
            DSDigest.digest(ownerWire: owner, dnskeyRDATA: rdata, digestType: 2).map(hex)
                == "d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a")
        #expect(DSDigest.digest(ownerWire: owner, dnskeyRDATA: rdata, digestType: 4)?.count == 48)
        #expect(DSDigest.digest(ownerWire: owner, dnskeyRDATA: rdata, digestType: 3) == nil)
        #expect(DSDigest.digest(ownerWire: owner, dnskeyRDATA: [1, 0], digestType: 2) == nil)
        #expect(DigestAlgorithm(dsDigestType: 1) == .sha1)
        #expect(DigestAlgorithm(dsDigestType: 2) == .sha256)
        #expect(DigestAlgorithm(dsDigestType: 4) == .sha384)
        #expect(DigestAlgorithm(dsDigestType: 3) == nil)  // GOST: not implemented (RFC 8624: MUST NOT validate)
    }

    /// RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
    @Test(arguments: [
        (["example"], "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"), (["a", "example"], "35mthgpgcu1qg68fab165klnsnk3dpvl"),
        (["ai", "example"], "gjeqe526plbf1g8mklp59enfd789njgi"),
        (["x", "w", "example"], "b4um86eghhds6nea196smvmlo4ors995"),
    ])
    func nsec3HashesOfRFC5155Appendix(labels: [String], expected: String) {
        let digest = NSEC3Hash.hash(canonicalName: wire(labels), salt: [0xaa, 0xbb, 0xcc, 0xdd], iterations: 12)
        #expect(base32hex(digest) == expected)
    }

    /// A malformed public key is refused with a reason, never a crash or a key that verifies anything.
    @Test(arguments: [
        (UInt8(8), 0), (8, 1), (8, 3), (13, 63), (13, 65), (14, 95), (15, 31), (15, 33), (16, 56), (99, 32),
    ])
    func malformedKeysAreRefused(algorithm: UInt8, length: Int) {
        #expect(throws: CryptoError.self) {
            _ = try VerifyingKey(algorithm: algorithm, dnskeyPublicKey: Array(repeating: 0x41, count: length))
        }
    }

    /// RSA keys libldns converts are held to the 512–4096-bit range, and a zero-length exponent is refused.
    @Test func rsaKeyBounds() throws {
        func rsa(exponent: [UInt8], modulusOctets: Int) -> [UInt8] {
            [UInt8(exponent.count)] + exponent + [0xc1] + Array(repeating: 0x37, count: modulusOctets - 1)
        }
        _ = try VerifyingKey(algorithm: 8, dnskeyPublicKey: rsa(exponent: [1, 0, 1], modulusOctets: 256))
        #expect(throws: CryptoError.self) {
            _ = try VerifyingKey(algorithm: 8, dnskeyPublicKey: rsa(exponent: [3], modulusOctets: 63))
        }
        #expect(throws: CryptoError.self) {
            _ = try VerifyingKey(algorithm: 8, dnskeyPublicKey: rsa(exponent: [3], modulusOctets: 513))
        }
        #expect(throws: CryptoError.self) {
            _ = try VerifyingKey(algorithm: 8, dnskeyPublicKey: [0, 0, 0] + Array(repeating: 0xc1, count: 128))
        }
        // An ECDSA point off the curve is refused by the conversion.
        #expect(throws: CryptoError.self) {
            _ = try VerifyingKey(algorithm: 13, dnskeyPublicKey: Array(repeating: 0x41, count: 64))
        }
    }

    @Test func randomBytesDiffer() {
        #expect(SecureRandom.bytes(16) != SecureRandom.bytes(16))
        #expect(SecureRandom.bytes(0).isEmpty)
    }

    /// RFC 4648 base32hex, lower case, no padding (the NSEC3 owner-name alphabet).
    func base32hex(_ bytes: [UInt8]) -> String {
        let alphabet = Array("0123456789abcdefghijklmnopqrstuv")
        var out = "", buffer = 0, bits = 0
        for b in bytes {
            buffer = buffer << 8 | Int(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }
}
