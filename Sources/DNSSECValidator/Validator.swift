import DNSCrypto
import DNSModel
import Foundation
import Logging
import Upstream

/// Bounds on the work one lookup may cause (KeyTrap, NSEC3 floods, long chains).
public struct ValidatorLimits: Sendable, Hashable {
    /// CNAME/DNAME links followed before giving up.
    public var maxChainLength = 8
    /// NSEC3 iterations above which a denial is treated as insecure (RFC 9276 §3.2; unbound and BIND use 150).
    public var maxNSEC3Iterations = 150
    /// RRSIGs examined per RRset.
    public var maxSignaturesPerRRset = 8
    /// DNSKEYs tried per RRSIG when several share a key tag.
    public var maxKeysPerTag = 4
    /// Signature verifications per RRset (all keys and RRSIGs together).
    public var maxSignatureChecksPerRRset = 8
    /// Signature verifications per lookup, chain included.
    public var maxSignatureChecksPerLookup = 128
    /// Labels walked from a trust anchor when looking for zone cuts.
    public var maxWalkLabels = 40
    /// Allowed clock skew, seconds, on both ends of a signature's validity window. nil (the default) allows 10% of
    /// the signature's lifetime, clamped to 1 h … 24 h, as unbound does: clocks of small devices drift, and a window
    /// of 30 days tolerates a day. 0 disables the allowance.
    public var clockSkew: UInt32? = nil
    /// NSEC3 hash computations per response (CVE-2023-50868).
    public var maxNSEC3HashesPerResponse = 64
    /// Upstream queries one lookup may cause (answer, chain, CNAME targets), per attempt.
    public var maxUpstreamQueriesPerLookup = 160
    /// Times a lookup is asked again, fresh and by another route (over TCP, then from the next server), when its
    /// answer failed in a way the path could have caused (see `Validator.resolve`). 0 turns this off.
    public var maxRetriesPerLookup = 3
    /// No retry starts once this much time has passed since the lookup began.
    public var retryWindow: Duration = .seconds(10)
    /// Longest time a validated result stays cached, seconds.
    public var maxCacheTTL: UInt32 = 3600
    /// Responses kept in the cache.
    public var cacheEntries = 100_000
    /// Verified signatures remembered (a digest of key, signature and signed data each); cleared when full.
    public var signatureCacheEntries = 50_000
    /// Validated zone key sets and proven cuts remembered; cleared when full.
    public var zoneCacheEntries = 4096
    /// NSEC/NSEC3 RRsets of one section verified for a denial proof (a proof needs at most three or four).
    public var maxDenialRRsetsPerSection = 16
    /// Names below the trust anchor whose DS and DNSKEY are asked for speculatively with a cold lookup's answer.
    public var prefetchDepth = 6
    /// Seconds a failed chain step (bogus key set, missing proof) is remembered before it is tried again.
    public var failureCacheTTL: UInt32 = 60
    /// Seconds a proof that a name is not a zone cut, or is an unsigned delegation, is remembered (at most
    /// `maxCacheTTL`).
    public var cutCacheTTL: UInt32 = 300
    /// Steps recorded in one lookup's trace.
    public var maxTraceSteps = 500
    public init() {}
}

/// Configuration of a `Validator`.
public struct ValidatorConfiguration: Sendable {
    public var anchors: TrustAnchors
    /// Validate as if it were this time (unix seconds); nil means the current time.
    public var validationTime: UInt32?
    public var limits: ValidatorLimits
    public init(anchors: TrustAnchors, validationTime: UInt32? = nil, limits: ValidatorLimits = ValidatorLimits()) {
        self.anchors = anchors; self.validationTime = validationTime; self.limits = limits
    }
}

/// The verdict of a link of the chain of trust, in the values an answer carries (`Verdict` and `Reason`, as in
/// `ValidatedAnswer`): secure with the zone it proves and that zone's trusted keys, or not secure (insecure, bogus,
/// indeterminate) for a reason. A lookup's verdict is taken from it as it is, never translated from another type.
enum ChainVerdict: Sendable {
    /// The DNSKEY RRset of `zone` is validated; `keys` are its zone keys (REVOKEd ones kept, to name them).
    case secure(zone: DNSName, keys: [TrustedKey])
    /// Any verdict other than secure, with its reason; built only through ``insecure(_:)``, ``bogus(_:)`` and
    /// ``indeterminate(_:)``, so it never holds `.secure`.
    case unproven(Verdict, Reason)

