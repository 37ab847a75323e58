import DNSCrypto
import DNSModel

/// NSEC3 denial (RFC 5155 §8.3–8.8) with opt-out (§6, §9.2) on every path: an opt-out span may hold unsigned
/// delegations, so a proof whose next closer name lies in one cannot be secure. RFC 6840 §4.1: the NSEC3 of a
/// delegation point or DNAME does not prove a closest encloser for names below it.
extension DenialChecker {
    func hash(_ name: DNSName) -> [UInt8] {
        guard let p = nsec3s.first else { return [] }
        if let h = hashes.memo[name] { return h }
        guard hashes.remaining > 0 else { return [] }  // an empty hash matches and covers nothing
        hashes.remaining -= 1
        let h = NSEC3Hash.hash(
            canonicalName: name.lowercased.wire, salt: p.data.salt, iterations: Int(p.data.iterations))
        hashes.memo[name] = h
        return h
    }

    func nsec3Match(_ name: DNSName) -> NSEC3Record? { let h = hash(name); return nsec3s.first { $0.hash == h } }

    func nsec3Cover(_ name: DNSName) -> NSEC3Record? {
        let h = hash(name)
        return nsec3s.first { r in
            let next = r.data.nextHashedOwner
            if r.hash.lexicographicallyPrecedes(next) {
                return r.hash.lexicographicallyPrecedes(h) && h.lexicographicallyPrecedes(next)
            }
            return r.hash.lexicographicallyPrecedes(h) || h.lexicographicallyPrecedes(next)
        }
    }

    /// RFC 5155 §8.3: the closest encloser (matched) and the next closer name (covered).
    func closestEncloserProof(_ name: DNSName) -> (ce: DNSName, nextCloserCover: NSEC3Record)? {
        var candidate = name.parent
        var child = name
        while let c = candidate, c.isSubdomain(of: zone) {
            if let m = nsec3Match(c) {
                let t = m.data.types
                if t.contains(.dname) || (t.contains(.ns) && !t.contains(.soa)) { return nil }
                guard let cover = nsec3Cover(child) else { return nil }
                return (c, cover)
            }
            child = c
            candidate = c.parent
        }
        return nil
    }

    /// RFC 5155 §8.4: closest encloser proof and a covered wildcard; §9.2: insecure in an opt-out span.
    func nsec3NameError(_ name: DNSName) -> DenialResult {
        guard !nsec3s.isEmpty else {
            return .failed(Reason(.denialMissing, "NXDOMAIN for \(name) without NSEC or NSEC3 proof"))
        }
        guard let (ce, ncCover) = closestEncloserProof(name) else {
            return .failed(
                Reason(.denialInvalid, "NSEC3 records in \(zone) do not prove a closest encloser for \(name)"))
        }
        guard let wild = ce.wildcard, nsec3Cover(wild) != nil else {
            return .failed(Reason(.denialMissing, "no NSEC3 proves that the wildcard *.\(ce) does not exist"))
        }
        if ncCover.data.optOut {
            return .insecure(
                Reason(
                    .optOut,
                    "NXDOMAIN for \(name) rests on an NSEC3 opt-out span in \(zone): an unsigned delegation may exist"))
        }
        return .proven
    }

    /// RFC 5155 §8.5 (matching NSEC3 without the type), §8.7 (wildcard NODATA), §8.6 (no match: opt-out), §9.2.
    func nsec3NoData(_ name: DNSName, _ type: RRType) -> DenialResult {
        guard !nsec3s.isEmpty else {
            return .failed(Reason(.denialMissing, "NODATA for \(name) \(type) without NSEC or NSEC3 proof"))
        }
        if let m = nsec3Match(name) {
            if let r = noDataBitmapFailure(m.data.types, at: name, for: name, type) { return .failed(r) }
            return .proven
        }
        if let (ce, cover) = closestEncloserProof(name) {
            if let wild = ce.wildcard, let w = nsec3Match(wild) {
                if let r = noDataBitmapFailure(w.data.types, at: wild, for: name, type) { return .failed(r) }
                // RFC 5155 §9.2 (and §8.7): the next closer name is in an opt-out span, where an unsigned
                // delegation may exist that the wildcard does not speak for.
                if cover.data.optOut {
                    return .insecure(
                        Reason(
                            .optOut,
                            "wildcard NODATA for \(name) \(type) rests on an NSEC3 opt-out span in \(zone) covering "
                                + "\(name.suffix(labels: ce.labelCount + 1)): an unsigned delegation may exist there "
                                + "(RFC 5155 §9.2)"
                        ))
                }
                return .proven
            }
            // RFC 5155 §8.6 (DS) and §9.2: no NSEC3 matches the name and its next closer name lies in an opt-out span,
            // which may hold unsigned delegations: nothing is proven either way.
            if cover.data.optOut {
                let what = type == .ds ? "no DS for \(name)" : "NODATA for \(name) \(type)"
                return .insecure(
                    Reason(
                        .optOut,
                        "\(what): covered by an NSEC3 opt-out span in \(zone), where an unsigned delegation may "
                            + "exist (RFC 5155 §9.2)"
                    ))
            }
        }
        return .failed(Reason(.denialMissing, "no NSEC3 in \(zone) proves that \(name) has no \(type)"))
    }

    /// RFC 5155 §8.8: an NSEC3 covers the next closer name of a wildcard expansion; §9.2: insecure in an opt-out span.
    func nsec3WildcardAnswer(_ name: DNSName, rrsigLabels: Int) -> DenialResult {
        let nextCloser = name.suffix(labels: rrsigLabels + 1)
        guard let cover = nsec3Cover(nextCloser) else {
            return .failed(
                Reason(
                    .wildcardProofMissing,
                    "wildcard answer for \(name) without an NSEC3 covering the next closer name \(nextCloser)"))
        }
        if cover.data.optOut {
            return .insecure(Reason(.optOut, "wildcard answer for \(name) rests on an NSEC3 opt-out span"))
        }
        return .proven
    }

    /// RFC 5155 §8.6 for the walk: a matching NSEC3's bitmap decides; a closest encloser proof says no cut, or, in an
    /// opt-out span, possibly an unsigned delegation. nil when the records prove nothing.
    func nsec3DSAbsence(_ name: DNSName) -> DSAbsence? {
        if let m = nsec3Match(name) { return dsBitmapJudgement(m.data.types, at: name) }
        if let (_, cover) = closestEncloserProof(name) {
            if cover.data.optOut {
                return .insecureDelegation(
                    Reason(
                        .optOut, "\(name) lies in an NSEC3 opt-out span of \(zone): it may be an unsigned delegation"))
            }
            return .notACut
        }
        return nil
    }
}
