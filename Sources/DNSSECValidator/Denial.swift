import DNSCrypto
import DNSModel

/// What a set of verified NSEC or NSEC3 records proves (RFC 4035 §5.4, RFC 5155 §8, RFC 6840 §4).
enum DenialResult: Equatable {
    case proven
    /// The proof is valid but cannot establish security (NSEC3 opt-out span, too many iterations).
    case insecure(Reason)
    case failed(Reason)
}

/// What a DS query's negative answer says about a name on the way down the chain.
enum DSAbsence: Equatable {
    /// No delegation here: the name is inside the parent zone (or does not exist).
    case notACut
    /// A delegation with a proven absence of DS: everything below is insecure.
    case insecureDelegation(Reason)
    case failed(Reason)
}

struct NSECRecord { let owner: DNSName; let data: NSECData }
struct NSEC3Record { let owner: DNSName; let hash: [UInt8]; let data: NSEC3Data }

/// Checks denial proofs for one zone from its verified NSEC/NSEC3 records.
struct DenialChecker {
    let zone: DNSName
    let nsecs: [NSECRecord]
    let nsec3s: [NSEC3Record]
    let maxIterations: Int
    let hashes: HashBudget

    init(zone: DNSName, records: [ResourceRecord], limits: ValidatorLimits) {
        self.zone = zone
        self.maxIterations = limits.maxNSEC3Iterations
        self.hashes = HashBudget(limits.maxNSEC3HashesPerResponse)
        var n1: [NSECRecord] = [], n3: [NSEC3Record] = []
        for r in records where r.name.isSubdomain(of: zone) {
            switch try? r.parsed() {
            case .nsec(let d)?: n1.append(NSECRecord(owner: r.name, data: d))
            case .nsec3(let d)?:
                guard r.name.parent == zone, let first = r.name.labels.first,
                      let hash = TextEncoding.fromBase32hex(String(decoding: first, as: UTF8.self)), hash.count == 20,
                      d.hashAlgorithm == 1 else { continue }
                n3.append(NSEC3Record(owner: r.name, hash: hash, data: d))
            default: continue
            }
        }
        nsecs = n1
        // RFC 5155 §8.2: use only records whose parameters agree with the first.
        if let p = n3.first { n3 = n3.filter { $0.data.iterations == p.data.iterations && $0.data.salt == p.data.salt } }
        nsec3s = n3
    }

    var isEmpty: Bool { nsecs.isEmpty && nsec3s.isEmpty }

    // MARK: NSEC

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

    // MARK: NSEC3

    var iterations: Int { Int(nsec3s.first?.data.iterations ?? 0) }
    func hash(_ name: DNSName) -> [UInt8] {
        guard let p = nsec3s.first else { return [] }
        if let h = hashes.memo[name] { return h }
        guard hashes.remaining > 0 else { return [] }  // an empty hash matches and covers nothing
        hashes.remaining -= 1
        let h = NSEC3Hash.hash(canonicalName: name.lowercased.wire, salt: p.data.salt, iterations: Int(p.data.iterations))
        hashes.memo[name] = h
        return h
    }

