import DNSCrypto
import DNSModel
import TestAuthority
import Testing

@testable import DNSSECValidator

/// Rules/RFC4035+RRSIG.swift and Rules/RFC6672+DNAME.swift called directly with hand-built records.
@Suite struct RRSIGRulesTests {
    let zone = try! DNSName("example.test.")
    let now: UInt32 = 1_800_000_000

    func set(_ owner: String, ttl: UInt32 = 3600) throws -> RRset {
        RRset(name: try DNSName(owner), type: .a, ttl: ttl, rdatas: [[192, 0, 2, 1]])
    }

    func sig(
        labels: UInt8 = 3, signer: String = "example.test.", inception: UInt32? = nil, expiration: UInt32? = nil,
        originalTTL: UInt32 = 3600, tag: UInt16 = 1
    ) throws -> RRSIGData {
        RRSIGData(
            typeCovered: .a, algorithm: 13, labels: labels, originalTTL: originalTTL,
            expiration: expiration ?? now &+ 86400, inception: inception ?? now &- 3600, keyTag: tag,
            signerName: try DNSName(signer), signature: [1, 2, 3])
    }

    func code(_ s: RRSIGData, _ set: RRset, skew: UInt32? = 0) -> Reason.Code? {
        RRSIGRules.fieldFailure(s, over: set, zone: zone, now: now, clockSkew: skew)?.code
    }

    @Test func fieldsThatAgreePass() throws {
        #expect(code(try sig(), try set("www.example.test.")) == nil)
    }

    @Test func signerMustBeTheZoneAndAnAncestor() throws {
        #expect(code(try sig(signer: "other.test."), try set("www.example.test.")) == .badSigner)
        #expect(code(try sig(), try set("www.elsewhere.test.")) == .badSigner)
    }

    @Test func labelsAboveTheOwnersAreInvalid() throws {
        #expect(code(try sig(labels: 4), try set("www.example.test.")) == .signatureInvalid)
        // A literal wildcard owner does not count its asterisk (RFC 4034 §3.1.3).
        #expect(code(try sig(labels: 3), try set("*.www.example.test.")) == nil)
        #expect(code(try sig(labels: 4), try set("*.www.example.test.")) == .signatureInvalid)
    }

    @Test func wildcardExpansionIsRecognisedByTheLabelCount() throws {
        #expect(RRSIGRules.wildcardLabels(try sig(labels: 2), owner: try DNSName("x.example.test.")) == 2)
        #expect(RRSIGRules.wildcardLabels(try sig(labels: 3), owner: try DNSName("x.example.test.")) == nil)
    }

    @Test func validityWindowWithSerialArithmeticAndSkew() throws {
        let www = try set("www.example.test.")
        #expect(code(try sig(inception: now &+ 10), www) == .signatureNotYetValid)
        #expect(code(try sig(expiration: now &- 10), www) == .signatureExpired)
        #expect(code(try sig(inception: now &+ 10), www, skew: 60) == nil)
        #expect(code(try sig(expiration: now &- 10), www, skew: 60) == nil)
        // RFC 1982: a window across the 32-bit wrap is still a window.
        let wrapped = RRSIGRules.fieldFailure(
            try sig(inception: UInt32.max - 100, expiration: 100), over: www, zone: zone,
            now: 5, clockSkew: 0)
        #expect(wrapped == nil)
    }

    @Test func defaultSkewIsATenthOfTheLifetimeWithinOneHourAndOneDay() throws {
        #expect(RRSIGRules.allowedSkew(try sig(inception: 0, expiration: 30 * 86400), configured: nil) == 86400)
        #expect(RRSIGRules.allowedSkew(try sig(inception: 0, expiration: 2 * 3600), configured: nil) == 3600)
        #expect(RRSIGRules.allowedSkew(try sig(inception: 0, expiration: 5 * 86400), configured: nil) == 43200)
        #expect(RRSIGRules.allowedSkew(try sig(), configured: 0) == 0)
    }

    @Test func revokedKeysAreSetApart() throws {
        let k = try SigningKey(algorithm: 13, flags: 256)
        let r = try SigningKey(algorithm: 13, flags: 256 | 0x80)
        func trusted(_ key: SigningKey) throws -> TrustedKey {
            guard case .dnskey(let d) = try RData(type: .dnskey, wire: key.dnskeyRDATA) else {
                throw CryptoError.library("not a DNSKEY")
            }
            return TrustedKey(d)
        }
        let keys = [try trusted(k), try trusted(r)]
        let byLive = RRSIGRules.candidateKeys(for: try sig(tag: keys[0].tag), in: keys)
        #expect(byLive.usable.count == 1 && byLive.revoked.isEmpty)
        let byRevoked = RRSIGRules.candidateKeys(for: try sig(tag: keys[1].tag), in: keys)
        #expect(byRevoked.usable.isEmpty && byRevoked.revoked.count == 1)
    }

    @Test func acceptedTTLIsCappedByOriginalTTLAndTimeLeft() throws {
        let long = try set("www.example.test.", ttl: 86400)
        #expect(RRSIGRules.cappedTTL(long, [try sig(originalTTL: 3600)], now: now) == 3600)
        #expect(RRSIGRules.cappedTTL(long, [try sig(expiration: now &+ 100, originalTTL: 3600)], now: now) == 100)
        #expect(RRSIGRules.cappedTTL(long, [try sig(expiration: now &- 100)], now: now) == 0)
    }
}

@Suite struct DNAMERulesTests {
    @Test func substitutionReplacesTheOwnerSuffix() throws {
        let out = DNAMERules.substitute(
            try DNSName("gw.alias.example."), owner: try DNSName("alias.example."),
            target: try DNSName("other.test."))
        #expect(out == (try DNSName("gw.other.test.")))
    }

    @Test func theOwnerItselfAndNamesOutsideAreNotSubstituted() throws {
        let owner = try DNSName("alias.example.")
        #expect(DNAMERules.substitute(owner, owner: owner, target: try DNSName("other.test.")) == nil)
        #expect(
            DNAMERules.substitute(try DNSName("gw.elsewhere."), owner: owner, target: try DNSName("other.test.")) == nil
        )
    }

    @Test func resultsOver255OctetsAreRefused() throws {
        let label = String(repeating: "a", count: 60)
        let long = try DNSName("\(label).\(label).\(label).x.alias.example.")
        let target = try DNSName("\(label).\(label).test.")
        #expect(DNAMERules.substitute(long, owner: try DNSName("alias.example."), target: target) == nil)
    }
}
