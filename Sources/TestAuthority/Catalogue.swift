import DNSCrypto
import DNSModel

#if canImport(Glibc)
import Glibc
#endif

/// Errors while building the test hierarchy.
public struct TestAuthorityError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}

/// The private signed hierarchy described in Docs/TestAuthority.md, built in memory with fresh keys.
public struct TestHierarchy: Sendable {
    public let engine: AnswerEngine
    /// The private root's trust anchor as DS records (SHA-256 over the root KSK).
    public let rootDS: [ResourceRecord]
    /// The private root's KSK as a DNSKEY record.
    public let rootKSK: ResourceRecord
    /// The time the signatures are built around (unix seconds).
    public let now: UInt32

    /// Zone-file lines of the root DS anchor.
    public var dsAnchorText: String { rootDS.map(\.description).joined(separator: "\n") + "\n" }

    /// The anchor in IANA's RFC 7958 XML format.
    public var anchorXML: String {
        var s =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TrustAnchor id=\"TEST\" "
            + "source=\"ipseckey-testbed\">\n<Zone>.</Zone>\n"
        for ds in rootDS {
            guard case .ds(let d)? = try? ds.parsed() else { continue }
            s += "<KeyDigest id=\"test-\(d.keyTag)\" validFrom=\"2000-01-01T00:00:00+00:00\">\n"
            s += "<KeyTag>\(d.keyTag)</KeyTag>\n<Algorithm>\(d.algorithm)</Algorithm>\n"
            s += "<DigestType>\(d.digestType)</DigestType>\n"
            s += "<Digest>\(TextEncoding.hex(d.digest, uppercase: true))</Digest>\n</KeyDigest>\n"
        }
        return s + "</TrustAnchor>\n"
    }

    private static let cache = HierarchyCache()

    /// One hierarchy per process, built on first use (key generation takes a few seconds).
    public static func shared() async throws -> TestHierarchy { try await cache.get() }

    /// Build a new hierarchy with signatures valid from `now - 1 h` to `now + 30 d`. `extra` records (absolute
    /// owner names) are added to the zone that holds their owner and signed with it; the IPSECKEY RRsets at the
    /// `tamper` names are changed after signing (bogus), as a forged answer would be.
    public static func build(
        now: UInt32 = UInt32(time(nil)), extra: [ResourceRecord] = [],
        tamper: [DNSName] = []
    ) throws -> TestHierarchy {
        var b = try Builder(now: now)
        b.extra = extra
        b.tamper = tamper
        return try b.build()
    }

    init(engine: AnswerEngine, rootDS: [ResourceRecord], rootKSK: ResourceRecord, now: UInt32) {
        self.engine = engine; self.rootDS = rootDS; self.rootKSK = rootKSK; self.now = now
    }
}

actor HierarchyCache {
    var task: Task<TestHierarchy, Error>?
    func get() async throws -> TestHierarchy {
        if let task { return try await task.value }
        let t = Task { try TestHierarchy.build() }
        task = t
        return try await t.value
    }
}

/// Builds zones bottom-up: each child is signed first so its DS can go into the parent.
struct Builder {
    let now: UInt32
    var inception: UInt32 { now &- 3600 }
    var expiration: UInt32 { now &+ 30 * 86400 }
    let day: UInt32 = 86400

    /// A zone to build, with its children.
    struct Def {
        var name: String
        var algorithm: UInt8?
        var denial: Denial = .nsec
        var text: String = ""
        var standard = true
        var children: [Def] = []
        /// DS digest types to publish in the parent.
        var digests: [UInt8] = [2]
        var kskFlags: UInt16 = 257
        var zskFlags: UInt16 = 256
        /// Further (honest, unused) ZSKs published in the DNSKEY RRset.
        var extraZSKs = 0
        /// Serve the DNSKEY RRset in random order.
        var shuffleKeys = false
        /// DS records of an unsupported digest type (3) published in the parent before the real one.
        var unusableDSFirst = 0
        /// Names whose DS question (answered by this zone) gets REFUSED.
        var refuseDS: [String] = []
        var rsaBits: UInt16 = 2048
        /// Post-signing change (broken variants).
        var breakage: Breakage = .none
    }

    enum Breakage {
        case none, expired, future, tampered, stripped, dsMismatch, wrongSigner, kskOnlyMissing, forgedDenial
        case noWildcardProof, keyTrap, bogusUnsigned, unsupportedAlgorithm, unsupportedDigest, sha1Ignored
    }