    static func insecure(_ r: Reason) -> ChainVerdict { .unproven(.insecure, r) }
    static func bogus(_ r: Reason) -> ChainVerdict { .unproven(.bogus, r) }
    static func indeterminate(_ r: Reason) -> ChainVerdict { .unproven(.indeterminate, r) }

    var verdict: Verdict {
        switch self {
        case .secure: .secure;
        case .unproven(let v, _): v
        }
    }
    var reason: Reason? {
        switch self {
        case .secure: nil;
        case .unproven(_, let r): r
        }
    }
}

/// Validates DNS answers from an upstream against configured trust anchors (RFC 4033–4035, 5155, 6840, 9276).
/// Safe to share between concurrent tasks; concurrent lookups share one upstream query per question.
public final class Validator: Sendable {
    let upstream: any DNSUpstream
    public let configuration: ValidatorConfiguration
    let logger: Logger
    let responses: ResponseCache
    let signatureCache: VerifiedSignatures
    let zoneCache: ZoneCache
    /// Chain-of-trust steps under way, shared by concurrent lookups (see `Flights`).
    let anchorFlights = Flights<DNSName, ChainVerdict>()
    let stepFlights = Flights<DNSName, DSStep>()
    /// Speculative queries under way (`prefetch`), so that they can be awaited.
    let prefetches = InFlightCount()
    /// Monotonic time, for the retry window (`limits.retryWindow`): the continuous clock, or a test's own.
    let monotonic: @Sendable () -> Duration

    /// A validator asking `upstream`, with the anchors, validation time and limits of `configuration`.
    public convenience init(upstream: any DNSUpstream, configuration: ValidatorConfiguration, logger: Logger) {
        self.init(upstream: upstream, configuration: configuration, logger: logger) {
            ContinuousClock.now - Validator.origin
        }
    }

    /// The same with the monotonic clock given (tests move it themselves).
    init(
        upstream: any DNSUpstream, configuration: ValidatorConfiguration, logger: Logger,
        monotonic: @escaping @Sendable () -> Duration
    ) {
        self.monotonic = monotonic
        self.upstream = upstream
        self.configuration = configuration
        self.logger = logger
        responses = ResponseCache(capacity: configuration.limits.cacheEntries, maxTTL: configuration.limits.maxCacheTTL)
        signatureCache = VerifiedSignatures(capacity: configuration.limits.signatureCacheEntries)
        zoneCache = ZoneCache(capacity: configuration.limits.zoneCacheEntries)
    }

    private static let origin = ContinuousClock.now

