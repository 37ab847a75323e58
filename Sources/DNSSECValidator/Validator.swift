import DNSCrypto
import DNSModel
import Upstream
import Foundation
import Logging

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
    /// DS/DNSKEY records considered per set.
    public var maxKeysPerSet = 32
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

/// Status of a zone on the chain of trust.
enum ZoneStatus: Sendable {
    case secure(zone: DNSName, keys: [TrustedKey])
    case insecure(Reason)
    case bogus(Reason)
    case indeterminate(Reason)
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
    let anchorFlights = Flights<DNSName, ZoneStatus>()
    let stepFlights = Flights<DNSName, DSStep>()

    public init(upstream: any DNSUpstream, configuration: ValidatorConfiguration, logger: Logger) {
        self.upstream = upstream
        self.configuration = configuration
        self.logger = logger
        responses = ResponseCache(capacity: configuration.limits.cacheEntries, maxTTL: configuration.limits.maxCacheTTL)
        signatureCache = VerifiedSignatures(capacity: 50_000)
        zoneCache = ZoneCache(capacity: 4096)
    }

    var limits: ValidatorLimits { configuration.limits }
    var now: UInt32 { configuration.validationTime ?? UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970)) }

    /// Fetch a question through the coalescing cache.
    func fetch(_ q: Question) async -> Result<Message, TransportError> {
        await responses.get(q) { [upstream] in
            do throws(TransportError) { return .success(try await upstream.queryKeepingWire(q)) } catch { return .failure(error) }
        }
    }

    /// Fetch within a lookup's budget of upstream queries. A lookup that asks again (`ctx.route > 0`) gets every
    /// answer fresh from the upstream by its route, once per question, and the fresh answer replaces the cached one.
    func fetch(_ q: Question, _ ctx: LookupContext) async -> Result<Message, TransportError> {
        if ctx.route > 0, let seen = ctx.fresh[q] { return seen }
        ctx.queries += 1
        if ctx.queries > limits.maxUpstreamQueriesPerLookup {
            ctx.queryBudgetSpent = true
            return .failure(.network("more than \(limits.maxUpstreamQueriesPerLookup) upstream queries for one lookup (limit)"))
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
    func cachedZone(_ zone: DNSName, _ ctx: LookupContext) -> ZoneStatus? {
        guard let status = zoneCache.get(zone, now: ctx.now) else { return nil }
        if ctx.route > 0, case .bogus = status { return nil }
        return status
    }

    /// Start fetching questions without waiting (speculative parallel chain fetching).
    func prefetch(_ qs: [Question]) {
        for q in qs { Task { _ = await fetch(q) } }
    }

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
        if let i = names.lastIndex(where: { zoneCache.get($0, now: now) != nil }) ?? (zoneCache.get(anchor, now: now) != nil ? -1 : nil) {
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
    func anchoredZone(_ zone: DNSName, _ ctx: LookupContext) async -> ZoneStatus {
        if let cached = cachedZone(zone, ctx) { return cached }
        return await shared(anchorFlights, zone, ctx, redo: Self.isTransient) { await computeAnchoredZone(zone, ctx) }
    }

    /// Runs a chain-of-trust step through `flights`, so that concurrent lookups share it; a traced lookup does the
    /// work itself, so that its trace shows every step.
    func shared<Value>(_ flights: Flights<DNSName, Value>, _ key: DNSName, _ ctx: LookupContext,
                       redo: (Value) -> Bool, _ work: () async -> Value) async -> Value {
        ctx.tracing || ctx.route > 0 ? await work() : await flights.run(key, redo: redo, work)
    }

    private func computeAnchoredZone(_ zone: DNSName, _ ctx: LookupContext) async -> ZoneStatus {
        if let cached = cachedZone(zone, ctx) { return cached }
        let anchors = configuration.anchors.anchors[zone] ?? []
        let result = await dnskeys(of: zone, ds: anchors.compactMap { if case .ds(_, let d) = $0 { d } else { nil } },
                                   anchoredKeys: anchors.compactMap { if case .dnskey(_, let k) = $0 { k } else { nil } },
                                   what: "trust anchor", ctx)
        zoneCache.put(zone, result.status, expires: result.expires)
        return result.status
    }

    /// Fetch a zone's DNSKEY RRset and accept it if a key matching one of `ds` (or an anchored key) signs it.
    func dnskeys(of zone: DNSName, ds: [DSData], anchoredKeys: [DNSKEYData], what: String,
                 _ ctx: LookupContext) async -> (status: ZoneStatus, expires: UInt32) {
        let short = ctx.now &+ 60
        // Usable DS records: algorithms and digests we implement; SHA-1 ignored when SHA-256/384 present (RFC 4509 §3).
        var usable = ds.filter { VerifyingKey.supportedAlgorithms.contains($0.algorithm) && DigestAlgorithm(dsDigestType: $0.digestType) != nil }
        if usable.contains(where: { $0.digestType != 1 }) { usable.removeAll { $0.digestType == 1 } }
        let usableKeys = anchoredKeys.filter { VerifyingKey.supportedAlgorithms.contains($0.algorithm) }
        if usable.isEmpty && usableKeys.isEmpty {
            let algs = Set(ds.map { "\(VerifyingKey.algorithmName($0.algorithm))/digest \($0.digestType)" }).sorted().joined(separator: ", ")
            let unsupportedAlg = ds.contains { !VerifyingKey.supportedAlgorithms.contains($0.algorithm) }
            let r = Reason(unsupportedAlg ? .unsupportedAlgorithm : .unsupportedDigest,
                           "the DS set of \(zone) names only algorithms or digests this validator does not implement (\(algs)): \(zone) is treated as insecure (RFC 4035 §5.2)")
            ctx.note(zone, r.message, .insecure)
            return (.insecure(r), short)
        }
        let msg: Message
        switch await fetch(Question(name: zone, type: .dnskey), ctx) {
        case .failure(let e):
            return (.indeterminate(Reason(.upstreamError, "could not fetch the DNSKEY RRset of \(zone): \(e)")), short)
        case .success(let m): msg = m
        }
        guard let set = RRset.group(msg.answers.filter { $0.name == zone && $0.type == .dnskey }).first else {
            let r = Reason(.dnskeyMissing, "\(zone) has a \(what) (DS \(usable.map { "\($0.keyTag)/\($0.algorithm)/\($0.digestType)" }.joined(separator: ", "))) but no DNSKEY RRset was returned (\(msg.rcode))")
            ctx.note(zone, r.message, .bogus)
            return (.bogus(r), short)
        }
        let all = set.rdatas.prefix(limits.maxKeysPerSet).compactMap { rd -> DNSKEYData? in
            if case .dnskey(let k)? = try? RData(type: .dnskey, wire: rd) { return k } else { return nil }
        }
        // Keys the DS set (or the anchor) vouches for.
        var entry: [TrustedKey] = []
        var revoked: [UInt16] = []
        for k in all {
            guard k.isZoneKey, k.protocol == 3 else { continue }
            let matchesDS = usable.contains { d in
                d.keyTag == k.keyTag && d.algorithm == k.algorithm &&
                    DigestAlgorithm(dsDigestType: d.digestType)?.hash(zone.lowercased.wire + k.rdata) == d.digest
            }
            let anchored = usableKeys.contains { $0.algorithm == k.algorithm && $0.publicKey == k.publicKey }
            guard matchesDS || anchored else { continue }
            if k.isRevoked { revoked.append(k.keyTag); continue }
            entry.append(TrustedKey(k))
        }
        if entry.isEmpty {
            let dsText = usable.map { "DS \($0.keyTag)/\($0.algorithm)/\($0.digestType)" }.joined(separator: ", ")
            let r = revoked.isEmpty
                ? Reason(.dsMismatch, "\(dsText) at \(zone) matches no DNSKEY of \(zone) (keys: \(all.map { "\($0.keyTag)/\($0.algorithm)" }.joined(separator: ", ")))")
                : Reason(.keyRevoked, "the DNSKEY of \(zone) named by the \(what) (\(revoked.map(String.init).joined(separator: ", "))) has the REVOKE bit set (RFC 5011)")
            ctx.note(zone, r.message, .bogus)
            return (.bogus(r), short)
        }
        let sigs = msg.answers.filter { $0.type == .rrsig && $0.name == zone }
        switch verify(set, sigs, zone: zone, keys: entry, ctx) {
        case .invalid(let r):
            let reason = Reason(r.code, "DNSKEY RRset of \(zone): \(r.message)")
            ctx.note(zone, reason.message, .bogus)
            return (.bogus(reason), short)
        case .valid(let sig, _):
            let keys = all.filter { $0.isZoneKey && $0.protocol == 3 && !$0.isRevoked }.map(TrustedKey.init)
            ctx.note(zone, "DNSKEY RRset of \(zone) (\(all.count) keys) is signed by key \(sig.keyTag)/\(VerifyingKey.algorithmName(sig.algorithm)), which matches the \(what); valid until \(DNSTime.iso8601(UInt64(sig.expiration)))", .secure)
            let expires = min(sig.expiration, ctx.now &+ min(set.ttl, sig.originalTTL, limits.maxCacheTTL))
            return (.secure(zone: zone, keys: keys), expires)
        }
    }

    /// Walk from the closest trust anchor down to `target`, following DS records at zone cuts. Returns the status of
    /// the deepest zone containing `target` (secure with its keys, or insecure below a proven unsigned delegation).
    func zoneStatus(for target: DNSName, _ ctx: LookupContext) async -> ZoneStatus {
        guard let anchor = configuration.anchors.closest(to: target) else {
            let r = Reason(.noTrustAnchor, "no configured trust anchor covers \(target): it cannot be validated")
            ctx.note(target, r.message, .indeterminate)
            return .indeterminate(r)
        }
        var current = await anchoredZone(anchor, ctx)
        let names = path(from: anchor, to: target)
        if names.count > limits.maxWalkLabels {
            return .indeterminate(Reason(.workLimit, "\(target) lies \(names.count) labels below the trust anchor, above the limit of \(limits.maxWalkLabels)"))
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
            let step = await shared(stepFlights, n, ctx, redo: { if case .status(let s, _) = $0 { Self.isTransient(s) } else { false } }) {
                await dsStep(n, parent: zone, keys: keys, ctx)
            }
            switch step {
            case .notACut:
                // Remember that `n` lies inside the current zone, so the next walk through it starts here.
                zoneCache.put(n, current, expires: ctx.now &+ min(300, limits.maxCacheTTL))
                continue
            case .status(let s, let expires):
                current = s
                zoneCache.put(n, s, expires: expires)
            }
        }
        return current
    }

    enum DSStep: Sendable { case notACut; case status(ZoneStatus, expires: UInt32) }

    /// An outcome that may say more about the lookup that produced it (its upstream luck, its own budget of
    /// signature checks) than about the zone: not taken over from another lookup. (Indeterminate is also never
    /// cached.)
    static func isTransient(_ status: ZoneStatus) -> Bool {
        switch status {
        case .indeterminate: return true
        case .bogus(let r): return r.code == .workLimit
        default: return false
        }
    }

    /// Ask for `name DS` and decide: a secure cut (then its DNSKEYs), a proven unsigned delegation, or no cut.
    func dsStep(_ name: DNSName, parent: DNSName, keys: [TrustedKey], _ ctx: LookupContext) async -> DSStep {
        let short = ctx.now &+ 60
        let msg: Message
        switch await fetch(Question(name: name, type: .ds), ctx) {
        case .failure(let e): return .status(.indeterminate(Reason(.upstreamError, "could not fetch DS \(name): \(e)")), expires: ctx.now)
        case .success(let m): msg = m
        }
        guard msg.rcode == .noError || msg.rcode == .nxDomain else {
            return .status(.indeterminate(Reason(.upstreamRCode, "the upstream answered \(msg.rcode) to DS \(name)")), expires: ctx.now)
        }
        if let set = RRset.group(msg.answers.filter { $0.name == name && $0.type == .ds }).first {
            let sigs = msg.answers.filter { $0.type == .rrsig && $0.name == name }
            switch verify(set, sigs, zone: parent, keys: keys, ctx) {
            case .invalid(let r):
                let reason = Reason(r.code, "DS RRset of \(name): \(r.message)")
                ctx.note(parent, reason.message, .bogus)
                return .status(.bogus(reason), expires: short)
            case .valid(let sig, _):
                let ds = set.rdatas.prefix(limits.maxKeysPerSet).compactMap { rd -> DSData? in
                    if case .ds(let d)? = try? RData(type: .ds, wire: rd) { return d } else { return nil }
                }
                ctx.note(parent, "DS RRset of \(name) (\(ds.map { "\($0.keyTag)/\($0.algorithm)/\($0.digestType)" }.joined(separator: ", "))) is signed by \(parent) key \(sig.keyTag)", .secure)
                let r = await dnskeys(of: name, ds: ds, anchoredKeys: [], what: "DS in \(parent)", ctx)
                return .status(r.status, expires: min(r.expires, ctx.now &+ min(set.ttl, limits.maxCacheTTL)))
            }
        }
        if msg.answers.contains(where: { $0.name == name && ($0.type == .cname || $0.type == .dname) }) { return .notACut }
        // Negative: the parent's NSEC/NSEC3 must say whether this is a delegation.
        let denial = verifiedDenialRecords(msg.authorities, zone: parent, keys: keys, ctx)
        if denial.records.isEmpty {
            if let r = denial.failure {
                ctx.note(parent, "no valid proof about DS \(name): \(r.message)", .bogus)
                return .status(.bogus(r), expires: short)
            }
            // No proof at all. Unsigned negative answer from a secure zone.
            let r = Reason(.denialMissing, "\(parent) is signed but its answer that \(name) has no DS carries no valid NSEC/NSEC3 proof")
            ctx.note(parent, r.message, .bogus)
            return .status(.bogus(r), expires: short)
        }
        let checker = DenialChecker(zone: parent, records: denial.records, limits: limits)
        switch checker.dsAbsence(name) {
        case .notACut: return .notACut
        case .insecureDelegation(let r):
            ctx.note(parent, r.message, .insecure)
            return .status(.insecure(r), expires: ctx.now &+ min(300, limits.maxCacheTTL))
        case .failed(let r):
            ctx.note(parent, r.message, .bogus)
            return .status(.bogus(r), expires: short)
        }
    }

    /// Verify the NSEC/NSEC3 RRsets of a section with a zone's keys; returns the verified records.
    func verifiedDenialRecords(_ section: [ResourceRecord], zone: DNSName, keys: [TrustedKey],
                               _ ctx: LookupContext) -> (records: [ResourceRecord], failure: Reason?) {
        var out: [ResourceRecord] = []
        var failure: Reason?
        let sets = RRset.group(section.filter { $0.type == .nsec || $0.type == .nsec3 }).prefix(16)
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
