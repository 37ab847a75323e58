import DNSCrypto
import DNSModel
import Upstream

/// A zone key of a validated DNSKEY RRset, with its libcrypto key parsed on first use (a large honest set costs
/// only the parses of the keys that sign something). A key with the REVOKE bit is kept, so that a signature by it is
/// reported as such, but never used.
final class TrustedKey: Sendable {
    public let data: DNSKEYData
    public let tag: UInt16
    public var isRevoked: Bool { data.isRevoked }
    private let parsed = Locked<VerifyingKey??>(nil)
    init(_ data: DNSKEYData) {
        self.data = data
        tag = data.keyTag
    }
    var verifier: VerifyingKey? {
        if let done = parsed.withLock({ $0 }) { return done }
        let key = try? VerifyingKey(algorithm: data.algorithm, dnskeyPublicKey: data.publicKey)
        parsed.withLock { $0 = .some(key) }
        return key
    }
    var label: String { "\(tag)/\(VerifyingKey.algorithmName(data.algorithm))" }
}

/// Work counters for one lookup, bounding signature checks (KeyTrap, CVE-2023-50387) and recording the trace.
final class LookupContext: @unchecked Sendable {
    var signatureChecks = 0
    var queries = 0
    var trace: [TraceStep] = []
    let limits: ValidatorLimits
    let now: UInt32
    let tracing: Bool
    /// 0 for a first lookup; the upstream route of a lookup asked again (fresh answers only, no shared steps, no
    /// prefetch: such a lookup runs on one task).
    let route: Int
    /// Fresh answers of a lookup asked again, by question.
    var fresh: [Question: Result<Message, TransportError>] = [:]
    /// An upstream answer could not be used (corrupted, cut, mismatched): worth asking again.
    var sawUnusableAnswer = false
    /// The lookup asked for more than `limits.maxUpstreamQueriesPerLookup` answers: a work limit, not a network fault.
    var queryBudgetSpent = false
    init(limits: ValidatorLimits, now: UInt32, tracing: Bool = true, route: Int = 0) {
        self.limits = limits; self.now = now; self.tracing = tracing; self.route = route
    }
    /// Record a trace step; the event is only built when the caller asked for a trace.
    func record(_ zone: DNSName, _ event: @autoclosure () -> TraceEvent, _ verdict: Verdict? = nil) {
        if tracing && trace.count < limits.maxTraceSteps {
            trace.append(TraceStep(zone: zone.description, event(), verdict: verdict))
        }
    }
    /// Record a step whose outcome is a reason.
    func note(_ zone: DNSName, _ reason: @autoclosure () -> Reason, _ verdict: Verdict? = nil) {
        record(zone, .decided(reason()), verdict)
    }
}

/// Successful verifications already done, keyed by a digest of (key, signature, signed data): a signature verified
/// once over identical data is not verified again. Bounded; cleared when full.
final class VerifiedSignatures: Sendable {
    private let seen = Locked<Set<[UInt8]>>([])
    let capacity: Int
    init(capacity: Int) { self.capacity = capacity }
    func key(_ k: TrustedKey, _ sig: [UInt8], _ data: [UInt8]) -> [UInt8] {
        DigestAlgorithm.sha256.hash(k.data.rdata + [0xff] + sig + [0xff] + data)
    }
    func contains(_ d: [UInt8]) -> Bool { seen.withLock { $0.contains(d) } }
    func insert(_ d: [UInt8]) {
        seen.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }; $0.insert(d)
        }
    }
}

enum SignatureOutcome {
    /// Verified; `expandedFrom` is the wildcard's closest encloser label count when the RRset was synthesised.
    case valid(rrsig: RRSIGData, wildcardLabels: Int?)
    case invalid(Reason)
}

