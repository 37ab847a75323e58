import DNSCrypto
import DNSModel

/// RFC 4035 §5.3.1 (the RRSIG fields that must agree before a signature is checked), §5.3.3 (TTL of accepted data),
/// §5.3.4 / RFC 4034 §3.1.3 (labels and wildcard expansion) and RFC 5011 §2.1 (no signature by a REVOKEd key counts).
/// Pure functions over record values; the signature verification itself and its KeyTrap budget are the `Validator`'s.
enum RRSIGRules {
    /// The owner's label count for RRSIG labels comparisons (a literal wildcard owner does not count its `*`).
    static func ownerLabels(_ owner: DNSName) -> Int { owner.isWildcard ? owner.labelCount - 1 : owner.labelCount }

    /// The clock-skew allowance for one signature: the configured value, or 10 % of its lifetime clamped to 1 h … 24 h.
    static func allowedSkew(_ sig: RRSIGData, configured: UInt32?) -> UInt32 {
        configured ?? min(max((sig.expiration &- sig.inception) / 10, 3600), 86400)
    }

    /// Why `sig` cannot be used for the RRset `set` in `zone` at `now` (RFC 1982 serial time), or nil when its fields
    /// agree and its key may be looked up: signer is the zone and an ancestor of the owner, labels not above the
    /// owner's, validity window (with the allowed skew) containing now.
    static func fieldFailure(
        _ sig: RRSIGData, over set: RRset, zone: DNSName, now: UInt32, clockSkew: UInt32?
    ) -> Reason? {
        let what = "\(set.name) \(set.type)"
        guard sig.signerName == zone else {
            return Reason(.badSigner, "RRSIG over \(what) names signer \(sig.signerName), but the zone is \(zone)")
        }
        guard set.name.isSubdomain(of: sig.signerName) else {
            return Reason(.badSigner, "RRSIG signer \(sig.signerName) is not an ancestor of \(set.name)")
        }
        let owner = ownerLabels(set.name)
        guard Int(sig.labels) <= owner else {
            return Reason(.signatureInvalid, "RRSIG over \(what) has labels \(sig.labels) > \(owner)")
        }
        let skew = allowedSkew(sig, configured: clockSkew)
        guard SerialTime.lessOrEqual(sig.inception, now &+ skew) else {
            return Reason(
                .signatureNotYetValid,
                "RRSIG over \(what) by \(zone)/\(sig.algorithm)/\(sig.keyTag) is not valid before "
                    + "\(DNSTime.iso8601(UInt64(sig.inception))) (now \(DNSTime.iso8601(UInt64(now))), allowed skew "
                    + "\(skew) s)"
            )
        }
        guard SerialTime.lessOrEqual(now &- skew, sig.expiration) else {
            return Reason(
                .signatureExpired,
                "RRSIG over \(what) by \(zone)/\(sig.algorithm)/\(sig.keyTag) expired at "
                    + "\(DNSTime.iso8601(UInt64(sig.expiration))) (now \(DNSTime.iso8601(UInt64(now))), allowed skew "
                    + "\(skew) s)"
            )
        }
        return nil
    }

    /// RFC 4034 §3.1.3: fewer RRSIG labels than the owner has means a wildcard expansion; returns the labels then.
    static func wildcardLabels(_ sig: RRSIGData, owner: DNSName) -> Int? {
        Int(sig.labels) < ownerLabels(owner) ? Int(sig.labels) : nil
    }

    /// The zone keys that may have made `sig` (key tag and algorithm agree), REVOKEd ones set apart: RFC 5011 §2.1
    /// forbids using them, and a signature by one is reported as such. `keys` come in canonical order.
    static func candidateKeys(
        for sig: RRSIGData, in keys: [TrustedKey]
    ) -> (usable: [TrustedKey], revoked: [TrustedKey]) {
        let named = keys.filter { $0.tag == sig.keyTag && $0.data.algorithm == sig.algorithm }
        return (named.filter { !$0.isRevoked }, named.filter(\.isRevoked))
    }

    /// RFC 4035 §5.3.3: the TTL of accepted data is capped by each RRSIG's original TTL and by the time left until it
    /// expires.
    static func cappedTTL(_ set: RRset, _ sigs: [RRSIGData], now: UInt32) -> UInt32 {
        var ttl = set.ttl
        for s in sigs {
            ttl = min(ttl, s.originalTTL)
            let left = Int64(Int32(bitPattern: s.expiration &- now))
            ttl = min(ttl, UInt32(max(0, left)))
        }
        return ttl
    }
}
