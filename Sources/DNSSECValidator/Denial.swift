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

/// Checks denial proofs for one zone from its verified NSEC/NSEC3 records: a pure value, no upstream. The rules
/// themselves live by mechanism in `Rules/RFC4035+NSEC.swift`, `Rules/RFC5155+NSEC3.swift` and `Rules/RFC9276.swift`;
/// this type holds the records and picks the mechanism (a zone's answer uses NSEC or NSEC3, not both).
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
                    d.hashAlgorithm == 1
                else { continue }
                n3.append(NSEC3Record(owner: r.name, hash: hash, data: d))
            default: continue
            }
        }
        nsecs = n1
        // RFC 5155 §8.2: use only records whose parameters agree with the first.
        if let p = n3.first {
            n3 = n3.filter { $0.data.iterations == p.data.iterations && $0.data.salt == p.data.salt }
        }
        nsec3s = n3
    }

    var isEmpty: Bool { nsecs.isEmpty && nsec3s.isEmpty }

    // MARK: Proofs (dispatch by mechanism)

    func nameError(_ name: DNSName) -> DenialResult {
        if !nsecs.isEmpty { return nsecNameError(name) }
        return bounded(iterationCheck() ?? nsec3NameError(name))
    }

    func noData(_ name: DNSName, _ type: RRType) -> DenialResult {
        if !nsecs.isEmpty { return nsecNoData(name, type) }
        return bounded(iterationCheck() ?? nsec3NoData(name, type))
    }

    /// RFC 4035 §5.3.4 / RFC 5155 §8.8: a wildcard answer needs proof that the query name itself does not exist.
    func wildcardAnswer(_ name: DNSName, rrsigLabels: Int) -> DenialResult {
        if !nsecs.isEmpty { return nsecWildcardAnswer(name) }
        return bounded(iterationCheck() ?? nsec3WildcardAnswer(name, rrsigLabels: rrsigLabels))
    }

    /// What a negative answer to `name DS` says about a delegation at `name`.
    func dsAbsence(_ name: DNSName) -> DSAbsence {
        if !nsecs.isEmpty { return nsecDSAbsence(name) }
        if !nsec3s.isEmpty {
            if case .insecure(let r)? = iterationCheck() { return .insecureDelegation(r) }
            if let judged = nsec3DSAbsence(name) { return judged }
        }
        return .failed(Reason(.denialMissing, "no NSEC/NSEC3 in \(zone) proves whether \(name) has a DS"))
    }

    // MARK: Shared by NSEC and NSEC3

    /// RFC 4035 §5.4 / RFC 5155 §8.5–8.7, with RFC 6840 §4.1: the type bitmap of the record matching a NODATA name
    /// (or its wildcard) must not list the type or CNAME, a DS denial must come from the parent side, and any other
    /// denial must not come from the parent side of a delegation. nil when the bitmap proves the absence.
    func noDataBitmapFailure(_ t: TypeBitmap, at owner: DNSName, for name: DNSName, _ type: RRType) -> Reason? {
        if t.contains(type) {
            return Reason(.denialInvalid, "the denial record at \(owner) lists \(type): the type exists")
        }
        if t.contains(.cname) { return Reason(.denialInvalid, "the denial record at \(owner) lists CNAME") }
        if type == .ds {
            if t.contains(.soa) && owner != zone {
                return Reason(.denialInvalid, "DS denial at \(owner) comes from the child zone")
            }
        } else if t.contains(.ns) && !t.contains(.soa) {
            return Reason(.denialInvalid, "NODATA for \(name) proven with the parent side of a delegation")
        }
        return nil
    }

    /// RFC 4035 §5.2 / RFC 6840 §4.4: the bitmap at a name asked for DS says cut or no cut.
    func dsBitmapJudgement(_ t: TypeBitmap, at name: DNSName) -> DSAbsence {
        if t.contains(.ds) {
            return .failed(Reason(.denialInvalid, "the denial at \(name) lists DS, yet no DS was returned"))
        }
        if t.contains(.soa) {
            return .failed(Reason(.denialInvalid, "the DS denial for \(name) comes from the child zone"))
        }
        if t.contains(.ns) {
            return .insecureDelegation(
                Reason(
                    .unsignedDelegation, "\(zone) proves that the delegation to \(name) has no DS: \(name) is unsigned")
            )
        }
        return .notACut
    }
}

/// Counts NSEC3 hash computations for one response and remembers their results.
final class HashBudget {
    let limit: Int
    var remaining: Int
    var memo: [DNSName: [UInt8]] = [:]
    init(_ limit: Int) { self.limit = limit; remaining = limit }
}
