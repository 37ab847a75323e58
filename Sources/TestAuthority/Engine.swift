import DNSCrypto
import DNSModel

/// Answers queries for a set of zones the way a recursive resolver hands them to a stub: full answers with CNAME and
/// DNAME chains followed across zones, DS from the parent side of a cut, SOA and NSEC/NSEC3 proofs in the authority
/// section, RRSIGs when the query sets DO.
public struct AnswerEngine: Sendable {
    public let zones: [DNSName: SignedZone]

    public init(zones: [SignedZone]) {
        var map: [DNSName: SignedZone] = [:]
        for z in zones { map[z.apex] = z }
        self.zones = map
    }

    /// The zone that answers `name`: the deepest zone at or above it; for DS at an apex, the parent's zone.
    func zone(for name: DNSName, type: RRType) -> SignedZone? {
        var n: DNSName? = name
        var skipApex = type == .ds && !name.isRoot
        while let cur = n {
            if let z = zones[cur] {
                if skipApex && cur == name { skipApex = false } else { return z }
            }
            n = cur.parent
        }
        return nil
    }

    /// Build the response to a query message.
    public func respond(to query: Message) -> Message {
        var response = Message(
            id: query.id, flags: [.qr, .ra], opcode: query.opcode, rcode: .noError,
            questions: query.questions)
        if query.flags.contains(.rd) { response.flags.insert(.rd) }
        if query.flags.contains(.cd) { response.flags.insert(.cd) }
        let dnssecOK = query.edns?.dnssecOK ?? false
        if query.edns != nil { response.edns = EDNS(udpPayloadSize: 1232, dnssecOK: dnssecOK) }
        guard query.opcode == .query, query.questions.count == 1, let q = query.questions.first else {
            response.rcode = .formErr
            return response
        }
        guard q.rrClass == .in else { response.rcode = .refused; return response }
        var sections = Sections()
        var target = q.name
        var visited: Set<DNSName> = []
        var steps = 0
        while steps < 20 {
            steps += 1
            guard visited.insert(target).inserted else { break }
            guard let zone = zone(for: target, type: q.type) else { response.rcode = .refused; break }
            if q.type == .ds, zone.refusedDSQuestions.contains(target) {
                response.rcode = .refused
                sections = Sections()
                break
            }
            switch resolve(target, q.type, in: zone, into: &sections, dnssecOK: dnssecOK) {
            case .done: break
            case .nxdomain: response.rcode = .nxDomain
            case .follow(let next): target = next; continue
            }
            break
        }
        response.answers = sections.answer
        response.authorities = sections.authority
        return response
    }

    struct Sections {
        var answer: [ResourceRecord] = []
        var authority: [ResourceRecord] = []
        mutating func add(_ records: [ResourceRecord], authority toAuthority: Bool = false) {
            for r in records {
                if toAuthority {
                    if !authority.contains(r) { authority.append(r) }
                } else if !answer.contains(r) {
                    answer.append(r)
                }
            }
        }
    }

    enum Step { case done, nxdomain, follow(DNSName) }

    func rrsetRecords(_ zone: SignedZone, _ key: RRsetKey, dnssecOK: Bool, owner: DNSName? = nil) -> [ResourceRecord] {
        guard let set = zone.rrsets[key] else { return [] }
        var out = set.records
        if zone.shuffleDNSKEYs && key.type == .dnskey { out.shuffle() }
        if dnssecOK { out += zone.signatures[key] ?? [] }
        if let owner {
            out = out.map {
                var r = $0; r.name = owner; return r
            }
        }
        return out
    }

    func resolve(_ name: DNSName, _ type: RRType, in zone: SignedZone, into s: inout Sections, dnssecOK: Bool) -> Step {
        // Data below a delegation point of this zone whose child we do not serve: referral-like NODATA is not
        // needed by the catalogue; answer from the zone as far as it knows.
        // DNAME at an ancestor within the zone.
        var anc = name.parent
        while let a = anc, a.isSubdomain(of: zone.apex) {
            let key = RRsetKey(name: a, type: .dname)
            if zone.rrsets[key] != nil, case .dname(let targetBase)? = try? zone.rrsets[key]!.records[0].parsed() {
                s.add(rrsetRecords(zone, key, dnssecOK: dnssecOK))
                let prefix = name.labelCount - a.labelCount
                let labels = Array(name.labels.prefix(prefix)).map(Array.init) + targetBase.labels.map(Array.init)
                guard let synthesized = try? DNSName(labels: labels) else { return .done }
                s.add([ResourceRecord(name: name, ttl: zone.rrsets[key]!.ttl, .cname(synthesized))])
                return .follow(synthesized)
            }
            if a == zone.apex { break }
            anc = a.parent
        }
        let exact = RRsetKey(name: name, type: type)
        if zone.rrsets[exact] != nil && !(zone.cuts.contains(name) && type != .ds) {
            s.add(rrsetRecords(zone, exact, dnssecOK: dnssecOK))
            return .done
        }
        let cnameKey = RRsetKey(name: name, type: .cname)
        if type != .cname, let set = zone.rrsets[cnameKey], case .cname(let target)? = try? set.records[0].parsed() {
            s.add(rrsetRecords(zone, cnameKey, dnssecOK: dnssecOK))
            return .follow(target)
        }
        if zone.names.contains(name) {
            addNegative(zone, &s, dnssecOK: dnssecOK) { proofs in
                proofs.noData(name)
            }
            return .done
        }
        // Wildcard synthesis from the closest encloser.
        let ce = closestEncloser(name, zone)
        if let wild = ce.wildcard, zone.names.contains(wild) {
            let wkey = RRsetKey(name: wild, type: type)
            let wcname = RRsetKey(name: wild, type: .cname)
            if zone.rrsets[wkey] != nil || (type != .cname && zone.rrsets[wcname] != nil) {
                let key = zone.rrsets[wkey] != nil ? wkey : wcname
                s.add(rrsetRecords(zone, key, dnssecOK: dnssecOK, owner: name))
                if dnssecOK && !zone.omitWildcardProof {
                    s.add(Proofs(zone: zone).wildcardAnswer(name, ce), authority: true)
                }
                if key == wcname, case .cname(let t)? = try? zone.rrsets[wcname]!.records[0].parsed() {
                    return .follow(t)
                }
                return .done
            }
            addNegative(zone, &s, dnssecOK: dnssecOK) { $0.wildcardNoData(name, ce) }
            return .done
        }
        addNegative(zone, &s, dnssecOK: dnssecOK) { $0.nameError(name, ce) }
        return .nxdomain
    }

