import DNSCrypto
import DNSModel
import DNSSECValidator
import DNSTransport
import Logging
import TestAuthority
import Testing

/// Issue 12: the zone of a signed RRset is its RRSIG's signer; DS questions below the signer only look for hidden
/// cuts; DS questions need an anchor above the zone; large honest key and DS sets are used whole.
@Suite struct ChainModelTests {
    func validator(
        _ h: TestHierarchy, anchorText: String? = nil,
        rewrite: (@Sendable (Question, Message) -> Message?)? = nil
    ) throws -> Validator {
        let anchors = try TrustAnchors.parse(text: anchorText ?? h.dsAnchorText, file: "anchors")
        let upstream: any DNSUpstream =
            rewrite.map { HostileUpstream(engine: h.engine, rewrite: $0) } ?? InProcessUpstream(engine: h.engine)
        return Validator(
            upstream: upstream, configuration: ValidatorConfiguration(anchors: anchors), logger: Logger(label: "chain"))
    }

    func trace(_ a: ValidatedAnswer) -> String {
        "\(a.reason?.message ?? "-")\n" + a.trace.map(\.description).joined(separator: "\n")
    }

    /// DS questions below the signer that get SERVFAIL or no answer at all do not decide the lookup; the trace says
    /// the check could not be made.
    @Test(arguments: [
        ("anything.wild.nsec.test.", "wild.nsec.test."),
        ("gw.a.b.sub.ecdsa256.test.", "b.sub.ecdsa256.test."),
        ("gw.a.b.sub.ecdsa256.test.", "a.b.sub.ecdsa256.test."),
    ])
    func unanswerableDSBelowTheSignerLeavesTheSignersZone(_ name: String, _ failing: String) async throws {
        let h = try await TestHierarchy.shared()
        let bad = try DNSName(failing)
        for silent in [false, true] {
            let v = try validator(h) { q, m in
                guard q.type == .ds, q.name == bad else { return m }
                if silent { return nil }
                var m = m; m.rcode = .servFail; m.answers = []; m.authorities = []; return m
            }
            let a = await v.resolve(name: try DNSName(name), type: .ipseckey)
            #expect(a.verdict == .secure, "\(trace(a))")
            #expect(a.kind == .data)
            #expect(
                a.trace.contains { step in
                    if case .cutCheckUnavailable(let n, _, _, let why) = step.event {
                        n == bad && why.code == (silent ? .upstreamError : .upstreamRCode)
                    } else {
                        false
                    }
                }, "\(trace(a))")
        }
    }

    /// Denials are judged in the zone that signed them: DS questions below it that fail do not matter either.
    @Test func denialsBelowTheSignerDoNotDependOnDSQuestionsThere() async throws {
        let h = try await TestHierarchy.shared()
        let below = Set(
            try [
                "b.sub.ecdsa256.test.", "a.b.sub.ecdsa256.test.", "gw.a.b.sub.ecdsa256.test.",
                "x.a.b.sub.ecdsa256.test.",
            ].map { try DNSName($0) })
        let v = try validator(h) { q, m in
            guard q.type == .ds, below.contains(q.name) else { return m }
            var m = m; m.rcode = .servFail; m.answers = []; m.authorities = []; return m
        }
        let nodata = await v.resolve(name: try DNSName("gw.a.b.sub.ecdsa256.test."), type: .txt)
        #expect(nodata.verdict == .secure && nodata.kind == .noData, "\(trace(nodata))")
        let nx = await v.resolve(name: try DNSName("x.a.b.sub.ecdsa256.test."), type: .ipseckey)
        #expect(nx.verdict == .secure && nx.kind == .nameError, "\(trace(nx))")
    }

    /// A DS question at the signer itself (or above it) is part of the chain: without its answer, indeterminate.
    @Test func unanswerableDSAtTheSignerIsIndeterminate() async throws {
        let h = try await TestHierarchy.shared()
        let zone = try DNSName("sub.ecdsa256.test.")
        let v = try validator(h) { q, m in q.type == .ds && q.name == zone ? nil : m }
        let a = await v.resolve(name: try DNSName("gw.a.b.sub.ecdsa256.test."), type: .ipseckey)
        #expect(a.verdict == .indeterminate, "\(trace(a))")
    }

    /// A cut proven below the signer keeps RFC 4035 §5.3.1: the parent's signature there is bogus.
    @Test func provenCutBelowTheSignerIsBogus() async throws {
        let h = try await TestHierarchy.shared()
        let a = await (try validator(h)).resolve(name: try DNSName("gw.wrongsigner.test."), type: .ipseckey)
        #expect(a.verdict == .bogus)
        #expect(a.reason?.code == .badSigner)
        #expect(a.reason?.message.contains("wrongsigner.test. is a signed zone below it") == true, "\(trace(a))")
    }

    /// A DS RRset signed by the child itself (a valid signature by the child's own key) is not the parent's DS RRset.
    @Test func dsSignedByTheChildIsBogus() async throws {
        let h = try await TestHierarchy.shared()
        let zone = try DNSName("ecdsa256.test.")
        let child = try #require(h.engine.zones[zone])
        let childKey = try #require(child.keys?.zsk)
        let v = try validator(h) { q, m in
            guard q.type == .ds, q.name == zone else { return m }
            var m = m
            let ds = m.answers.filter { $0.type == .ds }
            guard let set = RRset.group(ds).first, let sig = try? child.sign(set, with: childKey, signer: zone) else {
                return nil
            }
            m.answers = ds + [sig]
            return m
        }
        let a = await v.resolve(name: zone, type: .ds)
        #expect(a.verdict == .bogus, "\(trace(a))")
        #expect(a.reason?.code == .badSigner)
        #expect(a.reason?.message.contains("DS records live in") == true, "\(trace(a))")
    }

    /// A DS denial signed by the child itself (its apex NSEC, "no DS here") proves nothing: only the parent may deny
    /// a DS. The answer is judged as an unsigned denial in the parent (`denial-missing`); without the rule it was
    /// judged in the child's zone and only the chain walk's own DS step (which sees the same answer) caught it.
    @Test func dsDeniedByTheChildIsNotADenial() async throws {
        let h = try await TestHierarchy.shared()
        let zone = try DNSName("ecdsa256.test.")
        let v = try validator(h) { q, m in
            guard q.type == .ds, q.name == zone else { return m }
            // The child's own NODATA for a type it lacks at its apex: SOA and apex NSEC, signed by the child.
            var childNoData = h.engine.respond(to: Message.query(id: 1, name: zone, type: .txt))
            childNoData.questions = m.questions
            childNoData.id = m.id
            return childNoData
        }
        let a = await v.resolve(name: zone, type: .ds)
        #expect(a.verdict == .bogus, "\(trace(a))")
        #expect(a.reason?.code == .denialMissing)
    }

    /// A DS question at the apex of an anchored zone with no anchor above it: the DS lives in the parent, which no
    /// anchor covers.
    @Test func dsAtAnAnchorsApexIsIndeterminate() async throws {
        let h = try await TestHierarchy.shared()
        for zoneName in ["island.unsigned.test.", "ecdsa256.test."] {
            let zone = try DNSName(zoneName)
            let ksk = try #require(h.engine.zones[zone]?.keys?.ksk)
            let ds = makeDS(owner: zone, dnskeyRDATA: ksk.dnskeyRDATA)
            let anchor = ResourceRecord(name: zone, ttl: 3600, .ds(ds)).description
            let v = try validator(h, anchorText: anchor + "\n")
            let a = await v.resolve(name: zone, type: .ds)
            #expect(a.verdict == .indeterminate, "\(zoneName): \(trace(a))")
            #expect(a.reason?.code == .noTrustAnchor)
            #expect(a.reason?.message.contains("lives in its parent zone") == true)
            // The zone's own data validates from that anchor.
            let data = await v.resolve(name: try zone.prepending(Array("gw".utf8)), type: .ipseckey)
            #expect(data.verdict == .secure, "\(zoneName): \(trace(data))")
        }
    }

    /// A 40-key DNSKEY set served in random order: secure, and the chain step reads the same every run.
    @Test func fortyKeysInRandomOrderGiveOneStory() async throws {
        let h = try await TestHierarchy.shared()
        let zone = try DNSName("manykeys.test.")
        let served = h.engine.respond(to: Message.query(id: 1, name: zone, type: .dnskey)).answers.filter {
            $0.type == .dnskey
        }
        #expect(served.count == 40)
        var stories: Set<String> = []
        var orders: Set<[[UInt8]]> = []
        for _ in 0..<6 {
            orders.insert(h.engine.respond(to: Message.query(id: 1, name: zone, type: .dnskey)).answers.map(\.rdata))
            let a = await (try validator(h)).resolve(name: try DNSName("gw.manykeys.test."), type: .ipseckey)
            #expect(a.verdict == .secure, "\(trace(a))")
            let steps = a.trace.filter { $0.zone == "manykeys.test." }
            #expect(
                steps.contains { if case .keysTrusted(_, 40, _, 13, _, _) = $0.event { true } else { false } },
                "\(trace(a))")
            stories.insert(steps.map(\.text).joined(separator: "\n"))
        }
        #expect(orders.count > 1, "the test authority did not shuffle the set")
        #expect(stories.count == 1, "\(stories)")
    }

    /// The same set with a DS (here a trust anchor) that points at no key: the same reason every run.
    @Test func fortyKeysWithAWrongDSGiveOneReason() async throws {
        let h = try await TestHierarchy.shared()
        let zone = try DNSName("manykeys.test.")
        let ksk = try #require(h.engine.zones[zone]?.keys?.ksk)
        var ds = makeDS(owner: zone, dnskeyRDATA: ksk.dnskeyRDATA)
        ds.digest[0] ^= 0xff
        let anchor = ResourceRecord(name: zone, ttl: 3600, .ds(ds)).description + "\n"
        var reasons: Set<String> = []
        for _ in 0..<4 {
            let a = await (try validator(h, anchorText: anchor)).resolve(
                name: try DNSName("gw.manykeys.test."), type: .ipseckey)
            #expect(a.verdict == .bogus)
            #expect(a.reason?.code == .dsMismatch)
            #expect(a.reason?.message.contains("40 keys") == true, "\(trace(a))")
            reasons.insert(a.reason?.message ?? "-")
        }
        #expect(reasons.count == 1, "\(reasons)")
    }

    /// The DS set of manyds.test. holds 40 records and only its last is usable.
    @Test func fortyDSWithTheOnlyUsableOneLast() async throws {
        let h = try await TestHierarchy.shared()
        let zone = try DNSName("manyds.test.")
        let ds = h.engine.respond(to: Message.query(id: 1, name: zone, type: .ds)).answers.compactMap { r -> DSData? in
            if case .ds(let d)? = try? r.parsed() { d } else { nil }
        }
        #expect(ds.count == 40)
        #expect(ds.last?.digestType == 2)
        #expect(ds.dropLast().allSatisfy { $0.digestType == 3 })
        let a = await (try validator(h)).resolve(name: try DNSName("gw.manyds.test."), type: .ipseckey)
        #expect(a.verdict == .secure, "\(trace(a))")
    }

    /// Questions of type RRSIG are never secure.
    @Test func rrsigQuestionsAreIndeterminate() async throws {
        let h = try await TestHierarchy.shared()
        for name in ["gw.ecdsa256.test.", "ecdsa256.test.", "nxdomain.ecdsa256.test."] {
            let a = await (try validator(h)).resolve(name: try DNSName(name), type: .rrsig)
            #expect(a.verdict == .indeterminate)
            #expect(a.reason?.code == .typeNotValidatable)
            #expect(a.rrset == nil)
        }
    }
}
