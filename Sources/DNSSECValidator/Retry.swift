import DNSModel
import Upstream

extension Validator {
    /// Resolve `name`/`type` through the upstream and validate the answer (or the proof that there is none) from
    /// the trust anchors. Never throws: every failure is a verdict with a reason. With `trace: false` the answer's
    /// `trace` is empty and the lookup is cheaper (no step text is built).
    ///
    /// **Asking again.** An answer that fails in a way the path between us and the zone could have caused — a
    /// signature that does not verify, RRSIGs or NSEC records missing from a signed zone, a DS that matches no key,
    /// an answer that would not parse or match, SERVFAIL — is asked again, up to `limits.maxRetriesPerLookup` times
    /// and only within `limits.retryWindow`: each time every answer is fetched fresh by the next route of the
    /// upstream (over TCP, then from the next `--server`) and the whole chain is validated again. Only a fresh,
    /// fully validated attempt can make the lookup secure; what an earlier attempt saw is never reused, apart from
    /// zone keys that were themselves validated secure (or proven unsigned). When every attempt fails, the reason
    /// lists what each route saw. A route whose answers lacked DNSSEC records that another route then served is
    /// demoted for the rest of the process, and the answer's reason says so.
    public func resolve(name: DNSName, type: RRType, trace: Bool = true) async -> ValidatedAnswer {
        let firstContext = LookupContext(limits: limits, now: now, tracing: trace)
        let first = budgeted(await resolveOnce(name: name, type: type, firstContext), firstContext)
        guard limits.maxRetriesPerLookup > 0, Self.worthAskingAgain(first, firstContext) else { return first }
        let started = monotonic()
        var attempts: [(route: Int, answer: ValidatedAnswer)] = [(0, first)]
        var route = 1
        while attempts.count <= limits.maxRetriesPerLookup, !Task.isCancelled,
            monotonic() - started < limits.retryWindow
        {
            let ctx = LookupContext(limits: limits, now: firstContext.now, tracing: trace, route: route)
            let again = budgeted(await resolveOnce(name: name, type: type, ctx), ctx)
            attempts.append((route, again))
            if !Self.worthAskingAgain(again, ctx) { break }
            route += 1
        }
        return settle(attempts)
    }

    /// An answer left indeterminate because the lookup spent its budget of upstream queries says so, with the
    /// work-limit code, instead of looking like a network fault.
    func budgeted(_ answer: ValidatedAnswer, _ ctx: LookupContext) -> ValidatedAnswer {
        guard ctx.queryBudgetSpent, answer.verdict == .indeterminate else { return answer }
        return answer.with(
            reason: Reason(
                .workLimit,
                "the lookup of \(answer.question.name) \(answer.question.type) "
                    + "needed more than \(limits.maxUpstreamQueriesPerLookup) upstream queries "
                    + "(ValidatorLimits.maxUpstreamQueriesPerLookup); "
                    + "stopped there (\(answer.reason?.message ?? "no answer"))"))
    }

    /// Failures that the path may have caused (corruption, a resolver or middlebox stripping records, SERVFAIL from
    /// a broken server behind the resolver), as opposed to what the zone itself says or our own limits.
    static func worthAskingAgain(_ answer: ValidatedAnswer, _ ctx: LookupContext) -> Bool {
        guard let code = answer.reason?.code else { return false }
        switch answer.verdict {
        case .secure, .insecure:
            return false
        case .bogus:
            switch code {
            case .signatureInvalid, .signaturesMissing, .noMatchingKey, .dsMismatch, .dnskeyMissing, .badSigner,
                .denialMissing, .denialInvalid, .wildcardProofMissing, .malformedAnswer, .signatureExpired,
                .signatureNotYetValid:
                return true
            default:
                return false
            }
        case .indeterminate:
            return code == .upstreamRCode || code == .malformedAnswer || ctx.sawUnusableAnswer
        }
    }

    /// Codes that say DNSSEC records were missing from an answer: what a stripping resolver or middlebox does.
    static func looksStripped(_ code: Reason.Code?) -> Bool {
        code == .signaturesMissing || code == .denialMissing || code == .dnskeyMissing
    }

    /// The outcome of several attempts: the last one's verdict, with a reason that tells what the others saw.
    func settle(_ attempts: [(route: Int, answer: ValidatedAnswer)]) -> ValidatedAnswer {
        let (lastRoute, last) = attempts[attempts.count - 1]
        func name(_ route: Int) -> String { upstream.describe(route: route) ?? "attempt \(route + 1)" }
        if last.verdict == .secure {
            // A route that stripped DNSSEC records while this one served them: not asked first any more.
            let stripped = attempts.dropLast().filter { Self.looksStripped($0.answer.reason?.code) }
            let good = name(lastRoute)  // before the demotion reorders the routes
            guard let culprit = stripped.first, let server = upstream.demote(route: culprit.route) else { return last }
            let note =
                "\(server) strips DNSSEC records (\(culprit.answer.reason?.message ?? "")); "
                + "validated from \(good) instead, which is asked first from now on"
            if let proven = last.reason {
                return last.with(reason: Reason(proven.code, proven.message + "; note: " + note))
            }
            return last.with(reason: Reason(.upstreamStripsDNSSEC, note))
        }
        guard let reason = last.reason else { return last }
        let seen = attempts.map {
            "\(name($0.route)): \($0.answer.verdict) (\($0.answer.reason?.message ?? "no reason"))"
        }
        return last.with(
            reason: Reason(reason.code, "\(last.verdict) on every route asked — " + seen.joined(separator: "; ")))
    }
}

extension ValidatedAnswer {
    /// The same answer with another reason.
    func with(reason: Reason) -> ValidatedAnswer {
        ValidatedAnswer(
            question: question, verdict: verdict, reason: reason, kind: kind, rrset: rrset,
            signatures: signatures, chain: chain, finalName: finalName, trace: trace, wildcard: wildcard)
    }
}
