import Testing

@testable import DNSModel

@Suite("Canonical form (RFC 4034 §6)")
struct CanonicalTests {
    @Test func ownerIsLowerCasedInCanonicalRecordWire() throws {
        let wire = Canonical.recordWire(
            owner: try dn("WWW.Example.COM."), type: .a, rrClass: .in, originalTTL: 3600,
            canonicalRData: [192, 0, 2, 1])
        #expect(wire == wireName("www", "example", "com") + [0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, 1])
    }

    @Test func nsMxSoaRDataNamesAreLowerCased() throws {
        let ns = RData.ns(try dn("NS1.Example.COM.")).wire
        #expect(Canonical.rdata(type: .ns, ns) == wireName("ns1", "example", "com"))

        let mx = RData.mx(preference: 0x0102, exchange: try dn("MAIL.Example.")).wire
        #expect(Canonical.rdata(type: .mx, mx) == [1, 2] + wireName("mail", "example"))

        let soa = RData.soa(
            SOAData(
                mname: try dn("NS.EXAMPLE."), rname: try dn("HostMaster.Example."), serial: 0x0A0B0C0D,
                refresh: 1, retry: 2, expire: 3, minimum: 0x41424344)
        ).wire
        #expect(
            Canonical.rdata(type: .soa, soa) == wireName("ns", "example") + wireName("hostmaster", "example")
                + [0x0A, 0x0B, 0x0C, 0x0D, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x41, 0x42, 0x43, 0x44],
            "the numbers (0x41… looks like 'ABCD') must not be touched")

        let cname = RData.cname(try dn("Target.EXAMPLE.")).wire
        #expect(Canonical.rdata(type: .cname, cname) == wireName("target", "example"))
        let ptr = RData.ptr(try dn("Host.EXAMPLE.")).wire
        #expect(Canonical.rdata(type: .ptr, ptr) == wireName("host", "example"))
        let dname = RData.dname(try dn("Other.EXAMPLE.")).wire
        #expect(Canonical.rdata(type: .dname, dname) == wireName("other", "example"))