    // Key material reused in IPSECKEY records.
    let rsaKey: [UInt8]
    let p256Key: [UInt8]
    let p384Key: [UInt8]
    let ed25519Key: [UInt8]
    let ed448Key: [UInt8]
    /// Records added by the caller, each to the zone that holds its owner.
    var extra: [ResourceRecord] = []
    /// Owners whose IPSECKEY RRset is changed after signing.
    var tamper: [DNSName] = []

    init(now: UInt32) throws {
        self.now = now
        func pub(_ k: SigningKey) -> [UInt8] { Array(k.dnskeyRDATA.dropFirst(4)) }
        rsaKey = pub(try SigningKey(algorithm: 8, flags: 256, bits: 2048))
        p256Key = pub(try SigningKey(algorithm: 13, flags: 256))
        p384Key = pub(try SigningKey(algorithm: 14, flags: 256))
        ed25519Key = pub(try SigningKey(algorithm: 15, flags: 256))
        ed448Key = pub(try SigningKey(algorithm: 16, flags: 256))
    }

    func b64(_ k: [UInt8]) -> String { TextEncoding.base64(k) }

    func standardText(_ zone: String) -> String {
        """
        gw 3600 IN IPSECKEY 10 1 2 192.0.2.38 \(b64(rsaKey))
        gw 3600 IN IPSECKEY 20 2 2 2001:db8:0:8002::2000:1 \(b64(rsaKey))
        www 3600 IN A 192.0.2.10
        www 3600 IN AAAA 2001:db8::10
        """
    }

