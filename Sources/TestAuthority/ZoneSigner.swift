import DNSCrypto
import DNSModel

/// How a zone proves non-existence.
public enum Denial: Sendable, Hashable {
    case nsec
    case nsec3(iterations: UInt16, salt: [UInt8], optOut: Bool)
}

/// The keys of one signed zone: a KSK (flags 257) signing the DNSKEY RRset and a ZSK (flags 256) signing the rest.
public struct ZoneKeys: Sendable {
    public let ksk: SigningKey
    public let zsk: SigningKey
    public init(
        algorithm: UInt8, rsaBits: UInt16 = 2048, kskFlags: UInt16 = 257, zskFlags: UInt16 = 256
    ) throws(CryptoError) {
        ksk = try SigningKey(algorithm: algorithm, flags: kskFlags, bits: rsaBits)
        zsk = try SigningKey(algorithm: algorithm, flags: zskFlags, bits: rsaBits)
    }
}

/// The DS RDATA for a DNSKEY (RFC 4034 §5.1.4): digest over the owner's canonical wire form and the DNSKEY RDATA.
public func makeDS(owner: DNSName, dnskeyRDATA: [UInt8], digestType: UInt8 = 2) -> DSData {
    let digest: [UInt8]
    switch DigestAlgorithm(dsDigestType: digestType) {
    case .some(let alg): digest = alg.hash(owner.lowercased.wire + dnskeyRDATA)
    case .none: digest = SecureRandom.bytes(32)
    }
    let algorithm = dnskeyRDATA.count > 3 ? dnskeyRDATA[3] : 0
    return DSData(
        keyTag: DNSKEYData.keyTag(rdata: dnskeyRDATA), algorithm: algorithm, digestType: digestType,
        digest: digest)
}

/// One zone of the test hierarchy, signed (or not) and ready to be served.
public struct SignedZone: Sendable {
    public let apex: DNSName
    public internal(set) var rrsets: [RRsetKey: RRset] = [:]
    /// RRSIG records by the RRset they cover.
    public internal(set) var signatures: [RRsetKey: [ResourceRecord]] = [:]
    /// Every name that exists in the zone, empty non-terminals included (glue excluded).
    public internal(set) var names: Set<DNSName> = []
    /// Delegation points below the apex.
    public internal(set) var cuts: Set<DNSName> = []
    public let denial: Denial?
    public let keys: ZoneKeys?
    /// Sorted NSEC owners (NSEC zones).
    var nsecOwners: [DNSName] = []
    /// Sorted NSEC3 (hash, owner) pairs (NSEC3 zones).
    var nsec3Chain: [(hash: [UInt8], owner: DNSName)] = []
    public let negativeTTL: UInt32
    public let inception: UInt32
    public let expiration: UInt32

    /// Behaviour switches for deliberately broken answers that cannot be expressed as zone data.
    public var forgeDenial = false
    public var omitWildcardProof = false
    /// Serve the DNSKEY RRset in a fresh random order for every response (as unbound does).
    public var shuffleDNSKEYs = false
    /// DS questions for these names (answered by this zone) get REFUSED, like a broken server behind a resolver.
    public var refusedDSQuestions: Set<DNSName> = []

    public var isSigned: Bool { keys != nil }

    /// Sign `records` (SOA, NS, data, delegations with their DS and glue) as zone `apex`. Unsigned when `keys` is nil.
    public init(
        apex: DNSName, records: [ResourceRecord], keys: ZoneKeys?, denial: Denial?,
        inception: UInt32, expiration: UInt32, extraDNSKEYs: [[UInt8]] = []
    ) throws(CryptoError) {
        self.apex = apex
        self.keys = keys
        self.denial = keys == nil ? nil : denial
        self.inception = inception
        self.expiration = expiration
        var all = records
        if let keys {
            for rdata in [keys.ksk.dnskeyRDATA, keys.zsk.dnskeyRDATA] + extraDNSKEYs {
                all.append(ResourceRecord(name: apex, type: .dnskey, ttl: 3600, rdata: rdata))
            }
        }
        let soa = all.first { $0.type == .soa && $0.name == apex }
        if case .soa(let s)? = try? soa?.parsed() { negativeTTL = min(s.minimum, soa!.ttl) } else { negativeTTL = 300 }
        for set in RRset.group(all) { rrsets[RRsetKey(name: set.name, type: set.type)] = set }
        cuts = Set(rrsets.keys.filter { $0.type == .ns && $0.name != apex }.map(\.name))
        for key in rrsets.keys where !isGlue(key.name) {
            var n = key.name
            while n != apex, n.isSubdomain(of: apex) {
                names.insert(n)
                guard let p = n.parent else { break }
                n = p
            }
            names.insert(apex)
        }
        guard let keys else { return }
        switch denial {
        case .nsec?: try buildNSEC()
        case .nsec3(let iterations, let salt, let optOut)?:
            try buildNSEC3(iterations: iterations, salt: salt, optOut: optOut)
        case nil: break
        }
        for (key, set) in rrsets where shouldSign(key) {
            signatures[key] = [try sign(set, with: key.type == .dnskey ? keys.ksk : keys.zsk)]
        }
    }

    /// Whether a name lies strictly below a delegation point (glue or occluded data).
    func isGlue(_ name: DNSName) -> Bool {
        cuts.contains { name != $0 && name.isSubdomain(of: $0) }
    }

    func shouldSign(_ key: RRsetKey) -> Bool {
        if isGlue(key.name) { return false }
        if cuts.contains(key.name) { return key.type == .ds || key.type == .nsec }
        return true
    }

