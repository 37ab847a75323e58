import DNSModel
import DNSSECValidator
import Logging
import TestAuthority
import Testing

/// Every case of the test authority's catalogue (Docs/TestAuthority.md) against the validator, in process.
struct CatalogueCase: CustomTestStringConvertible, Sendable {
    let name: String
    let type: RRType
    let verdict: Verdict
    let kind: AnswerKind?
    let code: Reason.Code?
    /// A phrase the reason must contain.
    let says: String?
    init(
        _ name: String, type: RRType = .ipseckey, _ verdict: Verdict, _ kind: AnswerKind? = nil,
        code: Reason.Code? = nil,
        says: String? = nil
    ) {
        self.name = name; self.type = type; self.verdict = verdict; self.kind = kind; self.code = code; self.says = says
    }
    var testDescription: String { "\(name) \(type) → \(verdict)" }
}

let catalogueCases: [CatalogueCase] = [
    .init("gw.rsasha1.test.", .secure, .data), .init("gw.rsasha1-nsec3.test.", .secure, .data),
    .init("gw.rsasha256.test.", .secure, .data), .init("gw.rsasha512.test.", .secure, .data),
    .init("gw.ecdsa256.test.", .secure, .data), .init("gw.ecdsa384.test.", .secure, .data),
    .init("gw.ed25519.test.", .secure, .data), .init("gw.ed448.test.", .secure, .data),
    .init("gw.ds-sha1.test.", .secure, .data), .init("gw.ds-sha384.test.", .secure, .data),
    .init("gw.ds-sha1-ignored.test.", .bogus, nil, code: .dsMismatch),
    .init("www.ecdsa256.test.", type: .a, .secure, .data), .init("www.ecdsa256.test.", type: .aaaa, .secure, .data),
    .init("gw.a.b.sub.ecdsa256.test.", .secure, .data),
    .init("38.2.0.192.in-addr.arpa.", .secure, .data),
    .init("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", .secure, .data),
    .init("nxdomain.ecdsa256.test.", .secure, .nameError, code: .nameError),
    .init("gw.ecdsa256.test.", type: .txt, .secure, .noData, code: .noData),
    .init("nxdomain.nsec3.test.", .secure, .nameError, code: .nameError),
    .init("host.nsec3.test.", .secure, .noData, code: .noData),
    .init("b.sub.ecdsa256.test.", .secure, .noData, code: .noData),
    .init("anything.wild.nsec.test.", .secure, .data), .init("anything.wild.nsec3.test.", .secure, .data),
    .init("anything.wild.nsec.test.", type: .txt, .secure, .noData),
    .init("anything.wild.nsec3.test.", type: .txt, .secure, .noData),
    .init("cname.nsec.test.", .secure, .data), .init("cname-insecure.nsec.test.", .insecure),
    .init(
        "cname-bogus.nsec.test.", .bogus, nil, code: .signatureInvalid,
        says: "CNAME cname-bogus.nsec.test. → gw.tampered.test."),
    .init("cname-nx.nsec.test.", .secure, .nameError),
    .init("loop1.nsec.test.", .indeterminate, nil, code: .chainLoop),
    .init("chain1.nsec.test.", .indeterminate, nil, code: .chainTooLong),
    .init("chain6.nsec.test.", .secure, .data),
    .init("gw.alias.nsec.test.", .secure, .data),
    .init("gw.unsigned.test.", .insecure, nil, code: .unsignedDelegation),
    .init("nxdomain.unsigned.test.", .insecure),
    .init("gw.insecure.", .insecure, nil, code: .unsignedDelegation),
    .init("x.insecure.optout.test.", .insecure, nil, code: .optOut),
    .init("gw.unsupported-alg.test.", .insecure, nil, code: .unsupportedAlgorithm),
    .init("gw.unsupported-digest.test.", .insecure, nil, code: .unsupportedDigest),
    .init("nxdomain.nsec3-iter.test.", .insecure, nil, code: .nsec3IterationsTooHigh),
    .init("gw.expired.test.", .bogus, nil, code: .signatureExpired),
    .init("gw.future.test.", .bogus, nil, code: .signatureNotYetValid),
    .init("gw.tampered.test.", .bogus, nil, code: .signatureInvalid),
    .init("gw.stripped.test.", .bogus, nil, code: .signaturesMissing),
    .init("gw.dsmismatch.test.", .bogus, nil, code: .dsMismatch),
    .init("gw.wrongsigner.test.", .bogus, nil, code: .badSigner),
    .init(
        "gw.kskonly-missing.test.", .bogus, nil, code: .noMatchingKey,
        says: "DS in test. of kskonly-missing.test. names key"),
    .init("nxdomain.forged-denial.test.", .bogus),
    .init("x.nowildproof.test.", .bogus, nil, code: .wildcardProofMissing),
    .init("gw.keytrap.test.", .bogus, nil, code: .workLimit, says: "KeyTrap"),
    .init("gw.bogus-unsigned.test.", .bogus, nil, code: .dnskeyMissing),
    .init("gw.revoked.test.", .bogus, nil, code: .keyRevoked),
    // Issue 12: the chain follows the signer.
    .init("rate.nsec.test.", .secure, .data),  // CNAME to the apex of a signed child zone
    .init("dev.nsec.test.", .secure, .data),  // data at a zone apex
    .init("ecdsa256.test.", type: .dnskey, .secure, .data),
    .init("x.wild.refuse-ds.test.", .secure, .data),  // DS wild.refuse-ds.test. refused
    .init("gw.a.b.refuse-ds.test.", .secure, .data),  // DS b.… and a.b.refuse-ds.test. refused
    .init("nx.a.b.refuse-ds.test.", .secure, .nameError),
    .init("x.wild.optout.test.", .insecure, nil, code: .optOut, says: "wildcard NODATA"),
    .init("nochild.optout.test.", .insecure, nil, code: .optOut, says: "NODATA for nochild.optout.test."),
    .init("insecure.optout.test.", type: .ds, .insecure, nil, code: .optOut),
    .init("nxdomain.optout.test.", .insecure, nil, code: .optOut),
    .init("gw.ecdsa256.test.", type: .rrsig, .indeterminate, nil, code: .typeNotValidatable),
    .init(".", type: .ds, .indeterminate, nil, code: .noTrustAnchor),
    .init("gw.manykeys.test.", .secure, .data),  // 40 DNSKEYs in random order
    .init("gw.manyds.test.", .secure, .data),  // 40 DS, the only usable one last
    .init("gw.revoked-zsk.test.", .bogus, nil, code: .keyRevoked, says: "REVOKE"),
    .init("island.unsigned.test.", type: .ds, .insecure, nil, code: .unsignedDelegation),
    .init("gw.island.unsigned.test.", .insecure, nil, code: .unsignedDelegation),
]