    func closestEncloser(_ name: DNSName, _ zone: SignedZone) -> DNSName {
        var n = name
        while !zone.names.contains(n), let p = n.parent, n != zone.apex { n = p }
        return n
    }

    func addNegative(_ zone: SignedZone, _ s: inout Sections, dnssecOK: Bool, _ proof: (Proofs) -> [ResourceRecord]) {
        let soaKey = RRsetKey(name: zone.apex, type: .soa)
        if let soa = zone.rrsets[soaKey] {
            var set = soa.records
            for i in set.indices { set[i].ttl = zone.negativeTTL }
            s.add(set, authority: true)
            if dnssecOK { s.add(zone.signatures[soaKey] ?? [], authority: true) }
        }
        if dnssecOK && zone.isSigned { s.add(proof(Proofs(zone: zone)), authority: true) }
    }
}

/// NSEC and NSEC3 proofs (RFC 4035 §3.1.3, RFC 5155 §7.2).
struct Proofs {
    let zone: SignedZone

    func records(_ key: RRsetKey) -> [ResourceRecord] {
        (zone.rrsets[key]?.records ?? []) + (zone.signatures[key] ?? [])
    }

    // NSEC
    func nsecMatching(_ name: DNSName) -> [ResourceRecord] { records(RRsetKey(name: name, type: .nsec)) }
    func nsecCovering(_ name: DNSName) -> [ResourceRecord] {
        let owners = zone.nsecOwners
        guard !owners.isEmpty else { return [] }
        if zone.forgeDenial { return nsecMatching(owners[0]) }
        let owner = owners.last { $0 < name } ?? owners[owners.count - 1]
        return nsecMatching(owner)
    }

    // NSEC3
    var nsec3Params: (iterations: UInt16, salt: [UInt8])? {
        if case .nsec3(let it, let salt, _)? = zone.denial { return (it, salt) }
        return nil
    }
    func hash(_ name: DNSName) -> [UInt8] {
        guard let p = nsec3Params else { return [] }
        return NSEC3Hash.hash(canonicalName: name.lowercased.wire, salt: p.salt, iterations: Int(p.iterations))
    }
    func nsec3Matching(_ name: DNSName) -> [ResourceRecord] {
        let h = hash(name)
        guard zone.nsec3Chain.contains(where: { $0.hash == h }) else { return [] }
        return records(RRsetKey(name: zone.hashedOwner(h), type: .nsec3))
    }
    func nsec3Covering(_ name: DNSName) -> [ResourceRecord] {
        let chain = zone.nsec3Chain
        guard !chain.isEmpty else { return [] }
        if zone.forgeDenial { return records(RRsetKey(name: zone.hashedOwner(chain[0].hash), type: .nsec3)) }
        let h = hash(name)
        let entry = chain.last { $0.hash.lexicographicallyPrecedes(h) } ?? chain[chain.count - 1]
        return records(RRsetKey(name: zone.hashedOwner(entry.hash), type: .nsec3))
    }
    /// The name one label longer than the closest encloser, on the way to `name`.
    func nextCloser(_ name: DNSName, _ ce: DNSName) -> DNSName { name.suffix(labels: ce.labelCount + 1) }

    var isNSEC3: Bool { nsec3Params != nil }

    func noData(_ name: DNSName) -> [ResourceRecord] {
        if !isNSEC3 {
            let m = nsecMatching(name)
            return m.isEmpty ? nsecCovering(name) : m  // an empty non-terminal has no NSEC of its own
        }
        let m = nsec3Matching(name)
        if !m.isEmpty { return m }
        // No NSEC3 for the name (opt-out span, e.g. DS at an insecure delegation): closest-encloser proof.
        var ce = name.parent ?? name
        while nsec3Matching(ce).isEmpty, let p = ce.parent, ce != zone.apex { ce = p }
        return nsec3Matching(ce) + nsec3Covering(nextCloser(name, ce))
    }

    func nameError(_ name: DNSName, _ ce: DNSName) -> [ResourceRecord] {
        if !isNSEC3 {
            return nsecCovering(name) + (ce.wildcard.map { nsecCovering($0) } ?? [])
        }
        return nsec3Matching(ce) + nsec3Covering(nextCloser(name, ce)) + (ce.wildcard.map { nsec3Covering($0) } ?? [])
    }

    func wildcardNoData(_ name: DNSName, _ ce: DNSName) -> [ResourceRecord] {
        if !isNSEC3 { return nsecCovering(name) + (ce.wildcard.map { nsecMatching($0) } ?? []) }
        return nsec3Matching(ce) + nsec3Covering(nextCloser(name, ce)) + (ce.wildcard.map { nsec3Matching($0) } ?? [])
    }

    func wildcardAnswer(_ name: DNSName, _ ce: DNSName) -> [ResourceRecord] {
        if !isNSEC3 { return nsecCovering(name) }
        return nsec3Covering(nextCloser(name, ce))
    }
}
