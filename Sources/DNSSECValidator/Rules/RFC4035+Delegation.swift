import DNSCrypto
import DNSModel

/// RFC 4035 §5.2 (authenticating referrals: DS → DNSKEY), RFC 4509 §3 (SHA-1 DS ignored next to SHA-256), RFC 6840
/// §5.2 (a DS set of only unknown algorithms or digests makes the zone insecure) and RFC 5011 §3 (REVOKE).
/// Pure functions over record values: no upstream, no cache, no `Validator`.
enum DelegationRules {
    /// The DS records a validator can use: algorithms and digest types it implements, SHA-1 dropped when a
    /// stronger digest is offered (RFC 4509 §3). The whole set is considered, in the order given.
    static func usableDS(_ ds: [DSData]) -> [DSData] {
        var usable = ds.filter {
            VerifyingKey.supportedAlgorithms.contains($0.algorithm)
                && DigestAlgorithm(dsDigestType: $0.digestType) != nil
        }
        if usable.contains(where: { $0.digestType != 1 }) { usable.removeAll { $0.digestType == 1 } }
        return usable
    }

    /// RFC 4035 §5.2 / RFC 6840 §5.2: when no DS record is usable, the zone is treated as unsigned. The reason names
    /// what was offered.
    static func unusableDSReason(_ ds: [DSData], zone: DNSName) -> Reason {
        let algs = Set(ds.map { "\(VerifyingKey.algorithmName($0.algorithm))/digest \($0.digestType)" }).sorted()
            .joined(separator: ", ")
        let unsupportedAlg = ds.contains { !VerifyingKey.supportedAlgorithms.contains($0.algorithm) }
        return Reason(
            unsupportedAlg ? .unsupportedAlgorithm : .unsupportedDigest,
            "the DS set of \(zone) names only algorithms or digests this validator does not implement (\(algs)): "
                + "\(zone) is treated as insecure (RFC 4035 §5.2)"
        )
    }

    /// The keys of a DNSKEY set that a DS record (RFC 4034 §5.1.4 digest over owner and RDATA, computed by libldns's
    /// `ldns_key_rr2ds` through ``DSDigest``) or an anchored key
    /// vouches for, over the whole of both sets. A DS is compared with a key only when key tag and algorithm agree,
    /// and each key's digest is computed at most once per digest type, so the work is bounded by the size of the
    /// sets, not their product. Keys are returned in canonical RDATA order, whatever order the upstream used.
    static func vouchedKeys(
        _ keys: [DNSKEYData], zone: DNSName, ds usable: [DSData],
        anchored: [DNSKEYData]
    ) -> (trusted: [DNSKEYData], revoked: [DNSKEYData]) {
        var byTag: [UInt32: [DSData]] = [:]
        for d in usable { byTag[UInt32(d.keyTag) << 8 | UInt32(d.algorithm), default: []].append(d) }
        let owner = zone.lowercased.wire
        var trusted: [DNSKEYData] = [], revoked: [DNSKEYData] = []
        for k in sortedCanonically(keys) {
            guard k.isZoneKey, k.protocol == 3 else { continue }
            let rdata = k.rdata
            var matches = false
            if let candidates = byTag[UInt32(DNSKEYData.keyTag(rdata: rdata)) << 8 | UInt32(k.algorithm)] {
                var digests: [UInt8: [UInt8]] = [:]
                for d in candidates {
                    guard DigestAlgorithm(dsDigestType: d.digestType) != nil,
                        let digest = digests[d.digestType]
                            ?? DSDigest.digest(ownerWire: owner, dnskeyRDATA: rdata, digestType: d.digestType)
                    else { continue }
                    digests[d.digestType] = digest
                    if digest == d.digest { matches = true; break }
                }
            }
            if !matches { matches = anchored.contains { $0.algorithm == k.algorithm && $0.publicKey == k.publicKey } }
            guard matches else { continue }
            if k.isRevoked { revoked.append(k) } else { trusted.append(k) }
        }
        return (trusted, revoked)
    }

    /// DNSKEYs in RFC 4034 §6.3 canonical order of their RDATA, so that results and reasons do not depend on the
    /// order an upstream returned the set in.
    static func sortedCanonically(_ keys: [DNSKEYData]) -> [DNSKEYData] {
        keys.map { ($0, $0.rdata) }.sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
    }

    /// The zone keys that may sign the zone's data once its DNSKEY RRset is trusted (RFC 4035 §5.3.1: Zone Key bit,
    /// protocol 3), revoked ones included so that a signature by one can be named as such.
    static func zoneKeys(_ keys: [DNSKEYData]) -> [DNSKEYData] {
        sortedCanonically(keys).filter { $0.isZoneKey && $0.protocol == 3 }
    }

    static func describe(_ ds: [DSData]) -> String {
        ds.map { "DS \($0.keyTag)/\($0.algorithm)/\($0.digestType)" }.joined(separator: ", ")
    }
}
