import DNSCrypto
import DNSModel
import TestAuthority
import Testing

@testable import DNSSECValidator

/// The rule files called directly with hand-built records: no `Validator`, no upstream.
@Suite struct DelegationRulesTests {
    let zone = try! DNSName("example.test.")

    func keys(_ n: Int, flags: UInt16 = 256) throws -> [(SigningKey, DNSKEYData)] {
        try (0..<n).map { _ in
            let k = try SigningKey(algorithm: 13, flags: flags)
            guard case .dnskey(let d) = try RData(type: .dnskey, wire: k.dnskeyRDATA) else {
                throw CryptoError.library("not a DNSKEY")
            }
            return (k, d)
        }
    }

    @Test func usableDSDropsUnknownAlgorithmsDigestsAndSHA1NextToSHA256() throws {
        let (k, _) = try keys(1, flags: 257)[0]
        let sha1 = makeDS(owner: zone, dnskeyRDATA: k.dnskeyRDATA, digestType: 1)
        let sha256 = makeDS(owner: zone, dnskeyRDATA: k.dnskeyRDATA, digestType: 2)
        let gost = makeDS(owner: zone, dnskeyRDATA: k.dnskeyRDATA, digestType: 3)
        var privateAlg = sha256; privateAlg.algorithm = 253
        #expect(DelegationRules.usableDS([sha1, gost, privateAlg, sha256]) == [sha256])
        #expect(DelegationRules.usableDS([sha1, gost]) == [sha1])
        #expect(DelegationRules.usableDS([gost, privateAlg]).isEmpty)
        #expect(DelegationRules.unusableDSReason([gost], zone: zone).code == .unsupportedDigest)
        #expect(DelegationRules.unusableDSReason([gost, privateAlg], zone: zone).code == .unsupportedAlgorithm)
    }

    /// RFC 4035 §5.2: any usable DS counts, wherever it sits in a large set.
    @Test func theOnlyMatchingDSIsFoundAtTheEndOfAFortyRecordSet() throws {
        let (ksk, kskData) = try keys(1, flags: 257)[0]
        var ds = (0..<39).map { _ in
            var d = makeDS(owner: zone, dnskeyRDATA: ksk.dnskeyRDATA)
            d.digest = SecureRandom.bytes(32)
            return d
        }
        #expect(DelegationRules.vouchedKeys([kskData], zone: zone, ds: ds, anchored: []).trusted.isEmpty)
        ds.append(makeDS(owner: zone, dnskeyRDATA: ksk.dnskeyRDATA))
        #expect(DelegationRules.vouchedKeys([kskData], zone: zone, ds: ds, anchored: []).trusted == [kskData])
    }

    /// Forty keys in any order: the same key found, the same canonical order out.
    @Test func matchingDoesNotDependOnTheOrderOfTheKeySet() throws {
        let all = try keys(39).map(\.1)
        let (ksk, kskData) = try keys(1, flags: 257)[0]
        let ds = [makeDS(owner: zone, dnskeyRDATA: ksk.dnskeyRDATA)]
        let set = all + [kskData]
        let expected = DelegationRules.zoneKeys(set)
        for _ in 0..<5 {
            let shuffled = set.shuffled()
            #expect(DelegationRules.vouchedKeys(shuffled, zone: zone, ds: ds, anchored: []).trusted == [kskData])
            #expect(DelegationRules.zoneKeys(shuffled) == expected)
        }
        #expect(expected.count == 40)
    }

    @Test func revokedAndNonZoneKeysAreNotTrusted() throws {
        let (revoked, revokedData) = try keys(1, flags: 257 | 0x80)[0]
        let (plain, plainData) = try keys(1, flags: 0x0001)[0]  // SEP only, no Zone Key bit
        let ds = [
            makeDS(owner: zone, dnskeyRDATA: revoked.dnskeyRDATA), makeDS(owner: zone, dnskeyRDATA: plain.dnskeyRDATA),
        ]
        let r = DelegationRules.vouchedKeys([revokedData, plainData], zone: zone, ds: ds, anchored: [])
        #expect(r.trusted.isEmpty)
        #expect(r.revoked == [revokedData])
        #expect(DelegationRules.zoneKeys([revokedData, plainData]) == [revokedData])
    }

    @Test func anchoredKeysAreTrustedByTheirPublicKey() throws {
        let (_, d) = try keys(1, flags: 257)[0]
        #expect(DelegationRules.vouchedKeys([d], zone: zone, ds: [], anchored: [d]).trusted == [d])
        var other = d; other.publicKey[5] ^= 1
        #expect(DelegationRules.vouchedKeys([d], zone: zone, ds: [], anchored: [other]).trusted.isEmpty)
    }
}

@Suite struct QuestionRulesTests {
    let anchors = try! TrustAnchors.parse(
        text: "example.test. IN DS 1 13 2 " + String(repeating: "AB", count: 32) + "\n", file: "t")

    @Test func rrsigQuestionsCannotBeValidated() throws {
        #expect(
            QuestionRules.unvalidatableType(Question(name: try DNSName("a.example.test."), type: .rrsig))?.code
                == .typeNotValidatable)
        #expect(QuestionRules.unvalidatableType(Question(name: try DNSName("a.example.test."), type: .ipseckey)) == nil)
    }

    @Test func dsNeedsAnAnchorAboveTheZone() throws {
        let apex = try DNSName("example.test.")
        #expect(
            QuestionRules.dsWithoutAnchorAbove(Question(name: apex, type: .ds), anchors: anchors)?.code
                == .noTrustAnchor)
        #expect(
            QuestionRules.dsWithoutAnchorAbove(Question(name: .root, type: .ds), anchors: anchors)?.code
                == .noTrustAnchor)
        #expect(
            QuestionRules.dsWithoutAnchorAbove(
                Question(name: try DNSName("sub.example.test."), type: .ds), anchors: anchors) == nil)
        #expect(QuestionRules.dsWithoutAnchorAbove(Question(name: apex, type: .dnskey), anchors: anchors) == nil)
    }
}