    /// Sign one RRset with a key, with the zone's validity window unless told otherwise.
    public func sign(
        _ set: RRset, with key: SigningKey, signer: DNSName? = nil, inception: UInt32? = nil,
        expiration: UInt32? = nil
    ) throws(CryptoError) -> ResourceRecord {
        let wire = try key.sign(
            records: set.records.map(\.wire), signer: (signer ?? apex).wire,
            inception: inception ?? self.inception, expiration: expiration ?? self.expiration)
        do { return try ResourceRecord(wire: wire) } catch {
            throw .library("ldns produced an unreadable RRSIG: \(error)")
        }
    }

    private func types(at name: DNSName) -> [RRType] {
        rrsets.keys.filter { $0.name == name }.map(\.type)
    }

    private mutating func buildNSEC() throws(CryptoError) {
        let owners = names.filter { n in rrsets.keys.contains { $0.name == n } }.sorted()
        nsecOwners = owners
        for (i, owner) in owners.enumerated() {
            let next = owners[(i + 1) % owners.count]
            let bitmap = TypeBitmap(types(at: owner) + [.nsec, .rrsig])
            let rr = ResourceRecord(name: owner, ttl: negativeTTL, .nsec(NSECData(nextName: next, types: bitmap)))
            rrsets[RRsetKey(name: owner, type: .nsec)] = RRset(
                name: owner, type: .nsec, ttl: negativeTTL, rdatas: [rr.rdata])
        }
    }

    private mutating func buildNSEC3(iterations: UInt16, salt: [UInt8], optOut: Bool) throws(CryptoError) {
        let param = RData.nsec3param(NSEC3PARAMData(hashAlgorithm: 1, flags: 0, iterations: iterations, salt: salt))
        rrsets[RRsetKey(name: apex, type: .nsec3param)] = RRset(
            name: apex, type: .nsec3param, ttl: 0, rdatas: [param.wire])
        var chain: [(hash: [UInt8], owner: DNSName)] = []
        for name in names {
            let here = types(at: name)
            if optOut, cuts.contains(name), !here.contains(.ds) { continue }
            chain.append(
                (NSEC3Hash.hash(canonicalName: name.lowercased.wire, salt: salt, iterations: Int(iterations)), name))
        }
        chain.sort { $0.hash.lexicographicallyPrecedes($1.hash) }
        nsec3Chain = chain
        for (i, entry) in chain.enumerated() {
            let next = chain[(i + 1) % chain.count].hash
            var here = types(at: entry.owner)
            let insecureCut = cuts.contains(entry.owner) && !here.contains(.ds)
            if !here.isEmpty && !insecureCut { here.append(.rrsig) }
            let data = NSEC3Data(
                hashAlgorithm: 1, flags: optOut ? 1 : 0, iterations: iterations, salt: salt,
                nextHashedOwner: next, types: TypeBitmap(here))
            let owner = hashedOwner(entry.hash)
            rrsets[RRsetKey(name: owner, type: .nsec3)] = RRset(
                name: owner, type: .nsec3, ttl: negativeTTL,
                rdatas: [RData.nsec3(data).wire])
        }
    }

    func hashedOwner(_ hash: [UInt8]) -> DNSName {
        (try? apex.prepending(Array(TextEncoding.base32hex(hash).lowercased().utf8))) ?? apex
    }

    // MARK: Mutations used to build deliberately broken variants.

    /// Replace an RRset's signatures by ones made with a different window (expired / not yet valid).
    public mutating func resign(_ key: RRsetKey, inception: UInt32, expiration: UInt32) throws(CryptoError) {
        guard let set = rrsets[key], let keys else { return }
        signatures[key] = [
            try sign(
                set, with: key.type == .dnskey ? keys.ksk : keys.zsk,
                inception: inception, expiration: expiration)
        ]
    }

    /// Change one octet of every RDATA of an RRset after signing.
    public mutating func tamper(_ key: RRsetKey) {
        guard var set = rrsets[key] else { return }
        set.rdatas = set.rdatas.map { r in
            var r = r; if let last = r.indices.last { r[last] ^= 0x01 }; return r
        }
        rrsets[key] = set
    }

    /// Remove the signatures over an RRset.
    public mutating func strip(_ key: RRsetKey) { signatures[key] = nil }

    /// Replace an RRset's signatures by ones made by another zone's key and signer name.
    public mutating func resign(_ key: RRsetKey, with other: SigningKey, signer: DNSName) throws(CryptoError) {
        guard let set = rrsets[key] else { return }
        signatures[key] = [try sign(set, with: other, signer: signer)]
    }

    /// Replace an RRset's signatures by a list of records (KeyTrap-style floods).
    public mutating func setSignatures(_ key: RRsetKey, _ sigs: [ResourceRecord]) { signatures[key] = sigs }

    /// Remove every signature, DNSKEY and denial record: the zone is served unsigned.
    public mutating func stripAllDNSSEC() {
        signatures = [:]
        for key in rrsets.keys where [.dnskey, .nsec, .nsec3, .nsec3param].contains(key.type) { rrsets[key] = nil }
    }

    /// Add or replace an RRset (signed with the ZSK when the zone is signed and `sign` is true).
    public mutating func put(_ set: RRset, sign: Bool = true) throws(CryptoError) {
        let key = RRsetKey(name: set.name, type: set.type)
        rrsets[key] = set
        if sign, let keys { signatures[key] = [try self.sign(set, with: set.type == .dnskey ? keys.ksk : keys.zsk)] }
    }
}
