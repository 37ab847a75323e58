import DNSModel

/// NSEC denial (RFC 4035 §3.1.3, §5.4) with RFC 6840 §4.1 (an NSEC at a delegation point or DNAME does not deny
/// names below it) and §4.3 (the closest encloser from the NSEC's owner and next name).
extension DenialChecker {
    func nsecMatch(_ name: DNSName) -> NSECRecord? { nsecs.first { $0.owner == name } }

    func nsecCovers(_ n: NSECRecord, _ name: DNSName) -> Bool {
        guard name.isSubdomain(of: zone), n.owner != name else { return false }
        // RFC 6840 §4.1: an NSEC at a delegation point or DNAME does not deny names below it.
        if name.isSubdomain(of: n.owner) {
            let t = n.data.types
            if (t.contains(.ns) && !t.contains(.soa)) || t.contains(.dname) { return false }
        }
        let next = n.data.nextName
        if n.owner < next { return n.owner < name && name < next }
        return n.owner < name || name < next  // last NSEC of the zone wraps to the apex
    }

    func nsecCovering(_ name: DNSName) -> NSECRecord? { nsecs.first { nsecCovers($0, name) } }

    func nsecClosestEncloser(_ name: DNSName, _ cover: NSECRecord) -> DNSName {
        let n = max(name.commonLabelCount(with: cover.owner), name.commonLabelCount(with: cover.data.nextName))
        return name.suffix(labels: max(n, zone.labelCount))
    }

    /// RFC 4035 §5.4: an NSEC covers the name, and one covers (denies) the wildcard at its closest encloser.
    func nsecNameError(_ name: DNSName) -> DenialResult {
        guard nsecMatch(name) == nil, let cover = nsecCovering(name) else {
            return .failed(Reason(.denialInvalid, "no NSEC in \(zone) covers \(name): its non-existence is not proven"))
        }
        let ce = nsecClosestEncloser(name, cover)
        if let wild = ce.wildcard {
            if nsecMatch(wild) != nil {
                return .failed(Reason(.denialInvalid, "NXDOMAIN for \(name) but the wildcard \(wild) exists"))
            }
            if nsecCovering(wild) == nil {
                return .failed(Reason(.denialMissing, "no NSEC proves that the wildcard \(wild) does not exist"))
            }
        }
        return .proven
    }

    /// RFC 4035 §5.4: an NSEC at the name without the type; an empty non-terminal (covered, next name below it); or
    /// a wildcard NODATA (the name covered, the wildcard matched without the type).
    func nsecNoData(_ name: DNSName, _ type: RRType) -> DenialResult {
        if let m = nsecMatch(name) {
            if let r = noDataBitmapFailure(m.data.types, at: m.owner, for: name, type) { return .failed(r) }
            return .proven
        }
        if let cover = nsecCovering(name) {
            // Empty non-terminal: the next name is below the query name.
            if cover.data.nextName.isSubdomain(of: name) { return .proven }
            let ce = nsecClosestEncloser(name, cover)
            if let wild = ce.wildcard, let w = nsecMatch(wild) {
                if let r = noDataBitmapFailure(w.data.types, at: wild, for: name, type) { return .failed(r) }
                return .proven
            }
        }
        return .failed(Reason(.denialMissing, "no NSEC in \(zone) proves that \(name) has no \(type)"))
    }

    /// RFC 4035 §5.3.4: an NSEC proves that the query name of a wildcard expansion does not exist.
    func nsecWildcardAnswer(_ name: DNSName) -> DenialResult {
        nsecMatch(name) == nil && nsecCovering(name) != nil
            ? .proven
            : .failed(
                Reason(
                    .wildcardProofMissing, "wildcard answer for \(name) without an NSEC proving \(name) does not exist")
            )
    }

    /// A matching NSEC's bitmap decides; a covering NSEC proves the name does not exist (no cut).
    func nsecDSAbsence(_ name: DNSName) -> DSAbsence {
        if let m = nsecMatch(name) { return dsBitmapJudgement(m.data.types, at: name) }
        if nsecCovering(name) != nil { return .notACut }
        return .failed(Reason(.denialMissing, "no NSEC in \(zone) proves whether \(name) has a DS"))
    }
}
