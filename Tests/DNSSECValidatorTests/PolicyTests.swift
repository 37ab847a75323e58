import DNSModel
import DNSSECValidator
import Logging
import TestAuthority
import Testing

@Suite struct PolicyTests {
    func validator(_ h: TestHierarchy, anchorText: String? = nil, time: UInt32? = nil,
                   limits: ValidatorLimits = ValidatorLimits()) throws -> Validator {
        let anchors = try TrustAnchors.parse(text: anchorText ?? h.dsAnchorText, file: "anchors")
        return Validator(upstream: InProcessUpstream(engine: h.engine),
                         configuration: ValidatorConfiguration(anchors: anchors, validationTime: time, limits: limits),
                         logger: Logger(label: "policy"))
    }

    @Test func noCoveringAnchorIsIndeterminate() async throws {
        let h = try await TestHierarchy.shared()
        // An anchor for an unrelated private zone only.
        let v = try validator(h, anchorText: "island.invalid. IN DS 1 13 2 " + String(repeating: "AB", count: 32))
        let a = await v.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey)
        #expect(a.verdict == .indeterminate)
        #expect(a.reason?.code == .noTrustAnchor)
    }

    @Test func clockSkewAllowanceIsProportionalAndConfigurable() async throws {
        let h = try await TestHierarchy.shared()
        let name = try DNSName("gw.ecdsa256.test.")
        let late = h.now &+ 30 * 86400 &+ 12 * 3600   // 12 h after every signature expired
        let lenient = await (try validator(h, time: late)).resolve(name: name, type: .ipseckey)
        #expect(lenient.verdict == .secure, "\(lenient.reason?.message ?? "")")
        var strict = ValidatorLimits(); strict.clockSkew = 0
        let a = await (try validator(h, time: late, limits: strict)).resolve(name: name, type: .ipseckey)
        #expect(a.verdict == .bogus)
        #expect(a.reason?.code == .signatureExpired)
        #expect(a.reason?.message.contains("now ") == true)
        let muchLater = await (try validator(h, time: h.now &+ 32 * 86400)).resolve(name: name, type: .ipseckey)
        #expect(muchLater.verdict == .bogus)
    }

    @Test func acceptedTTLIsCappedBySignatureExpiration() async throws {
        let h = try await TestHierarchy.shared()
        let v = try validator(h, time: h.now &+ 30 * 86400 &- 100)
        let a = await v.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey)
        #expect(a.verdict == .secure)
        #expect((a.rrset?.ttl ?? 9999) <= 100)
    }

    @Test func upstreamQueryBudgetEndsIndeterminate() async throws {
        let h = try await TestHierarchy.shared()
        var limits = ValidatorLimits(); limits.maxUpstreamQueriesPerLookup = 2
        let a = await (try validator(h, limits: limits)).resolve(name: try DNSName("gw.a.b.sub.ecdsa256.test."), type: .ipseckey)
        #expect(a.verdict == .indeterminate)
        #expect(a.reason?.message.contains("upstream queries") == true)
    }

    @Test func traceTellsTheChainInOrder() async throws {
        let h = try await TestHierarchy.shared()
        let a = await (try validator(h)).resolve(name: try DNSName("gw.a.b.sub.ecdsa256.test."), type: .ipseckey)
        let zones = a.trace.map(\.zone)
        #expect(a.verdict == .secure)
        #expect(zones.first == ".")
        for z in [".", "test.", "ecdsa256.test.", "sub.ecdsa256.test."] { #expect(zones.contains(z)) }
        #expect(a.trace.last?.text.contains("IPSECKEY RRset of gw.a.b.sub.ecdsa256.test.") == true)
    }
}

@Suite struct RoundTripTests {
    /// A second lookup in a zone whose chain is validated costs one upstream question: the answer itself.
    @Test func secondLookupInSameZoneAsksOnlyForTheAnswer() async throws {
        let h = try await TestHierarchy.shared()
        let upstream = InProcessUpstream(engine: h.engine)
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
        let v = Validator(upstream: upstream, configuration: ValidatorConfiguration(anchors: anchors), logger: Logger(label: "rt"))
        #expect(await v.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey).verdict == .secure)
        let before = upstream.queryCount
        for name in ["key-rsa.ecdsa256.test.", "key-ed448.ecdsa256.test.", "x.wild.nsec.test."] {
            _ = await v.resolve(name: try DNSName(name), type: .ipseckey)
        }
        let secondInZone = upstream.queryCount - before
        // key-rsa and key-ed448: one question each; x.wild.nsec.test.: a new zone (nsec.test.), so its answer
        // plus the DS/DNSKEY questions of nsec.test. (and the DS of wild.nsec.test.), all sent in the first round.
        #expect(secondInZone <= 2 + 4, "\(secondInZone) upstream questions")
        let again = upstream.queryCount
        _ = await v.resolve(name: try DNSName("y.wild.nsec.test."), type: .ipseckey)
        #expect(upstream.queryCount - again == 1)
    }
}