func makeValidator(
    _ h: TestHierarchy, delay: Duration = .zero, time: UInt32? = nil
) throws -> (Validator, InProcessUpstream) {
    let upstream = InProcessUpstream(engine: h.engine, delay: delay)
    let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "test-root.ds")
    let v = Validator(
        upstream: upstream, configuration: ValidatorConfiguration(anchors: anchors, validationTime: time),
        logger: Logger(label: "test"))
    return (v, upstream)
}

@Suite struct CatalogueTests {
    @Test(arguments: catalogueCases)
    func verdict(_ c: CatalogueCase) async throws {
        let h = try await TestHierarchy.shared()
        let (v, _) = try makeValidator(h)
        let answer = await v.resolve(name: try DNSName(c.name), type: c.type)
        #expect(
            answer.verdict == c.verdict,
            "\(c.name): \(answer.reason?.message ?? "-")\n\(answer.trace.map(\.description).joined(separator: "\n"))")
        if let kind = c.kind { #expect(answer.kind == kind) }
        if let code = c.code { #expect(answer.reason?.code == code, "\(answer.reason?.message ?? "-")") }
        if let says = c.says {
            #expect(answer.reason?.message.contains(says) == true, "\(answer.reason?.message ?? "-")")
        }
        if answer.verdict == .secure && answer.kind == .data { #expect(answer.rrset != nil) }
        if answer.verdict != .secure { #expect(answer.reason != nil) }
    }
}