        // SRV: priority, weight, port, then the target.
        let srv: [UInt8] = [0, 1, 0, 2, 0x41, 0x42] + [3] + ascii("SRV") + [0]
        #expect(Canonical.rdata(type: .srv, srv) == [0, 1, 0, 2, 0x41, 0x42] + [3] + ascii("srv") + [0])
        // RRSIG signer name.
        let rrsig = RRSIGData(
            typeCovered: .a, algorithm: 8, labels: 2, originalTTL: 60, expiration: 2, inception: 1,
            keyTag: 7, signerName: try dn("EXAMPLE."), signature: ascii("SIG"))
        #expect(
            Canonical.rdata(type: .rrsig, RData.rrsig(rrsig).wire)
                == [0, 1, 8, 2, 0, 0, 0, 60, 0, 0, 0, 2, 0, 0, 0, 1, 0, 7] + wireName("example") + ascii("SIG"))
    }

    @Test func nsecNextNameKeepsItsCase() throws {
        // RFC 6840 §5.1: NSEC is not in the RFC 4034 §6.2 list after all.
        let nsec = RData.nsec(NSECData(nextName: try dn("Host.Example."), types: TypeBitmap([.a]))).wire
        #expect(Canonical.rdata(type: .nsec, nsec) == nsec)
        #expect(Canonical.rdata(type: .nsec, nsec).starts(with: [4] + ascii("Host")))
    }

    @Test func otherTypesAreUntouched() throws {
        let txt = RData.txt([ascii("UPPER")]).wire
        #expect(Canonical.rdata(type: .txt, txt) == txt)
        let key = RData.dnskey(DNSKEYData(flags: 257, algorithm: 13, publicKey: ascii("ABCDEF"))).wire
        #expect(Canonical.rdata(type: .dnskey, key) == key)
        let ipsec = RData.ipseckey(
            IPSECKEYData(
                precedence: 1, gateway: .name(try dn("GW.Example.")), algorithm: 2,
                publicKey: [1])
        ).wire
        #expect(Canonical.rdata(type: .ipseckey, ipsec) == ipsec)
    }

    @Test func sortedUniqueOrdersByOctetsAndDropsDuplicates() {
        let input: [[UInt8]] = [[3], [1, 2, 0], [1, 2], [0xFF], [1, 2], [1], [3], [0, 0xFF, 0xFF]]
        #expect(Canonical.sortedUnique(input) == [[0, 0xFF, 0xFF], [1], [1, 2], [1, 2, 0], [3], [0xFF]])
        #expect(Canonical.sortedUnique([]) == [])
        // A records compare octet by octet: 192.0.2.9 before 192.0.2.10, and 10.0.0.1 first.
        #expect(
            Canonical.sortedUnique([[192, 0, 2, 10], [192, 0, 2, 9], [10, 0, 0, 1]])
                == [[10, 0, 0, 1], [192, 0, 2, 9], [192, 0, 2, 10]])
    }

    @Test func duplicatesAfterLowerCasingCollapse() throws {
        // NS example.com and NS EXAMPLE.com are the same RR in canonical form.
        let set = RRset(
            name: try dn("zone."), type: .ns, ttl: 60,
            rdatas: [RData.ns(try dn("A.Example.")).wire, RData.ns(try dn("a.example.")).wire])
        let rrsig = RRSIGData(
            typeCovered: .ns, algorithm: 13, labels: 1, originalTTL: 60, expiration: 2, inception: 1,
            keyTag: 1, signerName: try dn("zone."), signature: [0])
        let data = Canonical.signedData(rrsig: rrsig, signedOwner: try dn("zone."), rrset: set)
        let one = Canonical.recordWire(
            owner: try dn("zone."), type: .ns, rrClass: .in, originalTTL: 60,
            canonicalRData: wireName("a", "example"))
        #expect(data == rrsig.signedPrefix + one)
    }

    @Test func signedDataLayout() throws {
        let rrsig = RRSIGData(
            typeCovered: .a, algorithm: 8, labels: 3, originalTTL: 3600, expiration: 0x6A05_4C80,
            inception: 0x6AB7_0000, keyTag: 0x3039, signerName: try dn("EXAMPLE."),
            signature: [0xDE, 0xAD, 0xBE, 0xEF])
        // Members out of order, one duplicated, TTL differing from the original TTL.
        let set = RRset(
            name: try dn("WWW.example."), type: .a, ttl: 300,
            rdatas: [[192, 0, 2, 2], [192, 0, 2, 1], [192, 0, 2, 2]])
        let data = Canonical.signedData(rrsig: rrsig, signedOwner: set.name, rrset: set)
        let prefix: [UInt8] =
            [0, 1, 8, 3, 0, 0, 0x0E, 0x10, 0x6A, 0x05, 0x4C, 0x80, 0x6A, 0xB7, 0, 0, 0x30, 0x39]
            + wireName("example")
        let owner = wireName("www", "example")
        let expected =
            prefix
            + owner + [0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, 1]
            + owner + [0, 1, 0, 1, 0, 0, 0x0E, 0x10, 0, 4, 192, 0, 2, 2]
        #expect(rrsig.signedPrefix == prefix)
        #expect(data == expected)
        #expect(
            data.starts(with: Array(RData.rrsig(rrsig).wire.dropLast(4)).map { $0 }) == false,
            "the prefix uses the lower-cased signer, the RDATA keeps EXAMPLE")
        #expect(!data.contains(0xDE), "the signature itself is not signed")
    }

    @Test func signedOwnerForWildcards() throws {
        let owner = try dn("a.b.example.")
        #expect(Canonical.signedOwner(owner: owner, rrsigLabels: 3) == owner)
        #expect(Canonical.signedOwner(owner: owner, rrsigLabels: 2) == (try dn("*.b.example.")))
        #expect(Canonical.signedOwner(owner: owner, rrsigLabels: 1) == (try dn("*.example.")))
        #expect(Canonical.signedOwner(owner: owner, rrsigLabels: 0) == (try dn("*.")))
        #expect(Canonical.signedOwner(owner: owner, rrsigLabels: 4) == nil)
        // RFC 4034 §3.1.3: the leading "*" does not count.
        let wild = try dn("*.example.")
        #expect(Canonical.signedOwner(owner: wild, rrsigLabels: 1) == wild)
    }

    @Test func rrsetGrouping() throws {
        let a = try dn("a.example."), b = try dn("B.example.")
        let recs = [
            ResourceRecord(name: a, ttl: 300, .a([1, 1, 1, 1])),
            ResourceRecord(name: b, ttl: 60, .a([2, 2, 2, 2])),
            ResourceRecord(name: try dn("A.EXAMPLE."), ttl: 100, .a([1, 1, 1, 2])),
            ResourceRecord(name: a, ttl: 300, .a([1, 1, 1, 1])),
            ResourceRecord(name: a, ttl: 300, .aaaa(Samples.ipv6)),
        ]
        let sets = RRset.group(recs)
        #expect(sets.count == 3)
        #expect(sets[0].rdatas == [[1, 1, 1, 1], [1, 1, 1, 2]])
        #expect(sets[0].ttl == 100)
        #expect(sets[1].name == b && sets[1].type == .a)
        #expect(sets[2].type == .aaaa)
    }
}