    var budgetReason: Reason? {
        hashes.remaining > 0 ? nil : Reason(.workLimit, "more than \(hashes.limit) NSEC3 hash computations for one response (CVE-2023-50868 defence)")
    }
    func bounded(_ r: DenialResult) -> DenialResult {
        if case .failed = r, let b = budgetReason { return .failed(b) }
        return r
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

    func iterationCheck() -> DenialResult? {
        if !nsec3s.isEmpty && iterations > maxIterations {
            return .insecure(Reason(.nsec3IterationsTooHigh, "NSEC3 in \(zone) uses \(iterations) iterations, above the limit of \(maxIterations) (RFC 9276): treated as insecure"))
        }
        return nil
    }

    // MARK: Proofs

    func nameError(_ name: DNSName) -> DenialResult { bounded(nameErrorUnbounded(name)) }
    func noData(_ name: DNSName, _ type: RRType) -> DenialResult { bounded(noDataUnbounded(name, type)) }
    func wildcardAnswer(_ name: DNSName, rrsigLabels: Int) -> DenialResult { bounded(wildcardAnswerUnbounded(name, rrsigLabels: rrsigLabels)) }

    func nameErrorUnbounded(_ name: DNSName) -> DenialResult {
        if !nsecs.isEmpty {
            guard nsecMatch(name) == nil, let cover = nsecCovering(name) else {
                return .failed(Reason(.denialInvalid, "no NSEC in \(zone) covers \(name): its non-existence is not proven"))
            }
            let ce = nsecClosestEncloser(name, cover)
            if let wild = ce.wildcard {
                if nsecMatch(wild) != nil { return .failed(Reason(.denialInvalid, "NXDOMAIN for \(name) but the wildcard \(wild) exists")) }
                if nsecCovering(wild) == nil { return .failed(Reason(.denialMissing, "no NSEC proves that the wildcard \(wild) does not exist")) }
            }
            return .proven
        }
        if let r = iterationCheck() { return r }
        guard !nsec3s.isEmpty else { return .failed(Reason(.denialMissing, "NXDOMAIN for \(name) without NSEC or NSEC3 proof")) }
        guard let (ce, ncCover) = closestEncloserProof(name) else {
            return .failed(Reason(.denialInvalid, "NSEC3 records in \(zone) do not prove a closest encloser for \(name)"))
        }
        guard let wild = ce.wildcard, nsec3Cover(wild) != nil else {
            return .failed(Reason(.denialMissing, "no NSEC3 proves that the wildcard *.\(ce) does not exist"))
        }
        if ncCover.data.optOut {
            return .insecure(Reason(.optOut, "NXDOMAIN for \(name) rests on an NSEC3 opt-out span in \(zone): an unsigned delegation may exist"))
        }
        return .proven
    }

    func noDataUnbounded(_ name: DNSName, _ type: RRType) -> DenialResult {
        func bitmapOK(_ t: TypeBitmap, at owner: DNSName) -> Reason? {
            if t.contains(type) { return Reason(.denialInvalid, "the denial record at \(owner) lists \(type): the type exists") }
            if t.contains(.cname) { return Reason(.denialInvalid, "the denial record at \(owner) lists CNAME") }
            if type == .ds {
                if t.contains(.soa) && owner != zone { return Reason(.denialInvalid, "DS denial at \(owner) comes from the child zone") }
            } else if t.contains(.ns) && !t.contains(.soa) {
                return Reason(.denialInvalid, "NODATA for \(name) proven with the parent side of a delegation")
            }
            return nil
        }
        if !nsecs.isEmpty {
            if let m = nsecMatch(name) {
                if let r = bitmapOK(m.data.types, at: m.owner) { return .failed(r) }
                return .proven
            }
            if let cover = nsecCovering(name) {
                // Empty non-terminal: the next name is below the query name.
                if cover.data.nextName.isSubdomain(of: name) { return .proven }
                let ce = nsecClosestEncloser(name, cover)
                if let wild = ce.wildcard, let w = nsecMatch(wild) {
                    if let r = bitmapOK(w.data.types, at: wild) { return .failed(r) }
                    return .proven
                }
            }
            return .failed(Reason(.denialMissing, "no NSEC in \(zone) proves that \(name) has no \(type)"))
        }
        if let r = iterationCheck() { return r }
        guard !nsec3s.isEmpty else { return .failed(Reason(.denialMissing, "NODATA for \(name) \(type) without NSEC or NSEC3 proof")) }
        if let m = nsec3Match(name) {
            if let r = bitmapOK(m.data.types, at: name) { return .failed(r) }
            return .proven
        }
        if let (ce, cover) = closestEncloserProof(name) {
            if let wild = ce.wildcard, let w = nsec3Match(wild) {
                if let r = bitmapOK(w.data.types, at: wild) { return .failed(r) }
                // RFC 5155 §9.2 (and §8.7): the next closer name is in an opt-out span, where an unsigned
                // delegation may exist that the wildcard does not speak for.
                if cover.data.optOut {
                    return .insecure(Reason(.optOut, "wildcard NODATA for \(name) \(type) rests on an NSEC3 opt-out span in \(zone) covering \(name.suffix(labels: ce.labelCount + 1)): an unsigned delegation may exist there (RFC 5155 §9.2)"))
                }
                return .proven
            }
            // RFC 5155 §8.6 (DS) and §9.2: no NSEC3 matches the name and its next closer name lies in an opt-out span,
            // which may hold unsigned delegations: nothing is proven either way.
            if cover.data.optOut {
                let what = type == .ds ? "no DS for \(name)" : "NODATA for \(name) \(type)"
                return .insecure(Reason(.optOut, "\(what): covered by an NSEC3 opt-out span in \(zone), where an unsigned delegation may exist (RFC 5155 §9.2)"))
            }
        }
        return .failed(Reason(.denialMissing, "no NSEC3 in \(zone) proves that \(name) has no \(type)"))
    }

    /// RFC 4035 §5.3.4 / RFC 5155 §8.8: a wildcard answer needs proof that the query name itself does not exist.
    func wildcardAnswerUnbounded(_ name: DNSName, rrsigLabels: Int) -> DenialResult {
        if !nsecs.isEmpty {
            return nsecMatch(name) == nil && nsecCovering(name) != nil ? .proven
                : .failed(Reason(.wildcardProofMissing, "wildcard answer for \(name) without an NSEC proving \(name) does not exist"))
        }
        if let r = iterationCheck() { return r }
        let nextCloser = name.suffix(labels: rrsigLabels + 1)
        guard let cover = nsec3Cover(nextCloser) else {
            return .failed(Reason(.wildcardProofMissing, "wildcard answer for \(name) without an NSEC3 covering the next closer name \(nextCloser)"))
        }
        if cover.data.optOut { return .insecure(Reason(.optOut, "wildcard answer for \(name) rests on an NSEC3 opt-out span")) }
        return .proven
    }

    /// What a negative answer to `name DS` says about a delegation at `name`.
    func dsAbsence(_ name: DNSName) -> DSAbsence {
        func judge(_ t: TypeBitmap) -> DSAbsence {
            if t.contains(.ds) { return .failed(Reason(.denialInvalid, "the denial at \(name) lists DS, yet no DS was returned")) }
            if t.contains(.soa) { return .failed(Reason(.denialInvalid, "the DS denial for \(name) comes from the child zone")) }
            if t.contains(.ns) {
                return .insecureDelegation(Reason(.unsignedDelegation, "\(zone) proves that the delegation to \(name) has no DS: \(name) is unsigned"))
            }
            return .notACut
        }
        if !nsecs.isEmpty {
            if let m = nsecMatch(name) { return judge(m.data.types) }
            if nsecCovering(name) != nil { return .notACut }
            return .failed(Reason(.denialMissing, "no NSEC in \(zone) proves whether \(name) has a DS"))
        }
        if !nsec3s.isEmpty {
            if iterations > maxIterations {
                return .insecureDelegation(Reason(.nsec3IterationsTooHigh, "NSEC3 in \(zone) uses \(iterations) iterations, above the limit of \(maxIterations) (RFC 9276): treated as insecure"))
            }
            if let m = nsec3Match(name) { return judge(m.data.types) }
            if let (_, cover) = closestEncloserProof(name) {
                if cover.data.optOut {
                    return .insecureDelegation(Reason(.optOut, "\(name) lies in an NSEC3 opt-out span of \(zone): it may be an unsigned delegation"))
                }
                return .notACut
            }
        }
        return .failed(Reason(.denialMissing, "no NSEC/NSEC3 in \(zone) proves whether \(name) has a DS"))
    }
}

/// Counts NSEC3 hash computations for one response and remembers their results.
final class HashBudget {
    let limit: Int
    var remaining: Int
    var memo: [DNSName: [UInt8]] = [:]
    init(_ limit: Int) { self.limit = limit; remaining = limit }
}
