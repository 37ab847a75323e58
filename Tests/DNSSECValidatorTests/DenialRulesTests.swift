import DNSModel
import Testing

@testable import DNSSECValidator
@testable import TestAuthority

/// The NSEC, NSEC3 and RFC 9276 rule files called directly: a zone is signed in memory, the test authority picks the
/// proof records an authoritative server would send, and the rule judges them. No `Validator`, no upstream.
@Suite struct DenialRulesTests {
    static let text = """
        @ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300
        @ 3600 IN NS ns1
        ns1 3600 IN A 127.0.0.1
        host 3600 IN A 192.0.2.1
        *.wild 3600 IN A 192.0.2.2
        deleg 3600 IN NS ns.elsewhere.invalid.
        """

    func zone(_ denial: Denial) throws -> SignedZone {
        let apex = try DNSName("rules.test.")
        return try SignedZone(
            apex: apex, records: try ZoneText.records(Self.text, origin: apex),
            keys: try ZoneKeys(algorithm: 13), denial: denial, inception: 0, expiration: 0)
    }

    func checker(
        _ z: SignedZone, _ records: [ResourceRecord], limits: ValidatorLimits = ValidatorLimits()
    ) -> DenialChecker {
        DenialChecker(zone: z.apex, records: records.filter { $0.type != .rrsig }, limits: limits)
    }

    func n(_ s: String) throws -> DNSName { try DNSName(s) }

    /// RFC 5155 §9.2 on every path: NXDOMAIN, NODATA, wildcard NODATA, DS NODATA, the walk's DS absence, wildcard
    /// answer.
    @Test func optOutMakesEveryNSEC3ProofInsecure() throws {
        let z = try zone(.nsec3(iterations: 0, salt: [], optOut: true))
        let p = Proofs(zone: z)
        let apex = z.apex
        func insecure(_ r: DenialResult) -> Bool {
            if case .insecure(let reason) = r { reason.code == .optOut } else { false }
        }

        let nx = try n("nx.rules.test.")
        #expect(insecure(checker(z, p.nameError(nx, apex)).nameError(nx)))
        let deleg = try n("deleg.rules.test.")  // unsigned delegation: no NSEC3 of its own in an opt-out zone
        #expect(insecure(checker(z, p.noData(deleg)).noData(deleg, .ipseckey)))
        #expect(insecure(checker(z, p.noData(deleg)).noData(deleg, .ds)))
        if case .insecureDelegation(let r) = checker(z, p.noData(deleg)).dsAbsence(deleg) {
            #expect(r.code == .optOut)
        } else {
            Issue.record("the walk did not see a possible unsigned delegation in the opt-out span")
        }
        let x = try n("x.wild.rules.test."), ce = try n("wild.rules.test.")
        let wnd = checker(z, p.wildcardNoData(x, ce)).noData(x, .ipseckey)
        #expect(insecure(wnd), "\(wnd)")
        #expect(insecure(checker(z, p.wildcardAnswer(x, ce)).wildcardAnswer(x, rrsigLabels: ce.labelCount)))
        // Names with their own NSEC3 are still proven: opt-out only speaks for the spans.
        let host = try n("host.rules.test.")
        #expect(checker(z, p.noData(host)).noData(host, .ipseckey) == .proven)
    }

    /// The same zone without opt-out: the proofs are secure, and the parent side of a delegation proves no NODATA.
    @Test func withoutOptOutTheSameProofsAreSecure() throws {
        let z = try zone(.nsec3(iterations: 0, salt: [0xab], optOut: false))
        let p = Proofs(zone: z)
        let nx = try n("nx.rules.test.")
        #expect(checker(z, p.nameError(nx, z.apex)).nameError(nx) == .proven)
        let x = try n("x.wild.rules.test."), ce = try n("wild.rules.test.")
        #expect(checker(z, p.wildcardNoData(x, ce)).noData(x, .ipseckey) == .proven)
        #expect(checker(z, p.wildcardAnswer(x, ce)).wildcardAnswer(x, rrsigLabels: ce.labelCount) == .proven)
        let deleg = try n("deleg.rules.test.")
        #expect(checker(z, p.noData(deleg)).noData(deleg, .ds) == .proven)
        if case .failed(let r) = checker(z, p.noData(deleg)).noData(deleg, .ipseckey) {
            #expect(r.message.contains("parent side of a delegation"))
        } else {
            Issue.record("NODATA from the parent side of a delegation was accepted")
        }
        if case .insecureDelegation(let r) = checker(z, p.noData(deleg)).dsAbsence(deleg) {
            #expect(r.code == .unsignedDelegation)
        } else {
            Issue.record("the DS-less delegation was not proven")
        }
        // A type that exists is not denied.
        let host = try n("host.rules.test.")
        #expect(checker(z, p.noData(host)).noData(host, .a) != .proven)
    }

