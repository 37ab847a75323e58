import DNSCrypto
import DNSModel
import Upstream

extension Validator {
    /// One attempt at `name`/`type` (see `resolve`, which may make several).
    func resolveOnce(name: DNSName, type: RRType, _ ctx: LookupContext) async -> ValidatedAnswer {
        let question = Question(name: name, type: type)
        if let r = QuestionRules.unvalidatableType(question)
            ?? QuestionRules.dsWithoutAnchorAbove(question, anchors: configuration.anchors)
        {
            var state = LookupState(question: question)
            return state.finish(.indeterminate, r, ctx)
        }
        // Round trip 1: the answer and, speculatively, the chain of trust above it, all at once.
        if ctx.route == 0 { prefetch(chainQuestions(for: name, limit: limits.prefetchDepth, now: ctx.now)) }
        var state = LookupState(question: question)
        var current = name
        var visited: Set<DNSName> = [name]
        var message: Message
        switch await fetch(question, ctx) {
        case .failure(let e):
            return state.finish(.indeterminate, Reason(.upstreamError, "no answer for \(name) \(type): \(e)"), ctx)
        case .success(let m): message = m
        }
        while true {
            guard message.rcode == .noError || message.rcode == .nxDomain else {
                return state.finish(
                    .indeterminate,
                    Reason(.upstreamRCode, "the upstream answered \(message.rcode) for \(current) \(type)"), ctx,
                    final: current)
            }
            let sets = RRset.group(message.answers.filter { $0.type != .rrsig })
            if let set = sets.first(where: { $0.name == current && $0.type == type }) {
                let (v, r, wildcard) = await validateData(set, message, ctx)
                state.combine(v, r)
                state.signatures = message.answers.filter {
                    $0.type == .rrsig && $0.name == set.name && Self.covers($0, type)
                }
                state.rrset = v == .secure ? Self.capTTL(set, state.signatures, now: ctx.now) : set
                state.wildcard = wildcard
                state.kind = .data
                ctx.record(
                    set.name,
                    .rrset(owner: set.name, type: set.type, records: set.rdatas.count, wildcard: wildcard, reason: r), v
                )
                return state.finish(ctx, final: current)
            }
            var next: DNSName?
            if type != .dname,
                let dname = sets.first(where: {
                    $0.type == .dname && current.isSubdomain(of: $0.name) && current != $0.name
                }),
                case .dname(let base)? = try? dname.records[0].parsed()
            {
                let (v, r, _) = await validateData(dname, message, ctx)
                state.combine(v, r)
                state.chain.append(dname)
                state.hops.append("DNAME \(dname.name) → \(base) (for \(current))")
                ctx.record(dname.name, .link(type: .dname, owner: dname.name, target: base, reason: r), v)
                guard let target = DNAMERules.substitute(current, owner: dname.name, target: base) else {
                    return state.finish(
                        .bogus,
                        Reason(.malformedAnswer, "DNAME substitution for \(current) yields a name over 255 octets"),
                        ctx, final: current)
                }
                next = target
            } else if type != .cname, let cname = sets.first(where: { $0.name == current && $0.type == .cname }),
                case .cname(let target)? = try? cname.records[0].parsed()
            {
                let (v, r, _) = await validateData(cname, message, ctx)
                state.combine(v, r)
                state.chain.append(cname)
                state.hops.append("CNAME \(cname.name) → \(target)")
                ctx.record(cname.name, .link(type: .cname, owner: cname.name, target: target, reason: r), v)
                next = target
            }
            if let target = next {
                guard visited.insert(target).inserted else {
                    return state.finish(
                        .indeterminate, Reason(.chainLoop, "CNAME/DNAME chain from \(name) loops back to \(target)"),
                        ctx, final: target)
                }
                guard state.chain.count <= limits.maxChainLength else {
                    return state.finish(
                        .indeterminate,
                        Reason(
                            .chainTooLong,
                            "CNAME/DNAME chain from \(name) is longer than \(limits.maxChainLength) links"), ctx,
                        final: target)
                }
                current = target
                let answered = message.answers.contains { $0.name == target }
                let negativeHere =
                    message.answers.isEmpty == false
                    && message.authorities.contains {
                        $0.type == .soa && target.isSubdomain(of: $0.name)
                    }
                if !answered && !negativeHere {
                    if ctx.route == 0 {
                        prefetch(chainQuestions(for: target, limit: limits.prefetchDepth, now: ctx.now))
                    }
                    switch await fetch(Question(name: target, type: type), ctx) {
                    case .failure(let e):
                        return state.finish(
                            .indeterminate, Reason(.upstreamError, "no answer for \(target) \(type): \(e)"), ctx,
                            final: target)
                    case .success(let m): message = m
                    }
                }
                continue
            }
            // Negative answer for `current`.
            let nx = message.rcode == .nxDomain
            let (v, r) = await validateNegative(current, type, nameError: nx, message, ctx)
            state.combine(v, r)
            state.kind = nx ? .nameError : .noData
            return state.finish(ctx, final: current)
        }
    }

