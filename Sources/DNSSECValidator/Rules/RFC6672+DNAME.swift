import DNSModel

/// RFC 6672 §2.2: DNAME substitution. Pure functions.
enum DNAMERules {
    /// The name `name` becomes through a DNAME at `owner` pointing at `target`: the labels of `name` below `owner`
    /// followed by `target`. nil when `name` is not strictly below `owner` (a DNAME does not apply to its own owner)
    /// or the result would exceed 255 octets (RFC 6672 §2.2: YXDOMAIN, for us a malformed answer).
    static func substitute(_ name: DNSName, owner: DNSName, target: DNSName) -> DNSName? {
        guard name != owner, name.isSubdomain(of: owner) else { return nil }
        let keep = name.labelCount - owner.labelCount
        let labels = name.labels.prefix(keep).map(Array.init) + target.labels.map(Array.init)
        return try? DNSName(labels: labels)
    }
}