    /// RFC 9276 §3.2: above the iteration limit every NSEC3 proof is insecure, and the walk sees an unsigned
    /// delegation.
    @Test func iterationsAboveTheLimitAreInsecure() throws {
        let z = try zone(.nsec3(iterations: 20, salt: [], optOut: false))
        let p = Proofs(zone: z)
        var limits = ValidatorLimits(); limits.maxNSEC3Iterations = 10
        let nx = try n("nx.rules.test.")
        if case .insecure(let r) = checker(z, p.nameError(nx, z.apex), limits: limits).nameError(nx) {
            #expect(r.code == .nsec3IterationsTooHigh)
        } else {
            Issue.record("20 iterations above a limit of 10 were accepted")
        }
        let deleg = try n("deleg.rules.test.")
        if case .insecureDelegation(let r) = checker(z, p.noData(deleg), limits: limits).dsAbsence(deleg) {
            #expect(r.code == .nsec3IterationsTooHigh)
        } else {
            Issue.record("the walk did not treat 20 iterations as insecure")
        }
        #expect(checker(z, p.nameError(nx, z.apex)).nameError(nx) == .proven)  // default limit 150
    }

    /// CVE-2023-50868: a spent hash budget fails the proof and says why.
    @Test func theHashBudgetIsNamed() throws {
        let z = try zone(.nsec3(iterations: 0, salt: [], optOut: false))
        var limits = ValidatorLimits(); limits.maxNSEC3HashesPerResponse = 1
        let nx = try n("a.b.c.nx.rules.test.")
        if case .failed(let r) = checker(z, Proofs(zone: z).nameError(nx, z.apex), limits: limits).nameError(nx) {
            #expect(r.code == .workLimit)
            #expect(r.message.contains("maxNSEC3HashesPerResponse"))
        } else {
            Issue.record("the proof succeeded on one hash")
        }
    }

    /// RFC 4035 §5.4 with RFC 6840 §4.1: NSEC proofs, and the delegation's NSEC denies nothing below it.
    @Test func nsecProofsAndTheDelegationRule() throws {
        let z = try zone(.nsec)
        let p = Proofs(zone: z)
        let nx = try n("nx.rules.test.")
        #expect(checker(z, p.nameError(nx, z.apex)).nameError(nx) == .proven)
        let host = try n("host.rules.test.")
        #expect(checker(z, p.noData(host)).noData(host, .ipseckey) == .proven)
        #expect(checker(z, p.noData(host)).noData(host, .a) != .proven)
        let deleg = try n("deleg.rules.test.")
        let atCut = checker(z, p.noData(deleg))
        let below = try n("x.deleg.rules.test.")
        #expect(atCut.nsecMatch(deleg) != nil)
        #expect(atCut.nsecCovers(atCut.nsecMatch(deleg)!, below) == false)
        #expect(atCut.nameError(below) != .proven)
        if case .insecureDelegation(let r) = atCut.dsAbsence(deleg) {
            #expect(r.code == .unsignedDelegation)
        } else {
            Issue.record("NSEC with NS and without DS is not an insecure delegation")
        }
        let x = try n("x.wild.rules.test."), ce = try n("wild.rules.test.")
        #expect(checker(z, p.wildcardNoData(x, ce)).noData(x, .ipseckey) == .proven)
        #expect(checker(z, p.wildcardAnswer(x, ce)).wildcardAnswer(x, rrsigLabels: ce.labelCount) == .proven)
        // No proof records at all: nothing is proven.
        #expect(checker(z, []).nameError(nx) != .proven)
    }
}