    /// RFC 4035 §5.3.3: the TTL of accepted data is capped by the RRSIG's original TTL and by the time left
    /// until the signature expires.
    static func capTTL(_ set: RRset, _ sigs: [ResourceRecord], now: UInt32) -> RRset {
        var out = set
        out.ttl = RRSIGRules.cappedTTL(
            set, sigs.compactMap { if case .rrsig(let s)? = try? $0.parsed() { s } else { nil } }, now: now)
        return out
    }

    static func covers(_ rr: ResourceRecord, _ type: RRType) -> Bool {
        if case .rrsig(let s)? = try? rr.parsed() { return s.typeCovered == type }
        return false
    }

    /// Signer zones named by the RRSIGs over an RRset, deepest first.
    func signers(of set: RRset, in records: [ResourceRecord]) -> [DNSName] {
        var out: [DNSName] = []
        for r in records where r.type == .rrsig && r.name == set.name {
            if case .rrsig(let s)? = try? r.parsed(), s.typeCovered == set.type, !out.contains(s.signerName) {
                out.append(s.signerName)
            }
        }
        return out.sorted { $0.labelCount > $1.labelCount }
    }

    /// Validate one positive RRset from a response.
    func validateData(_ set: RRset, _ message: Message, _ ctx: LookupContext) async -> (Verdict, Reason?, Bool) {
        let sigs = message.answers.filter { $0.type == .rrsig && $0.name == set.name }
        let signerNames = signers(of: set, in: sigs)
        guard let signer = signerNames.first else {
            // Unsigned: walk to the closest provable cut (for a DS RRset, in the parent, where it lives).
            switch await chainVerdict(for: set.type == .ds ? (set.name.parent ?? set.name) : set.name, ctx) {
            case .unproven(let v, let r): return (v, r, false)
            case .secure(let zone, _):
                return (
                    .bogus,
                    Reason(
                        .signaturesMissing,
                        "\(set.name) \(set.type) carries no RRSIG, but \(zone) is signed and its chain of trust is "
                            + "secure: the zone or, more likely, the upstream resolver stripped the DNSSEC records "
                            + "(try another upstream)"
                    ), false
                )
            }
        }
        guard set.name.isSubdomain(of: signer) else {
            return (
                .bogus,
                Reason(
                    .badSigner,
                    "RRSIG over \(set.name) \(set.type) names signer \(signer), which is not an ancestor of the owner"),
                false
            )
        }
        // RFC 4035 §5.3.1 with RFC 4034 §5: a DS RRset belongs to the parent side of the cut; the child cannot sign it.
        if set.type == .ds && signer == set.name {
            return (
                .bogus,
                Reason(
                    .badSigner,
                    "the DS RRset of \(set.name) is signed by \(set.name) itself, but DS records live in (and are "
                        + "signed by) the parent zone"
                ), false
            )
        }
        switch await chainVerdict(for: signer, ctx) {
        case .unproven(let v, let r): return (v, r, false)
        case .secure(let zone, let keys):
            guard zone == signer else {
                return (
                    .bogus,
                    Reason(
                        .badSigner,
                        "RRSIG over \(set.name) \(set.type) names signer \(signer), but the chain of trust shows "
                            + "\(signer) is not a zone apex (its zone is \(zone))"
                    ), false
                )
            }
            // Signature first (cheap when memoised), then where the RRset lives.
            var outcome: (Verdict, Reason?, Bool)
            var closestEncloser = set.name
            switch verify(set, sigs, zone: zone, keys: keys, ctx) {
            case .invalid(let r): return (.bogus, r, false)
            case .valid(_, let wildcardLabels):
                if let labels = wildcardLabels {
                    let denial = verifiedDenialRecords(message.authorities, zone: zone, keys: keys, ctx)
                    let checker = DenialChecker(zone: zone, records: denial.records, limits: limits)
                    switch checker.wildcardAnswer(set.name, rrsigLabels: labels) {
                    case .proven: outcome = (.secure, nil, true)
                    case .insecure(let r): outcome = (.insecure, r, true)
                    case .failed(let r): return (.bogus, denial.failure ?? r, true)
                    }
                    // The proof says nothing exists between the wildcard's parent and the name: no cut there either.
                    closestEncloser = set.name.suffix(labels: labels)
                } else {
                    outcome = (.secure, nil, false)
                }
            }
            // RFC 4035 §5.3.1: the zone is the one the RRSIG names (its chain is proven above); below the signer,
            // DS questions down to the owner's parent (for a wildcard, to the closest encloser the denial proved)
            // only look for a hidden cut. A cut at the owner itself would make the data occluded, which only the
            // signer itself could have signed; stopping there saves one upstream query per name (Docs/Validation.md).
            let home =
                set.type == .ds || !set.name.isWildcard && closestEncloser == set.name
                ? (set.name.parent ?? set.name) : closestEncloser
            if let (v, r) = await hiddenCut(below: signer, keys: keys, to: home, what: "\(set.name) \(set.type)", ctx) {
                return (v, r, false)
            }
            return outcome
        }
    }