    func catalogue() -> Def {
        let secure: (String, UInt8) -> Def = { name, alg in Def(name: name, algorithm: alg) }
        var ecdsa256 = secure("ecdsa256.test.", 13)
        var dsaKey: [UInt8] = [0] + SecureRandom.bytes(20 + 64 * 3)
        dsaKey[1] |= 0x80; dsaKey[21] |= 0x80
        var big = ""
        for i in 0..<16 { big += "big 3600 IN IPSECKEY \(10 + i) 1 2 192.0.2.\(i + 1) \(b64(rsaKey))\n" }
        ecdsa256.text = """
            gw-none IN IPSECKEY 10 0 2 . \(b64(rsaKey))
            gw-v4 IN IPSECKEY 10 1 2 192.0.2.38 \(b64(rsaKey))
            gw-v6 IN IPSECKEY 10 2 2 2001:db8:0:8002::2000:1 \(b64(rsaKey))
            gw-name IN IPSECKEY 10 3 2 gw.ecdsa256.test. \(b64(rsaKey))
            key-rsa IN IPSECKEY 10 1 2 192.0.2.38 \(b64(rsaKey))
            key-ecdsa256 IN IPSECKEY 10 1 3 192.0.2.38 \(b64(p256Key))
            key-ecdsa384 IN IPSECKEY 10 1 3 192.0.2.38 \(b64(p384Key))
            key-ed25519 IN IPSECKEY 10 1 4 192.0.2.38 \(b64(ed25519Key))
            key-ed448 IN IPSECKEY 10 1 4 192.0.2.38 \(b64(ed448Key))
            key-dsa IN IPSECKEY 10 1 1 192.0.2.38 \(b64(dsaKey))
            key-none IN IPSECKEY 10 1 0 192.0.2.38
            key-unknown IN IPSECKEY 10 1 200 192.0.2.38 AQIDBA==
            key-bad-ecdsa IN IPSECKEY 10 1 3 192.0.2.38 \(b64(Array(p256Key.prefix(50))))
            \(big)
            """
        var sub = secure("sub.ecdsa256.test.", 15)
        sub.text = "gw.a.b 3600 IN IPSECKEY 10 1 4 192.0.2.38 \(b64(ed25519Key))\n"
        ecdsa256.children = [sub]

        var nsec = secure("nsec.test.", 13)
        var chain = ""
        for i in 1...12 { chain += "chain\(i) IN CNAME \(i == 12 ? "gw.ecdsa256.test." : "chain\(i + 1)")\n" }
        nsec.text = """
            *.wild IN IPSECKEY 10 1 4 192.0.2.38 \(b64(ed25519Key))
            host IN A 192.0.2.20
            cname IN CNAME gw.ecdsa256.test.
            cname-insecure IN CNAME gw.unsigned.test.
            cname-bogus IN CNAME gw.tampered.test.
            cname-nx IN CNAME nxdomain.ecdsa256.test.
            loop1 IN CNAME loop2
            loop2 IN CNAME loop1
            alias IN DNAME ed25519.test.
            \(chain)
            """
        var nsec3 = Def(
            name: "nsec3.test.", algorithm: 13,
            denial: .nsec3(iterations: 0, salt: [0xaa, 0xbb, 0xcc, 0xdd], optOut: false))
        nsec3.text = "*.wild IN IPSECKEY 10 1 4 192.0.2.38 \(b64(ed25519Key))\nhost IN A 192.0.2.20\n"
        var optout = Def(name: "optout.test.", algorithm: 13, denial: .nsec3(iterations: 0, salt: [], optOut: true))
        optout.children = [Def(name: "insecure.optout.test.", algorithm: nil)]
        // A wildcard that has no IPSECKEY (wildcard NODATA in an opt-out span) and a delegation whose child is not
        // served (NODATA from the parent, proven only by the opt-out span).
        optout.text = "*.wild IN A 192.0.2.90\nnochild IN NS ns.nochild.invalid.\n"
        // rate.nsec.test. CNAME to the apex of a separately signed child zone that holds the record asked for.
        var dev = secure("dev.nsec.test.", 15)
        dev.text = "@ 3600 IN IPSECKEY 10 1 4 192.0.2.77 \(b64(ed25519Key))\n"
        nsec.children = [dev]
        nsec.text += "rate IN CNAME dev.nsec.test.\n"
        // Wildcard and deep names whose DS questions below the signer the upstream refuses.
        var refuse = secure("refuse-ds.test.", 13)
        refuse.text =
            "*.wild IN IPSECKEY 10 1 4 192.0.2.38 \(b64(ed25519Key))\ngw.a.b IN IPSECKEY 10 1 4 192.0.2.38 "
            + "\(b64(ed25519Key))\n"
        refuse.refuseDS = ["wild.refuse-ds.test.", "b.refuse-ds.test.", "a.b.refuse-ds.test."]
        // 40 honest keys served in random order; a DS set of 40 whose only usable record is the last.
        var manyKeys = secure("manykeys.test.", 13); manyKeys.extraZSKs = 38; manyKeys.shuffleKeys = true
        var manyDS = secure("manyds.test.", 13); manyDS.unusableDSFirst = 39
        // A zone whose ZSK (the key signing its data) has the REVOKE bit.
        var revokedZSK = secure("revoked-zsk.test.", 13); revokedZSK.zskFlags = 256 | 0x80
        // A signed zone below an unsigned one, without a DS there: validatable only from its own trust anchor.
        let island = Def(name: "island.unsigned.test.", algorithm: 13, digests: [])
        func broken(_ name: String, _ b: Breakage, alg: UInt8 = 13) -> Def {
            var d = Def(name: name, algorithm: alg); d.breakage = b; return d
        }
        var nowild = broken("nowildproof.test.", .noWildcardProof)
        nowild.text = "*.nowildproof.test. IN IPSECKEY 10 1 4 192.0.2.38 \(b64(ed25519Key))\n"
        var revoked = secure("revoked.test.", 13); revoked.kskFlags = 257 | 0x80
        var sha1 = secure("ds-sha1.test.", 13); sha1.digests = [1]
        var sha384 = secure("ds-sha384.test.", 13); sha384.digests = [4]
        var keytrap = broken("keytrap.test.", .keyTrap, alg: 8); keytrap.rsaBits = 1024

        let test = Def(
            name: "test.", algorithm: 13, denial: .nsec3(iterations: 0, salt: [], optOut: false),
            children: [
                secure("rsasha1.test.", 5),
                Def(name: "rsasha1-nsec3.test.", algorithm: 7, denial: .nsec3(iterations: 0, salt: [], optOut: false)),
                secure("rsasha256.test.", 8), secure("rsasha512.test.", 10), ecdsa256, secure("ecdsa384.test.", 14),
                secure("ed25519.test.", 15), secure("ed448.test.", 16), sha1, sha384,
                broken("ds-sha1-ignored.test.", .sha1Ignored), nsec, nsec3, optout,
                Def(name: "unsigned.test.", algorithm: nil, children: [island]),
                refuse, manyKeys, manyDS, revokedZSK,
                broken("unsupported-alg.test.", .unsupportedAlgorithm),
                broken("unsupported-digest.test.", .unsupportedDigest),
                Def(
                    name: "nsec3-iter.test.", algorithm: 13,
                    denial: .nsec3(iterations: 200, salt: [1, 2], optOut: false)),
                broken("expired.test.", .expired), broken("future.test.", .future), broken("tampered.test.", .tampered),
                broken("stripped.test.", .stripped), broken("dsmismatch.test.", .dsMismatch),
                broken("wrongsigner.test.", .wrongSigner), broken("kskonly-missing.test.", .kskOnlyMissing),
                broken("forged-denial.test.", .forgedDenial), nowild, keytrap,
                broken("bogus-unsigned.test.", .bogusUnsigned), revoked,
            ])
        var rev4 = secure("2.0.192.in-addr.arpa.", 8)
        rev4.text = """
            38 7200 IN IPSECKEY ( 10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
            38 7200 IN IPSECKEY ( 10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
            38 7200 IN IPSECKEY ( 10 1 2 192.0.2.3 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
            38 7200 IN IPSECKEY ( 10 3 2 mygateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
            38 7200 IN IPSECKEY ( 10 2 2 2001:0DB8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
            10 3600 IN IPSECKEY 10 1 4 192.0.2.10 \(b64(ed25519Key))
            """
        var rev6 = secure("8.b.d.0.1.0.0.2.ip6.arpa.", 15)
        rev6.text =
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 3600 IN IPSECKEY 10 2 4 2001:db8::1 \(b64(ed25519Key))\n"
        let arpa = Def(name: "arpa.", algorithm: 13, standard: false, children: [rev4, rev6])
        var root = Def(name: ".", algorithm: 8, children: [test, arpa, Def(name: "insecure.", algorithm: nil)])
        root.standard = false
        return root
    }