    var limits: ValidatorLimits { configuration.limits }
    var now: UInt32 { configuration.validationTime ?? UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)) }

    /// Fetch a question through the coalescing cache.
    func fetch(_ q: Question) async -> Result<Message, TransportError> {
        await responses.get(q) { [upstream] in
            do throws(TransportError) { return .success(try await upstream.queryKeepingWire(q)) } catch {
                return .failure(error)
            }
        }
    }

    /// Fetch within a lookup's budget of upstream queries. A lookup that asks again (`ctx.route > 0`) gets every
    /// answer fresh from the upstream by its route, once per question, and the fresh answer replaces the cached one.
    func fetch(_ q: Question, _ ctx: LookupContext) async -> Result<Message, TransportError> {
        if ctx.route > 0, let seen = ctx.fresh[q] { return seen }
        ctx.queries += 1
        if ctx.queries > limits.maxUpstreamQueriesPerLookup {
            ctx.queryBudgetSpent = true
            return .failure(
                .network("more than \(limits.maxUpstreamQueriesPerLookup) upstream queries for one lookup (limit)"))
        }
        guard ctx.route > 0 else {
            let result = await fetch(q)
            if case .failure(let e) = result, e.isUnusableAnswer { ctx.sawUnusableAnswer = true }
            return result
        }
        let result: Result<Message, TransportError>
        do {
            let received = try await upstream.queryKeepingWire(q, route: ctx.route)
            responses.replace(q, received)
            result = .success(received.message)
        } catch {
            if error.isUnusableAnswer { ctx.sawUnusableAnswer = true }
            result = .failure(error)
        }
        ctx.fresh[q] = result
        return result
    }

    /// A validated zone status from the cache. A lookup that asks again trusts only what cannot have come from a
    /// corrupted answer: secure keys and proven unsigned delegations, not a cached failure.
    func cachedZone(_ zone: DNSName, _ ctx: LookupContext) -> ChainVerdict? {
        guard let status = zoneCache.get(zone, now: ctx.now) else { return nil }
        if ctx.route > 0, status.verdict == .bogus { return nil }
        return status
    }

    /// Start fetching questions without waiting (speculative parallel chain fetching).
    func prefetch(_ qs: [Question]) {
        guard !qs.isEmpty else { return }
        prefetches.begin(qs.count)
        for q in qs {
            Task {
                _ = await fetch(q)
                prefetches.end()
            }
        }
    }

    /// Returns once every speculative query started by earlier lookups has been answered (or has failed): the
    /// upstream then sees nothing more from this validator until the next lookup. For tests and for callers that
    /// count upstream queries; a lookup never needs it.
    public func prefetchesSettled() async { await prefetches.settled() }

    // MARK: Chain of trust

    /// The names from just below `top` down to `target`, top first.
    func path(from top: DNSName, to target: DNSName) -> [DNSName] {
        var out: [DNSName] = []
        var n = target
        while n != top, n.labelCount > top.labelCount {
            out.append(n)
            guard let p = n.parent else { break }
            n = p
        }
        return out.reversed()
    }

    /// Questions a lookup of `name` will likely need: DNSKEY of the anchor and DS+DNSKEY of each ancestor.
    func chainQuestions(for name: DNSName, limit: Int, now: UInt32) -> [Question] {
        guard let anchor = configuration.anchors.closest(to: name) else { return [] }
        let names = path(from: anchor, to: name)
        // Warm: start below the deepest zone already validated, and fetch DNSKEYs only once a DS shows a cut.
        if let i = names.lastIndex(where: { zoneCache.get($0, now: now) != nil })
            ?? (zoneCache.get(anchor, now: now) != nil ? -1 : nil)
        {
            return names[(i + 1)...].dropLast().prefix(limit).map { Question(name: $0, type: .ds) }
        }
        // Cold: everything a chain down to the name may need, at once.
        var qs = [Question(name: anchor, type: .dnskey)]
        for n in names.prefix(limit) {
            qs.append(Question(name: n, type: .ds))
            qs.append(Question(name: n, type: .dnskey))
        }
        return qs
    }

    /// Validated keys of the zone at a trust anchor.
    func anchoredZone(_ zone: DNSName, _ ctx: LookupContext) async -> ChainVerdict {
        if let cached = cachedZone(zone, ctx) { return cached }
        return await shared(anchorFlights, zone, ctx, redo: Self.isTransient) { await computeAnchoredZone(zone, ctx) }
    }

    /// Runs a chain-of-trust step through `flights`, so that concurrent lookups share it; a traced lookup does the
    /// work itself, so that its trace shows every step.
    func shared<Value>(
        _ flights: Flights<DNSName, Value>, _ key: DNSName, _ ctx: LookupContext,
        redo: (Value) -> Bool, _ work: () async -> Value
    ) async -> Value {
        ctx.tracing || ctx.route > 0 ? await work() : await flights.run(key, redo: redo, work)
    }

    private func computeAnchoredZone(_ zone: DNSName, _ ctx: LookupContext) async -> ChainVerdict {
        if let cached = cachedZone(zone, ctx) { return cached }
        let anchors = configuration.anchors.anchors[zone] ?? []
        let result = await dnskeys(
            of: zone, ds: anchors.compactMap { if case .ds(_, let d) = $0 { d } else { nil } },
            anchoredKeys: anchors.compactMap { if case .dnskey(_, let k) = $0 { k } else { nil } },
            what: "trust anchor", ctx)
        zoneCache.put(zone, result.status, expires: result.expires)
        return result.status
    }

    /// Fetch a zone's DNSKEY RRset and accept it if a key matching one of `ds` (or an anchored key) signs it.
    func dnskeys(
        of zone: DNSName, ds: [DSData], anchoredKeys: [DNSKEYData], what: String,
        _ ctx: LookupContext
    ) async -> (status: ChainVerdict, expires: UInt32) {
        let short = ctx.now &+ limits.failureCacheTTL
        let usable = DelegationRules.usableDS(ds)
        let usableKeys = anchoredKeys.filter { VerifyingKey.supportedAlgorithms.contains($0.algorithm) }
        if usable.isEmpty && usableKeys.isEmpty {
            let r = DelegationRules.unusableDSReason(ds, zone: zone)
            ctx.note(zone, r, .insecure)
            return (.insecure(r), short)
        }
        let msg: Message
        switch await fetch(Question(name: zone, type: .dnskey), ctx) {
        case .failure(let e):
            return (.indeterminate(Reason(.upstreamError, "could not fetch the DNSKEY RRset of \(zone): \(e)")), short)
        case .success(let m): msg = m
        }
        guard let set = RRset.group(msg.answers.filter { $0.name == zone && $0.type == .dnskey }).first else {
            let r = Reason(
                .dnskeyMissing,
                "\(zone) has a \(what) (\(DelegationRules.describe(usable))) but no DNSKEY RRset was returned "
                    + "(\(msg.rcode))"
            )
            ctx.note(zone, r, .bogus)
            return (.bogus(r), short)
        }
        // The whole set: an honest zone may publish more keys than any bound would guess, in any order.
        let all = set.rdatas.compactMap { rd -> DNSKEYData? in
            if case .dnskey(let k)? = try? RData(type: .dnskey, wire: rd) { return k } else { return nil }
        }
        // Keys the DS set (or the anchor) vouches for.
        let vouched = DelegationRules.vouchedKeys(all, zone: zone, ds: usable, anchored: usableKeys)
        let entry = vouched.trusted.map(TrustedKey.init)
        if entry.isEmpty {
            let r =
                vouched.revoked.isEmpty
                ? Reason(
                    .dsMismatch,
                    "\(DelegationRules.describe(usable)) at \(zone) matches no DNSKEY of \(zone) "
                        + "(\(all.count) keys: \(Self.keyList(all, shown: limits.maxSignatureChecksPerRRset * 2)))"
                )
                : Reason(
                    .keyRevoked,
                    "the DNSKEY of \(zone) named by the \(what) "
                        + "(\(vouched.revoked.map { String($0.keyTag) }.joined(separator: ", "))) has the REVOKE bit "
                        + "set (RFC 5011)"
                )
            ctx.note(zone, r, .bogus)
            return (.bogus(r), short)
        }
        let sigs = msg.answers.filter { $0.type == .rrsig && $0.name == zone }
        switch verify(set, sigs, zone: zone, keys: entry, ctx) {
        case .invalid(let r):
            var reason = Reason(r.code, "DNSKEY RRset of \(zone): \(r.message)")
            if r.code == .noMatchingKey {
                // Name the keys the DS points at as well as the ones that do sign: the fix is on one side or the other.
                let signers = sigs.compactMap { rr -> String? in
                    guard case .rrsig(let s)? = try? rr.parsed(), s.typeCovered == .dnskey else { return nil }
                    return "\(s.keyTag)/\(VerifyingKey.algorithmName(s.algorithm))"
                }
                reason = Reason(
                    .noMatchingKey,
                    "the \(what) of \(zone) names key\(entry.count == 1 ? "" : "s") "
                        + "\(entry.map(\.label).joined(separator: ", ")), present in its DNSKEY RRset, but no RRSIG "
                        + "over that RRset is by \(entry.count == 1 ? "it" : "one of them") (signed by "
                        + "\(signers.isEmpty ? "no key" : signers.joined(separator: ", ")))"
                )
            }
            ctx.note(zone, reason, .bogus)
            return (.bogus(reason), short)
        case .valid(let sig, _):
            let keys = DelegationRules.zoneKeys(all).map(TrustedKey.init)
            ctx.record(
                zone,
                .keysTrusted(
                    zone: zone, keys: all.count, keyTag: sig.keyTag, algorithm: sig.algorithm, vouchedBy: what,
                    validUntil: sig.expiration), .secure)
            let expires = min(sig.expiration, ctx.now &+ min(set.ttl, sig.originalTTL, limits.maxCacheTTL))
            return (.secure(zone: zone, keys: keys), expires)
        }
    }

    /// Walk from the closest trust anchor down to `target`, following DS records at zone cuts. Returns the status of
    /// the deepest zone containing `target` (secure with its keys, or insecure below a proven unsigned delegation).
    func chainVerdict(for target: DNSName, _ ctx: LookupContext) async -> ChainVerdict {
        guard let anchor = configuration.anchors.closest(to: target) else {
            let r = Reason(.noTrustAnchor, "no configured trust anchor covers \(target): it cannot be validated")
            ctx.note(target, r, .indeterminate)
            return .indeterminate(r)
        }
        var current = await anchoredZone(anchor, ctx)
        let names = path(from: anchor, to: target)
        if names.count > limits.maxWalkLabels {
            return .indeterminate(
                Reason(
                    .workLimit,
                    "\(target) lies \(names.count) labels below the trust anchor, above the limit of "
                        + "\(limits.maxWalkLabels)"
                ))
        }
        // Resume from the deepest cached zone on the path.
        var start = 0
        for (i, n) in names.enumerated().reversed() {
            if let cached = cachedZone(n, ctx) { current = cached; start = i + 1; break }
        }
        if ctx.route == 0 { prefetch(names[start...].map { Question(name: $0, type: .ds) }) }
        for n in names[start...] {
            guard case .secure(let zone, let keys) = current else { return current }
            // Another lookup may have finished this step while we waited for the one above.
            if let cached = cachedZone(n, ctx) { current = cached; continue }
            switch await sharedDSStep(n, parent: zone, keys: keys, ctx) {
            case .notACut:
                // Remember that `n` lies inside the current zone, so the next walk through it starts here.
                zoneCache.put(n, current, expires: ctx.now &+ min(limits.cutCacheTTL, limits.maxCacheTTL))
                continue
            case .unavailable(let r):
                return .indeterminate(r)
            case .status(let s, let expires):
                current = s
                zoneCache.put(n, s, expires: expires)
            }
        }
        return current
    }

    /// A DS step, shared with concurrent lookups (see `shared`); outcomes that say more about the other lookup's
    /// luck than about the zone are redone.
    func sharedDSStep(_ n: DNSName, parent: DNSName, keys: [TrustedKey], _ ctx: LookupContext) async -> DSStep {
        await shared(
            stepFlights, n, ctx,
            redo: {
                switch $0 {
                case .status(let s, _): Self.isTransient(s)
                case .unavailable: true
                case .notACut: false
                }
            }
        ) {
            await dsStep(n, parent: parent, keys: keys, ctx)
        }
    }

    /// What a DS question at a name on the way down says.
    enum DSStep: Sendable {
        /// Proven: not a zone cut (the name is inside the parent's zone, or does not exist).
        case notACut
        /// Proven: a zone cut, with the status of the zone below it (secure with its keys, insecure, bogus, or
        /// indeterminate when the DS was proven but the child's DNSKEY set could not be had).
        case status(ChainVerdict, expires: UInt32)
        /// No usable answer to the DS question (timeout, SERVFAIL, REFUSED, budget spent): nothing proven.
        case unavailable(Reason)
    }

    /// "tag/algorithm" of the first `shown` keys in canonical order, with "…" when there are more.
    static func keyList(_ keys: [DNSKEYData], shown: Int) -> String {
        let listed = DelegationRules.sortedCanonically(keys).prefix(shown).map { "\($0.keyTag)/\($0.algorithm)" }
        return listed.joined(separator: ", ") + (keys.count > shown ? ", …" : "")
    }

    /// RFC 4035 §5.3.1 below the signer: the RRset owned by `owner` and signed by `signer` must not lie in a zone
    /// below the signer. The names strictly below `signer` down to `home` (the owner's parent, or a wildcard's
    /// closest encloser) are checked for a hidden cut with DS questions answered by the signer's zone. A proven cut
    /// makes the signature bogus; a DS question that gets no usable answer proves nothing, and the zone named by the
    /// signature stands (a zone may sign names below its own delegations anyway, so refusing would cost availability
    /// and buy no security): the trace says the check could not be made. Returns a verdict only when it decides.
    func hiddenCut(
        below signer: DNSName, keys: [TrustedKey], to home: DNSName, what: String,
        _ ctx: LookupContext
    ) async -> (Verdict, Reason)? {
        guard home.isSubdomain(of: signer), home != signer else { return nil }
        let names = path(from: signer, to: home)
        if names.count > limits.maxWalkLabels {
            ctx.record(
                signer, .cutCheckTooDeep(home: home, signer: signer, labels: names.count, limit: limits.maxWalkLabels))
            return nil
        }
        for n in names {
            if let cached = cachedZone(n, ctx) {
                switch cached {
                case .secure(let z, _) where z == signer: continue
                case .secure(let z, _) where !z.isSubdomain(of: signer): break  // nothing this walk can use: ask
                default: if let found = Self.cutBelow(cached, signer: signer, what: what) { return found }
                }
            }
            switch await sharedDSStep(n, parent: signer, keys: keys, ctx) {
            case .notACut:
                zoneCache.put(
                    n, .secure(zone: signer, keys: keys),
                    expires: ctx.now &+ min(limits.cutCacheTTL, limits.maxCacheTTL))
            case .unavailable(let r):
                ctx.record(n, .cutCheckUnavailable(name: n, signer: signer, rrset: what, why: r))
                return nil
            case .status(let s, let expires):
                zoneCache.put(n, s, expires: expires)
                if let found = Self.cutBelow(s, signer: signer, what: what) { return found }
                if case .unproven(_, let r) = s {  // indeterminate: the delegation is proven, its keys are not
                    return (
                        .bogus,
                        Reason(
                            .badSigner,
                            "RRSIG over \(what) is by \(signer), but \(signer) proves a delegation to \(n) below it "
                                + "(its DNSKEY set could not be had: \(r.message))")
                    )
                }
            }
        }
        return nil
    }

    /// What a proven status of a name between `signer` and an RRset it signed says (RFC 4035 §5.3.1): a signed
    /// zone below the signer or an unsigned one makes the signature bogus, as does a bogus link; nil otherwise.
    static func cutBelow(_ status: ChainVerdict, signer: DNSName, what: String) -> (Verdict, Reason)? {
        switch status {
        case .secure(let z, _):
            return (
                .bogus,
                Reason(
                    .badSigner,
                    "RRSIG over \(what) is by \(signer), but \(z) is a signed zone below it that holds the "
                        + "name (RFC 4035 §5.3.1)")
            )
        case .unproven(.insecure, let r):
            return (
                .bogus,
                Reason(
                    .badSigner,
                    "RRSIG over \(what) is by \(signer), but the name lies in a separate, unsigned zone: "
                        + "\(r.message)")
            )
        case .unproven(.bogus, let r): return (.bogus, r)
        default: return nil
        }
    }

    /// An outcome that may say more about the lookup that produced it (its upstream luck, its own budget of
    /// signature checks) than about the zone: not taken over from another lookup. (Indeterminate is also never
    /// cached.)
    static func isTransient(_ status: ChainVerdict) -> Bool {
        switch status {
        case .unproven(.indeterminate, _): return true
        case .unproven(.bogus, let r): return r.code == .workLimit
        default: return false
        }
    }

    /// Ask for `name DS` and decide: a secure cut (then its DNSKEYs), a proven unsigned delegation, or no cut.
    func dsStep(_ name: DNSName, parent: DNSName, keys: [TrustedKey], _ ctx: LookupContext) async -> DSStep {
        let short = ctx.now &+ limits.failureCacheTTL
        let msg: Message
        switch await fetch(Question(name: name, type: .ds), ctx) {
        case .failure(let e): return .unavailable(Reason(.upstreamError, "could not fetch DS \(name): \(e)"))
        case .success(let m): msg = m
        }
        guard msg.rcode == .noError || msg.rcode == .nxDomain else {
            return .unavailable(Reason(.upstreamRCode, "the upstream answered \(msg.rcode) to DS \(name)"))
        }
        if let set = RRset.group(msg.answers.filter { $0.name == name && $0.type == .ds }).first {
            let sigs = msg.answers.filter { $0.type == .rrsig && $0.name == name }
            switch verify(set, sigs, zone: parent, keys: keys, ctx) {
            case .invalid(let r):
                let reason = Reason(r.code, "DS RRset of \(name): \(r.message)")
                ctx.note(parent, reason, .bogus)
                return .status(.bogus(reason), expires: short)
            case .valid(let sig, _):
                let ds = set.rdatas.compactMap { rd -> DSData? in
                    if case .ds(let d)? = try? RData(type: .ds, wire: rd) { return d } else { return nil }
                }
                ctx.record(
                    parent,
                    .dsVerified(
                        owner: name, parent: parent,
                        records: ds.map { "\($0.keyTag)/\($0.algorithm)/\($0.digestType)" }, keyTag: sig.keyTag),
                    .secure)
                let r = await dnskeys(of: name, ds: ds, anchoredKeys: [], what: "DS in \(parent)", ctx)
                return .status(r.status, expires: min(r.expires, ctx.now &+ min(set.ttl, limits.maxCacheTTL)))
            }
        }
        if msg.answers.contains(where: { $0.name == name && ($0.type == .cname || $0.type == .dname) }) {
            return .notACut
        }
        // Negative: the parent's NSEC/NSEC3 must say whether this is a delegation.
        let denial = verifiedDenialRecords(msg.authorities, zone: parent, keys: keys, ctx)
        if denial.records.isEmpty {
            if let r = denial.failure {
                ctx.note(parent, Reason(r.code, "no valid proof about DS \(name): \(r.message)"), .bogus)
                return .status(.bogus(r), expires: short)
            }
            // No proof at all. Unsigned negative answer from a secure zone.
            let r = Reason(
                .denialMissing,
                "\(parent) is signed but its answer that \(name) has no DS carries no valid NSEC/NSEC3 proof")
            ctx.note(parent, r, .bogus)
            return .status(.bogus(r), expires: short)
        }
        let checker = DenialChecker(zone: parent, records: denial.records, limits: limits)
        switch checker.dsAbsence(name) {
        case .notACut: return .notACut
        case .insecureDelegation(let r):
            ctx.note(parent, r, .insecure)
            return .status(.insecure(r), expires: ctx.now &+ min(limits.cutCacheTTL, limits.maxCacheTTL))
        case .failed(let r):
            ctx.note(parent, r, .bogus)
            return .status(.bogus(r), expires: short)
        }
    }

    /// Verify the NSEC/NSEC3 RRsets of a section with a zone's keys; returns the verified records.
    func verifiedDenialRecords(
        _ section: [ResourceRecord], zone: DNSName, keys: [TrustedKey],
        _ ctx: LookupContext
    ) -> (records: [ResourceRecord], failure: Reason?) {
        var out: [ResourceRecord] = []
        var failure: Reason?
        let sets = RRset.group(section.filter { $0.type == .nsec || $0.type == .nsec3 }).prefix(
            limits.maxDenialRRsetsPerSection)
        for set in sets where set.name.isSubdomain(of: zone) {
            let sigs = section.filter { $0.type == .rrsig && $0.name == set.name }
            switch verify(set, sigs, zone: zone, keys: keys, ctx) {
            case .valid: out += set.records
            case .invalid(let r): failure = failure ?? Reason(r.code, "\(set.type) at \(set.name): \(r.message)")
            }
        }
        return (out, failure)
    }
}