    /// Validate an NXDOMAIN or NODATA answer for `name`/`type`.
    func validateNegative(
        _ name: DNSName, _ type: RRType, nameError: Bool, _ message: Message,
        _ ctx: LookupContext
    ) async -> (Verdict, Reason?) {
        let what = nameError ? "\(name) does not exist" : "\(name) has no \(type) records"
        let authority = message.authorities
        let soaSet = RRset.group(authority.filter { $0.type == .soa }).first
        var signer: DNSName?
        for r in authority where r.type == .rrsig {
            // A DS denial must come from the parent: the child's own NSEC at its apex proves nothing about DS.
            if case .rrsig(let s)? = try? r.parsed(), name.isSubdomain(of: s.signerName),
                !(type == .ds && s.signerName == name),
                signer == nil || s.signerName.labelCount > signer!.labelCount
            {
                signer = s.signerName
            }
        }
        guard let zone = signer else {
            // Unsigned: walk to the closest provable cut (for DS, in the parent, where the DS RRset would live).
            switch await chainVerdict(for: type == .ds ? (name.parent ?? name) : name, ctx) {
            case .unproven(.insecure, let r):
                ctx.record(name, .unsignedDenial(name: name, what: what), .insecure)
                return (.insecure, r)
            case .secure(let z, _):
                let r = Reason(
                    .denialMissing, "the answer says \(what), but carries no signed proof although \(z) is signed")
                ctx.note(name, r, .bogus)
                return (.bogus, r)
            case .unproven(let v, let r): return (v, r)
            }
        }
        switch await chainVerdict(for: zone, ctx) {
        case .unproven(let v, let r): return (v, r)
        case .secure(let z, let keys):
            guard z == zone else {
                return (
                    .bogus,
                    Reason(
                        .badSigner,
                        "the denial for \(name) is signed by \(zone), which the chain of trust does not show as a "
                            + "zone apex"
                    )
                )
            }
            if let soa = soaSet, soa.name == zone,
                case .invalid(let r) = verify(soa, authority, zone: zone, keys: keys, ctx)
            {
                ctx.note(zone, Reason(r.code, "SOA in the negative answer: \(r.message)"), .bogus)
                return (.bogus, r)
            }
            let denial = verifiedDenialRecords(authority, zone: zone, keys: keys, ctx)
            let checker = DenialChecker(zone: zone, records: denial.records, limits: limits)
            let result = nameError ? checker.nameError(name) : checker.noData(name, type)
            switch result {
            case .proven:
                let how = checker.nsecs.isEmpty ? "NSEC3" : "NSEC"
                let r = Reason(nameError ? .nameError : .noData, "\(what): proven by \(how) records of \(zone)")
                ctx.note(zone, r, .secure)
                return (.secure, r)
            case .insecure(let r):
                ctx.note(zone, r, .insecure)
                return (.insecure, r)
            case .failed(let r):
                let reason = denial.failure ?? r
                ctx.note(zone, reason, .bogus)
                return (.bogus, reason)
            }
        }
    }
}

/// Accumulates the outcome of a lookup along a CNAME/DNAME chain.
struct LookupState {
    let question: Question
    var verdict: Verdict = .secure
    var reason: Reason?
    var kind: AnswerKind = .noData
    var rrset: RRset?
    var signatures: [ResourceRecord] = []
    var chain: [RRset] = []
    var wildcard = false

    init(question: Question) { self.question = question }

    /// The CNAME/DNAME links followed so far, for reasons: a failure behind a link names the way it was reached.
    var hops: [String] = []

    mutating func combine(_ v: Verdict, _ r: Reason?) {
        var r = r
        if v != .secure, let inner = r, !hops.isEmpty, inner.code != .chainLoop, inner.code != .chainTooLong {
            r = Reason(inner.code, "reached through \(hops.joined(separator: ", then ")): \(inner.message)")
        }
        if v > verdict { verdict = v; reason = r } else if v == verdict && reason == nil { reason = r }
    }

    mutating func finish(_ v: Verdict, _ r: Reason, _ ctx: LookupContext, final: DNSName? = nil) -> ValidatedAnswer {
        combine(v, r)
        ctx.note(final ?? question.name, r, v)
        if v != .secure { rrset = nil; kind = .noData }
        return finish(ctx, final: final ?? question.name)
    }

    func finish(_ ctx: LookupContext, final: DNSName) -> ValidatedAnswer {
        ValidatedAnswer(
            question: question, verdict: verdict, reason: reason, kind: kind, rrset: rrset,
            signatures: signatures, chain: chain, finalName: final, trace: ctx.trace, wildcard: wildcard)
    }
}