extension Validator {
    /// Verify an RRset against the RRSIGs covering it, with a zone's trusted keys (RFC 4035 §5.3).
    func verify(
        _ set: RRset, _ sigRecords: [ResourceRecord], zone: DNSName, keys: [TrustedKey],
        _ ctx: LookupContext
    ) -> SignatureOutcome {
        // Only failures describe the RRset: built on demand, not for every signature that verifies.
        func what() -> String { "\(set.name) \(set.type)" }
        let sigs: [RRSIGData] = sigRecords.compactMap {
            guard $0.name == set.name, case .rrsig(let s)? = try? $0.parsed(), s.typeCovered == set.type else {
                return nil
            }
            return s
        }
        if sigs.isEmpty {
            return .invalid(Reason(.signaturesMissing, "no RRSIG over \(what()) (zone \(zone) is signed)"))
        }
        var failure: Reason?
        func fail(_ r: Reason) { if failure == nil || r.code == .signatureInvalid { failure = r } }
        var checksHere = 0
        for sig in sigs.prefix(ctx.limits.maxSignaturesPerRRset) {
            if let r = RRSIGRules.fieldFailure(
                sig, over: set, zone: zone, now: ctx.now, clockSkew: ctx.limits.clockSkew)
            {
                fail(r); continue
            }
            let (candidates, revoked) = RRSIGRules.candidateKeys(for: sig, in: keys)
            if candidates.isEmpty {
                if !revoked.isEmpty {
                    fail(
                        Reason(
                            .keyRevoked,
                            "RRSIG over \(what()) is by key "
                                + "\(sig.keyTag)/\(VerifyingKey.algorithmName(sig.algorithm)) of \(zone), which has "
                                + "the REVOKE bit set (RFC 5011 §3): its signatures are not used"
                        ));
                    continue
                }
                fail(
                    Reason(
                        .noMatchingKey,
                        "RRSIG over \(what()) is by key \(sig.keyTag)/\(VerifyingKey.algorithmName(sig.algorithm)), "
                            + "which is not a trusted DNSKEY of \(zone)"
                    ));
                continue
            }
            guard let signedOwner = Canonical.signedOwner(owner: set.name, rrsigLabels: sig.labels) else { continue }
            var covered = set
            covered.ttl = sig.originalTTL
            let data = Canonical.signedData(rrsig: sig, signedOwner: signedOwner, rrset: covered)
            for key in candidates.prefix(ctx.limits.maxKeysPerTag) {
                guard let verifier = key.verifier else {
                    fail(Reason(.noMatchingKey, "DNSKEY \(key.label) of \(zone) could not be parsed")); continue
                }
                let memo = signatureCache.key(key, sig.signature, data)
                if signatureCache.contains(memo) {
                    return .valid(rrsig: sig, wildcardLabels: RRSIGRules.wildcardLabels(sig, owner: set.name))
                }
                guard ctx.signatureChecks < ctx.limits.maxSignatureChecksPerLookup,
                    checksHere < ctx.limits.maxSignatureChecksPerRRset
                else {
                    let which =
                        checksHere >= ctx.limits.maxSignatureChecksPerRRset
                        ? "\(ctx.limits.maxSignatureChecksPerRRset) signature checks for one RRset "
                            + "(ValidatorLimits.maxSignatureChecksPerRRset)"
                        : "\(ctx.limits.maxSignatureChecksPerLookup) signature checks for one lookup "
                            + "(ValidatorLimits.maxSignatureChecksPerLookup)"
                    return .invalid(
                        Reason(
                            .workLimit,
                            "gave up on \(what()) after \(which): the KeyTrap limit (CVE-2023-50387) was "
                                + "hit\(failure.map { "; last failure: \($0.message)" } ?? "")"
                        ))
                }
                ctx.signatureChecks += 1
                checksHere += 1
                if verifier.verify(signature: sig.signature, message: data) {
                    signatureCache.insert(memo)
                    return .valid(rrsig: sig, wildcardLabels: RRSIGRules.wildcardLabels(sig, owner: set.name))
                }
                fail(
                    Reason(
                        .signatureInvalid,
                        "RRSIG over \(what()) by \(zone) key \(key.label) does not verify (data altered or wrong key)"))
            }
        }
        return .invalid(failure ?? Reason(.signatureInvalid, "no usable RRSIG over \(what())"))
    }
}
