/// Canonical form and order of records (RFC 4034 §6, with the RFC 6840 §5.1 correction).
public enum Canonical {
    /// Types whose RDATA names are lower-cased in canonical form (RFC 4034 §6.2 item 3, RFC 3597 §7);
    /// NSEC is left out following RFC 6840 §5.1.
    static let lowercaseNameTypes: Set<UInt16> = [
        2, 3, 4, 5, 6, 7, 8, 9, 12, 14, 15, 17, 18, 21, 24, 26, 30, 33, 35, 36, 38, 39, 46,
    ]

    /// The RDATA with embedded names lower-cased where RFC 4034 §6.2 requires it.
    public static func rdata(type: RRType, _ rdata: [UInt8]) -> [UInt8] {
        guard lowercaseNameTypes.contains(type.rawValue) else { return rdata }
        switch type {
        case .ns, .md, .mf, .cname, .mb, .mg, .mr, .ptr, .dname:
            return DNSName.lowerWire(rdata)
        default:
            break
        }
        // Re-encode through the typed form for the types we parse; others (RP, AFSDB, SRV, NAPTR …) are
        // lower-cased field by field.
        if let parsed = try? RData(type: type, wire: rdata) {
            switch parsed {
            case let .mx(p, n): return RData.mx(preference: p, exchange: n.lowercased).wire
            case .soa(var s):
                s.mname = s.mname.lowercased; s.rname = s.rname.lowercased
                return RData.soa(s).wire
            case .rrsig(var s):
                s.signerName = s.signerName.lowercased
                return RData.rrsig(s).wire
            default: break
            }
        }
        return lowerNamesGeneric(type: type, rdata)
    }

    /// Field layouts of the remaining types with names (name positions only).
    static func lowerNamesGeneric(type: RRType, _ rdata: [UInt8]) -> [UInt8] {
        var out = rdata
        func lowerName(at start: Int) -> Int? {
            var i = start
            while i < out.count {
                let len = Int(out[i])
                if len == 0 { return i + 1 }
                guard len <= 63, i + 1 + len <= out.count else { return nil }
                for j in (i + 1)..<(i + 1 + len) where out[j] >= 0x41 && out[j] <= 0x5A { out[j] |= 0x20 }
                i += 1 + len
            }
            return nil
        }
        switch type.rawValue {
        case 17, 14:  // RP, MINFO: two names
            if let next = lowerName(at: 0) { _ = lowerName(at: next) }
        case 18, 21, 36:  // AFSDB, RT, KX: u16 + name
            _ = lowerName(at: 2)
        case 26:  // PX: u16 + two names
            if let next = lowerName(at: 2) { _ = lowerName(at: next) }
        case 33:  // SRV: 3 × u16 + name
            _ = lowerName(at: 6)
        default:
            break
        }
        return out
    }

    /// Canonical wire form of one record for signing (RFC 4034 §6.2): owner lower-cased (and replaced by the
    /// wildcard owner when the RRSIG labels field says so, §3.1.8.1), TTL set to the original TTL.
    public static func recordWire(
        owner: DNSName, type: RRType, rrClass: RRClass, originalTTL: UInt32,
        canonicalRData: [UInt8]
    ) -> [UInt8] {
        var w = WireWriter(compress: false)
        w.bytes += owner.lowercased.wire
        w.u16(type.rawValue); w.u16(rrClass.rawValue); w.u32(originalTTL)
        w.u16(UInt16(canonicalRData.count)); w.bytes += canonicalRData
        return w.bytes
    }

    /// Sorts RDATA in canonical order (RFC 4034 §6.3: as left-justified unsigned octet strings) and removes
    /// duplicates (RFC 4034 §6.3, RFC 2181 §5).
    public static func sortedUnique(_ rdatas: [[UInt8]]) -> [[UInt8]] {
        let sorted = rdatas.sorted { $0.lexicographicallyPrecedes($1) }
        var out: [[UInt8]] = []
        out.reserveCapacity(sorted.count)
        for r in sorted where out.last != r { out.append(r) }
        return out
    }

    /// The data an RRSIG signs (RFC 4034 §3.1.8.1): RRSIG RDATA without the signature, then every record of the
    /// RRset in canonical form and order. `signedOwner` is the owner as signed (the wildcard name when the
    /// labels field is smaller than the owner's label count, RFC 4035 §5.3.2).
    public static func signedData(rrsig: RRSIGData, signedOwner: DNSName, rrset: RRset) -> [UInt8] {
        var out = rrsig.signedPrefix
        let canonical = sortedUnique(rrset.rdatas.map { rdata(type: rrset.type, $0) })
        for r in canonical {
            out += recordWire(
                owner: signedOwner, type: rrset.type, rrClass: rrset.rrClass,
                originalTTL: rrsig.originalTTL, canonicalRData: r)
        }
        return out
    }

    /// The owner name that was signed, given an RRSIG's labels field (RFC 4035 §5.3.2): the owner itself, or
    /// `*.` plus its rightmost `labels` labels. Nil when labels exceeds the owner's label count.
    public static func signedOwner(owner: DNSName, rrsigLabels: UInt8) -> DNSName? {
        let count = owner.isWildcard ? owner.labelCount - 1 : owner.labelCount
        let labels = Int(rrsigLabels)
        if labels == count { return owner }
        if labels > count { return nil }
        return owner.suffix(labels: labels).wildcard
    }
}
