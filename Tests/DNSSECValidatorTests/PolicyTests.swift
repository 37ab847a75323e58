import DNSModel
import DNSSECValidator
import DNSTransport
import Logging
import TestAuthority
import Testing

@Suite struct PolicyTests {
    func validator(
        _ h: TestHierarchy, anchorText: String? = nil, time: UInt32? = nil,
        limits: ValidatorLimits = ValidatorLimits()
    ) throws -> Validator {
        let anchors = try TrustAnchors.parse(text: anchorText ?? h.dsAnchorText, file: "anchors")
        return Validator(
            upstream: InProcessUpstream(engine: h.engine),
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
        let late = h.now &+ 30 * 86400 &+ 12 * 3600  // 12 h after every signature expired
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
        let a = await (try validator(h, limits: limits)).resolve(
            name: try DNSName("gw.a.b.sub.ecdsa256.test."), type: .ipseckey)
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
        // The same steps as typed events: the DS and keys of each zone down to the signer, then the RRset.
        let name = try DNSName("gw.a.b.sub.ecdsa256.test.")
        if case .rrset(name, .ipseckey, 1, false, nil)? = a.trace.last?.event {
        } else {
            Issue.record("last step: \(String(describing: a.trace.last?.event))")
        }
        let trusted = a.trace.compactMap {
            if case .keysTrusted(let z, _, _, _, _, _) = $0.event { z.description } else { nil }
        }
        #expect(trusted == [".", "test.", "ecdsa256.test.", "sub.ecdsa256.test."])
        let ds = a.trace.compactMap {
            if case .dsVerified(let owner, _, _, _) = $0.event { owner.description } else { nil }
        }
        #expect(ds == ["test.", "ecdsa256.test.", "sub.ecdsa256.test."])
    }
}

@Suite struct RoundTripTests {
    /// A cold lookup three zone cuts below the anchor (`gw.a.b.sub.ecdsa256.test.`: `.` → `test.` →
    /// `ecdsa256.test.` → `sub.ecdsa256.test.`) waits for at most two sequential upstream round trips: the upstream
    /// holds every question until the validator has sent all it can without an answer, then answers them together.
    @Test func coldLookupThreeZonesDownWaitsAtMostTwoRoundTrips() async throws {
        let h = try await TestHierarchy.shared()
        let upstream = GatedUpstream(InProcessUpstream(engine: h.engine))
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
        let v = Validator(
            upstream: upstream, configuration: ValidatorConfiguration(anchors: anchors), logger: Logger(label: "rt"))
        let name = try DNSName("gw.a.b.sub.ecdsa256.test.")
        let lookup = Task { await v.resolve(name: name, type: .ipseckey, trace: false) }
        let rounds = await upstream.releaseInRounds(until: lookup)
        #expect(await lookup.value.verdict == .secure)
        #expect(rounds.count <= 2, "\(rounds.count) round trips: \(rounds)")
        #expect(rounds.first?.contains(Question(name: name, type: .ipseckey)) == true)
        // The DNSKEY sets of the three signed zones below the root go out in the first round, with the answer.
        for zone in ["test.", "ecdsa256.test.", "sub.ecdsa256.test."] {
            #expect(rounds.first?.contains(Question(name: try DNSName(zone), type: .dnskey)) == true, "\(zone)")
        }
    }

    /// A second lookup in a zone whose chain is validated costs one upstream question: the answer itself.
    @Test func secondLookupInSameZoneAsksOnlyForTheAnswer() async throws {
        let h = try await TestHierarchy.shared()
        let upstream = InProcessUpstream(engine: h.engine)
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
        let v = Validator(
            upstream: upstream, configuration: ValidatorConfiguration(anchors: anchors), logger: Logger(label: "rt"))
        #expect(await v.resolve(name: try DNSName("gw.ecdsa256.test."), type: .ipseckey).verdict == .secure)
        // Speculative questions run in tasks of their own: wait for the ones still on their way before counting.
        let before = await Self.settled(v, upstream)
        for name in ["key-rsa.ecdsa256.test.", "key-ed448.ecdsa256.test.", "x.wild.nsec.test."] {
            _ = await v.resolve(name: try DNSName(name), type: .ipseckey)
        }
        let secondInZone = await Self.settled(v, upstream) - before
        // key-rsa and key-ed448: one question each; x.wild.nsec.test.: a new zone (nsec.test.), so its answer
        // plus the DS/DNSKEY questions of nsec.test. (and the DS of wild.nsec.test.), all sent in the first round.
        #expect(secondInZone <= 2 + 4, "\(secondInZone) upstream questions")
        let again = upstream.queryCount
        _ = await v.resolve(name: try DNSName("y.wild.nsec.test."), type: .ipseckey)
        #expect(await Self.settled(v, upstream) - again == 1)
    }

    /// The upstream's query count once every speculative query the validator started has been answered.
    static func settled(_ v: Validator, _ upstream: InProcessUpstream) async -> Int {
        await v.prefetchesSettled()
        return upstream.queryCount
    }
}

/// An upstream that holds every question until the test releases a round: all questions asked so far are answered
/// together once no new one has arrived for a while (the validator has sent everything it could without an answer).
/// The number of rounds is the number of sequential round trips the lookup waited for.
final class GatedUpstream: DNSUpstream {
    private let inner: InProcessUpstream
    private let pending = Locked<[(Question, CheckedContinuation<Void, Never>)]>([])

    init(_ inner: InProcessUpstream) { self.inner = inner }

    func query(_ question: Question) async throws(TransportError) -> Message {
        await withCheckedContinuation { c in pending.withLock { $0.append((question, c)) } }
        return try await inner.query(question)
    }

    /// Releases the held questions round by round until `task` finishes; returns the questions of each round.
    /// A round is released when the set of held questions has not grown for four checks 40 ms apart (160 ms: room
    /// for a loaded machine to start every speculative query of the round).
    func releaseInRounds<T>(until task: Task<T, Never>) async -> [[Question]] {
        let finished = Locked(false)
        Task {
            _ = await task.value; finished.withLock { $0 = true }
        }
        var rounds: [[Question]] = []
        var stableChecks = 0
        var lastCount = -1
        while !finished.withLock({ $0 }), rounds.count < 20 {
            try? await Task.sleep(for: .milliseconds(40))
            let count = pending.withLock { $0.count }
            if count > 0 && count == lastCount { stableChecks += 1 } else { stableChecks = 0 }
            lastCount = count
            guard stableChecks >= 4 else { continue }
            let held = pending.withLock { p in
                let taken = p
                p.removeAll()
                return taken
            }
            rounds.append(held.map(\.0))
            for (_, c) in held { c.resume() }
            stableChecks = 0
            lastCount = -1
        }
        // Anything still held (speculative questions nobody waits for) is let go without counting a round.
        let held = pending.withLock { p in
            let taken = p
            p.removeAll()
            return taken
        }
        for (_, c) in held { c.resume() }
        return rounds
    }
}