    struct Built {
        var zones: [SignedZone]
        var ds: [ResourceRecord]
        var ksk: ResourceRecord?
    }

    func build() throws -> TestHierarchy {
        let root = catalogue()
        var built = try build(root)
        // Wrong signer: the child's IPSECKEY re-signed by test.'s ZSK, naming test. as signer.
        if let ti = built.zones.firstIndex(where: { $0.apex.description == "test." }),
            let wi = built.zones.firstIndex(where: { $0.apex.description == "wrongsigner.test." }),
            let testKeys = built.zones[ti].keys
        {
            let key = RRsetKey(name: try DNSName("gw.wrongsigner.test."), type: .ipseckey)
            try built.zones[wi].resign(key, with: testKeys.zsk, signer: built.zones[ti].apex)
        }
        guard let ksk = built.ksk else { throw TestAuthorityError("root has no KSK") }
        return TestHierarchy(engine: AnswerEngine(zones: built.zones), rootDS: built.ds, rootKSK: ksk, now: now)
    }

    func build(_ def: Def) throws -> Built {
        let apex = try DNSName(def.name)
        var zones: [SignedZone] = []
        var delegation: [ResourceRecord] = []
        for child in def.children {
            let c = try build(child)
            zones += c.zones
            let cname = try DNSName(child.name)
            delegation.append(ResourceRecord(name: cname, ttl: 3600, .ns(try cname.prepending(Array("ns1".utf8)))))
            delegation += c.ds
        }
        var text = """
            @ 3600 IN SOA ns1 hostmaster 2026112601 7200 3600 1209600 300
            @ 3600 IN NS ns1
            ns1 3600 IN A 127.0.0.1
            """ + "\n"
        if def.standard { text += standardText(def.name) + "\n" }
        text += def.text
        var records = try ZoneText.records(text, origin: apex)
        records += delegation
        let cuts = try def.children.map { try DNSName($0.name) }
        let ours = extra.filter { r in r.name.isSubdomain(of: apex) && !cuts.contains { r.name.isSubdomain(of: $0) } }
        records += ours
        var keys: ZoneKeys? = nil
        var extraKeys: [[UInt8]] = []
        if let alg = def.algorithm {
            if def.breakage == .unsupportedAlgorithm {
                // A DNSKEY with private algorithm 253: served unsigned; the DS names only that algorithm.
                extraKeys = []
                let fake = DNSKEYData(flags: 257, algorithm: 253, publicKey: SecureRandom.bytes(64))
                records.append(ResourceRecord(name: apex, ttl: 3600, .dnskey(fake)))
                let zone = try SignedZone(
                    apex: apex, records: records, keys: nil, denial: nil,
                    inception: inception, expiration: expiration)
                let ds = makeDS(owner: apex, dnskeyRDATA: fake.rdata)
                return Built(zones: zones + [zone], ds: [ResourceRecord(name: apex, ttl: 3600, .ds(ds))], ksk: nil)
            }
            keys = try ZoneKeys(algorithm: alg, rsaBits: def.rsaBits, kskFlags: def.kskFlags, zskFlags: def.zskFlags)
            if def.breakage == .keyTrap, let zsk = keys?.zsk {
                extraKeys = Self.collidingKeys(zsk.dnskeyRDATA, count: 40)
            }
            for _ in 0..<def.extraZSKs {
                extraKeys.append(try SigningKey(algorithm: alg, flags: 256, bits: def.rsaBits).dnskeyRDATA)
            }
        }
        var zone = try SignedZone(
            apex: apex, records: records, keys: keys, denial: def.denial,
            inception: inception, expiration: expiration, extraDNSKEYs: extraKeys)
        zone.shuffleDNSKEYs = def.shuffleKeys
        zone.refusedDSQuestions = Set(try def.refuseDS.map { try DNSName($0) })
        let gw = RRsetKey(name: try apex.prepending(Array("gw".utf8)), type: .ipseckey)
        var dsRecords: [ResourceRecord] = []
        if let keys {
            dsRecords = (0..<def.unusableDSFirst).map { _ in
                ResourceRecord(
                    name: apex, ttl: 3600, .ds(makeDS(owner: apex, dnskeyRDATA: keys.ksk.dnskeyRDATA, digestType: 3)))
            }
            dsRecords += def.digests.map {
                ResourceRecord(
                    name: apex, ttl: 3600, .ds(makeDS(owner: apex, dnskeyRDATA: keys.ksk.dnskeyRDATA, digestType: $0)))
            }
        }
        for name in tamper where name.isSubdomain(of: apex) && !cuts.contains(where: { name.isSubdomain(of: $0) }) {
            zone.tamper(RRsetKey(name: name, type: .ipseckey))
        }
        switch def.breakage {
        case .none, .unsupportedAlgorithm: break
        case .expired: try zone.resign(gw, inception: now &- 33 * day, expiration: now &- 3 * day)
        case .future: try zone.resign(gw, inception: now &+ 3 * day, expiration: now &+ 33 * day)
        case .tampered: zone.tamper(gw)
        case .stripped: zone.strip(gw)
        case .dsMismatch:
            let other = try SigningKey(algorithm: 13, flags: 257)
            dsRecords = [
                ResourceRecord(name: apex, ttl: 3600, .ds(makeDS(owner: apex, dnskeyRDATA: other.dnskeyRDATA)))
            ]
        case .wrongSigner: break  // done once the parent's keys exist
        case .kskOnlyMissing:
            if let keys { try zone.resign(RRsetKey(name: apex, type: .dnskey), with: keys.zsk, signer: apex) }
        case .forgedDenial: zone.forgeDenial = true
        case .noWildcardProof: zone.omitWildcardProof = true
        case .keyTrap:
            if let set = zone.rrsets[gw], let real = zone.signatures[gw]?.first,
                case .rrsig(var sig)? = try? real.parsed()
            {
                var flood: [ResourceRecord] = []
                for _ in 0..<40 {
                    sig.signature = SecureRandom.bytes(sig.signature.count)
                    flood.append(ResourceRecord(name: set.name, ttl: set.ttl, .rrsig(sig)))
                }
                zone.setSignatures(gw, flood)
            }
        case .bogusUnsigned: zone.stripAllDNSSEC()
        case .unsupportedDigest:
            dsRecords = [
                ResourceRecord(
                    name: apex, ttl: 3600, .ds(makeDS(owner: apex, dnskeyRDATA: keys!.ksk.dnskeyRDATA, digestType: 3)))
            ]
        case .sha1Ignored:
            var wrong = makeDS(owner: apex, dnskeyRDATA: keys!.ksk.dnskeyRDATA, digestType: 2)
            wrong.digest = SecureRandom.bytes(32)
            dsRecords = [
                ResourceRecord(
                    name: apex, ttl: 3600, .ds(makeDS(owner: apex, dnskeyRDATA: keys!.ksk.dnskeyRDATA, digestType: 1))),
                ResourceRecord(name: apex, ttl: 3600, .ds(wrong)),
            ]
        }
        let ksk = keys.map { ResourceRecord(name: apex, type: .dnskey, ttl: 3600, rdata: $0.ksk.dnskeyRDATA) }
        return Built(zones: zones + [zone], ds: dsRecords, ksk: ksk)
    }

    /// DNSKEY RDATAs that share `rdata`'s key tag but hold different (RSA) public keys: octet pairs of the key are
    /// shifted so that the RFC 4034 Appendix B checksum is unchanged (KeyTrap, CVE-2023-50387).
    static func collidingKeys(_ rdata: [UInt8], count: Int) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var i = 20  // well inside the modulus; even offsets are the high octets of the checksum's 16-bit words
        while out.count < count && i + 2 < rdata.count {
            var r = rdata
            if r[i] < 255 && r[i + 2] > 0 {
                r[i] += 1; r[i + 2] -= 1
                if DNSKEYData.keyTag(rdata: r) == DNSKEYData.keyTag(rdata: rdata) && r != rdata { out.append(r) }
            }
            i += 2
        }
        return out
    }
}
