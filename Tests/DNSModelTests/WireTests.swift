import Testing

@testable import DNSModel

/// Typed RDATA samples shared by the round-trip tests.
enum Samples {
    static let rfc4025Key: [UInt8] = [
        0x01, 0x03, 0x51, 0x53, 0x79, 0x86, 0xED, 0x35, 0x53, 0x3B, 0x60, 0x64, 0x47, 0x8E, 0xEE, 0xB2, 0x7B,
        0x5B, 0xD7, 0x4D, 0xAE, 0x14, 0x9B, 0x6E, 0x81, 0xBA, 0x3A, 0x05, 0x21, 0xAF, 0x82, 0xAB, 0x78, 0x01,
    ]
    static let dsDigest: [UInt8] = [
        0x2B, 0xB1, 0x83, 0xAF, 0x5F, 0x22, 0x58, 0x81, 0x79, 0xA5, 0x3B, 0x0A, 0x98, 0x63, 0x1F, 0xAD, 0x1A,
        0x29, 0x21, 0x18,
    ]
    static let ipv6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]

    static func records() throws -> [ResourceRecord] {
        let www = try dn("www.example.com."), apex = try dn("example.com.")
        return [
            ResourceRecord(name: www, ttl: 300, .a([192, 0, 2, 1])),
            ResourceRecord(name: www, ttl: 300, .aaaa(ipv6)),
            ResourceRecord(name: apex, ttl: 3600, .mx(preference: 10, exchange: try dn("mail.example.com."))),
            ResourceRecord(
                name: apex, ttl: 3600,
                .soa(
                    SOAData(
                        mname: try dn("ns1.example.com."), rname: try dn("hostmaster.example.com."), serial: 2026010101,
                        refresh: 7200, retry: 3600, expire: 1209600, minimum: 300))),
            ResourceRecord(name: apex, ttl: 60, .txt([ascii("hello"), ascii("wor\"ld"), [0, 255], []])),
            ResourceRecord(
                name: apex, ttl: 86400, .ds(DSData(keyTag: 60485, algorithm: 5, digestType: 1, digest: dsDigest))),
            ResourceRecord(
                name: apex, ttl: 86400,
                .dnskey(
                    DNSKEYData(
                        flags: 257, algorithm: 13,
                        publicKey: (0..<64).map { UInt8($0 * 3 & 0xFF) }))),
            ResourceRecord(
                name: www, ttl: 300,
                .rrsig(
                    RRSIGData(
                        typeCovered: .a, algorithm: 13, labels: 3, originalTTL: 300, expiration: 1793491200,
                        inception: 1790812800, keyTag: 12345, signerName: apex,
                        signature: (0..<64).map { UInt8($0) }))),
            ResourceRecord(
                name: www, ttl: 300,
                .nsec(
                    NSECData(
                        nextName: try dn("zzz.example.com."), types: TypeBitmap([.a, .mx, .rrsig, .nsec, RRType(1234)]))
                )),
            ResourceRecord(
                name: try dn("2vptu5timamqttgl4luu9kg21e0aor3s.example.com."), ttl: 300,
                .nsec3(
                    NSEC3Data(
                        flags: 1, iterations: 12, salt: [0xAA, 0xBB, 0xCC, 0xDD],
                        nextHashedOwner: (0..<20).map { UInt8($0 + 100) }, types: TypeBitmap([.a, .rrsig])))),
            ResourceRecord(
                name: apex, ttl: 0, .nsec3param(NSEC3PARAMData(hashAlgorithm: 1, flags: 0, iterations: 0, salt: []))),
            ResourceRecord(
                name: www, ttl: 7200,
                .ipseckey(
                    IPSECKEYData(
                        precedence: 10, gateway: .ipv4([192, 0, 2, 38]), algorithm: 2, publicKey: rfc4025Key))),
            ResourceRecord(
                name: www, ttl: 7200,
                .ipseckey(
                    IPSECKEYData(
                        precedence: 10, gateway: .none, algorithm: 2, publicKey: rfc4025Key))),
            ResourceRecord(
                name: www, ttl: 7200,
                .ipseckey(
                    IPSECKEYData(
                        precedence: 10, gateway: .ipv6(ipv6), algorithm: 2, publicKey: rfc4025Key))),
            ResourceRecord(
                name: www, ttl: 7200,
                .ipseckey(
                    IPSECKEYData(
                        precedence: 10, gateway: .name(try dn("mygateway.example.com.")), algorithm: 2,
                        publicKey: rfc4025Key))),
            ResourceRecord(name: www, type: RRType(65534), ttl: 5, rdata: [0x0A, 0x0B, 0x0C, 0x0D]),
        ]
    }
}

@Suite("Wire format")
struct WireTests {
    @Test func queryEncodesToHandComputedBytes() throws {
        let q = Message.query(id: 0x1234, name: try dn("www.example.com"), type: .ipseckey)
        let expected: [UInt8] = [
            0x12, 0x34,  // ID
            0x01, 0x10,  // RD (0x0100) | CD (0x0010)
            0x00, 0x01,  // QDCOUNT
            0x00, 0x00,  // ANCOUNT
            0x00, 0x00,  // NSCOUNT
            0x00, 0x01,  // ARCOUNT (the OPT record)
            0x03, 0x77, 0x77, 0x77,  // "www"
            0x07, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65,  // "example"
            0x03, 0x63, 0x6F, 0x6D,  // "com"
            0x00,  // root
            0x00, 0x2D,  // QTYPE 45 IPSECKEY
            0x00, 0x01,  // QCLASS IN
            0x00,  // OPT owner: root
            0x00, 0x29,  // TYPE 41 OPT
            0x04, 0xD0,  // UDP payload size 1232
            0x00, 0x00, 0x80, 0x00,  // extended RCODE 0, version 0, DO bit
            0x00, 0x00,  // RDLENGTH 0
        ]
        #expect(q.wire() == expected)
        #expect(q.wire(compress: false) == expected)
        let back = try Message(wire: expected)
        #expect(back == q)
        #expect(back.edns?.dnssecOK == true)
        #expect(back.edns?.udpPayloadSize == 1232)
        #expect(back.flags == [.rd, .cd])

        let noCD = Message.query(
            id: 0xFFFF, name: try dn("example."), type: .a, payloadSize: 512, checkingDisabled: false)
        #expect(
            noCD.wire() == [0xFF, 0xFF, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
                + [7] + ascii("example") + [0, 0, 1, 0, 1]
                + [0, 0, 41, 0x02, 0x00, 0, 0, 0x80, 0, 0, 0])
    }

    @Test func extendedRCodeAndOptionsAreSplitBetweenHeaderAndOPT() throws {
        var m = Message(
            id: 7, flags: [.qr], rcode: .badVers,
            edns: EDNS(
                udpPayloadSize: 4096, version: 0, dnssecOK: false,
                options: [EDNSOption(code: EDNSOption.cookieCode, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
        let wire = m.wire()
        // BADVERS = 16: header RCODE 0, OPT extended RCODE 1.
        #expect(
            wire == [0, 7, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0, 1]
                + [0, 0, 41, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0, 12, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])
        let back = try Message(wire: wire)
        #expect(back == m)
        #expect(back.rcode == .badVers)
        m.edns = nil
        m.rcode = .nxDomain
        #expect(m.wire() == [0, 7, 0x80, 0x03, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func headerFlagsOpcodeRoundTrip() throws {
        let m = Message(id: 0xA55A, flags: [.qr, .aa, .tc, .rd, .ra, .ad, .cd], opcode: .notify, rcode: .refused)
        let wire = m.wire()
        // QR | opcode 4 << 11 | AA | TC | RD | RA | AD | CD | rcode 5
        #expect(Array(wire[2...3]) == [0xA7, 0xB5])
        #expect(try Message(wire: wire) == m)
        #expect(m.flags.description == "qr aa tc rd ra ad cd")
    }

    @Test func fullResponseRoundTrips() throws {
        let recs = try Samples.records()
        let m = Message(
            id: 0x4242, flags: [.qr, .aa, .rd, .ra, .ad], rcode: .noError,
            questions: [Question(name: try dn("www.example.com."), type: .a)],
            answers: Array(recs[0..<8]),
            authorities: Array(recs[8..<11]) + [
                ResourceRecord(
                    name: try dn("example.com."), ttl: 3600,
                    .ns(try dn("ns1.example.com.")))
            ],
            additionals: Array(recs[11...]),
            edns: EDNS(udpPayloadSize: 1232, dnssecOK: true, options: [EDNSOption(code: 15, data: [0, 9])]))
        let compressed = m.wire(compress: true)
        let plain = m.wire(compress: false)
        #expect(compressed.count < plain.count, "compression should shrink a response full of example.com")
        #expect(try Message(wire: compressed) == m)
        #expect(try Message(wire: plain) == m)
        // Decoded RDATA parses back to the typed value it was built from.
        let decoded = try Message(wire: compressed)
        for (a, b) in zip(
            decoded.answers + decoded.authorities + decoded.additionals,
            m.answers + m.authorities + m.additionals)
        {
            #expect(try a.parsed() == (try b.parsed()))
            #expect(a.rdata == b.rdata, "\(a.type) RDATA must be decompressed back to the original octets")
        }
    }

    @Test(arguments: 0..<16)
    func eachSampleRecordRoundTripsAlone(_ index: Int) throws {
        let rec = try Samples.records()[index]
        let m = Message(
            id: UInt16(index), flags: [.qr], questions: [Question(name: rec.name, type: rec.type)],
            answers: [rec])
        for compress in [true, false] {
            let back = try Message(wire: m.wire(compress: compress))
            #expect(back == m)
            #expect(back.answers.first?.wire == rec.wire)
        }
        // Typed RDATA → wire → typed RDATA.
        let typed = try rec.parsed()
        #expect(try RData(type: rec.type, wire: typed.wire) == typed)
    }

    @Test func handBuiltRDataVectors() throws {
        #expect(RData.mx(preference: 10, exchange: try dn("mx.example.")).wire == [0, 10] + wireName("mx", "example"))
        #expect(
            RData.soa(
                SOAData(
                    mname: try dn("a."), rname: try dn("b."), serial: 1, refresh: 2, retry: 3,
                    expire: 4, minimum: 5)
            ).wire
                == [1, 0x61, 0, 1, 0x62, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5])
        #expect(RData.txt([ascii("ab"), []]).wire == [2, 0x61, 0x62, 0])
        #expect(
            RData.ds(DSData(keyTag: 0x1234, algorithm: 13, digestType: 2, digest: [0xAA])).wire == [
                0x12, 0x34, 13, 2, 0xAA,
            ])
        #expect(
            RData.dnskey(DNSKEYData(flags: 257, algorithm: 15, publicKey: [9, 9])).wire == [0x01, 0x01, 3, 15, 9, 9])
        // RFC 4034 §4.3 example bitmap: A MX RRSIG NSEC TYPE1234.
        #expect(
            TypeBitmap([.a, .mx, .rrsig, .nsec, RRType(1234)]).wire == [
                0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03,
                0x04, 0x1B,  // window 4, 27 octets
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 13 zeros
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // 13 zeros
                0x20,  // 1234 = 4·256 + 26·8 + 2
            ])
        #expect(
            RData.nsec3(
                NSEC3Data(
                    flags: 1, iterations: 12, salt: [0xAA, 0xBB], nextHashedOwner: [1, 2, 3],
                    types: TypeBitmap([.a]))
            ).wire
                == [1, 1, 0, 12, 2, 0xAA, 0xBB, 3, 1, 2, 3, 0, 1, 0x40])
        #expect(
            RData.nsec3param(NSEC3PARAMData(hashAlgorithm: 1, flags: 0, iterations: 10, salt: [])).wire == [
                1, 0, 0, 10, 0,
            ])
        let rrsig = RRSIGData(
            typeCovered: .a, algorithm: 8, labels: 2, originalTTL: 3600, expiration: 0x01020304,
            inception: 0x05060708, keyTag: 0xABCD, signerName: try dn("Example."), signature: [0xFF])
        #expect(
            RData.rrsig(rrsig).wire == [0, 1, 8, 2, 0, 0, 0x0E, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 0xAB, 0xCD]
                + [7] + ascii("Example") + [0, 0xFF])
    }

    @Test func typeBitmapDecodeRejectsMalformedWindows() {
        // Windows out of order.
        #expect(throws: DNSWireError.badRData(type: .nsec, reason: "type bitmap windows out of order")) {
            try TypeBitmap(wire: [1, 1, 0x40, 0, 1, 0x40][...], type: .nsec)
        }
        #expect(throws: DNSWireError.badRData(type: .nsec, reason: "type bitmap length 0")) {
            try TypeBitmap(wire: [0, 0][...], type: .nsec)
        }
        #expect(throws: DNSWireError.badRData(type: .nsec, reason: "type bitmap length 33")) {
            try TypeBitmap(wire: [0, 33] + Array(repeating: 0, count: 33)[...], type: .nsec)
        }
        #expect(throws: DNSWireError.badRData(type: .nsec3, reason: "truncated type bitmap")) {
            try TypeBitmap(wire: [0, 4, 0x40][...], type: .nsec3)
        }
    }

    @Test func compressionPointsBackToEarlierNames() throws {
        let apex = try dn("example.com.")
        let m = Message(
            id: 1, flags: [.qr], questions: [Question(name: apex, type: .mx)],
            answers: [ResourceRecord(name: apex, ttl: 60, .mx(preference: 5, exchange: try dn("mx.example.com.")))])
        let wire = m.wire()
        #expect(
            wire == [0, 1, 0x80, 0, 0, 1, 0, 1, 0, 0, 0, 0]
                + wireName("example", "com") + [0, 15, 0, 1]
                + [0xC0, 0x0C, 0, 15, 0, 1, 0, 0, 0, 60, 0, 7, 0, 5, 2, 0x6D, 0x78, 0xC0, 0x0C])
        let back = try Message(wire: wire)
        #expect(back.answers[0].rdata == [0, 5] + wireName("mx", "example", "com"))
    }

    @Test func truncationDropsSectionsAndSetsTC() throws {
        let recs = try Samples.records()
        let m = Message(
            id: 9, flags: [.qr], questions: [Question(name: try dn("example.com."), type: .any)],
            answers: recs, edns: EDNS())
        let full = m.wire()
        #expect(full.count > 512)
        let cut = m.wire(truncatingTo: 512)
        #expect(cut.count <= 512)
        let back = try Message(wire: cut)
        #expect(back.flags.contains(.tc))
        #expect(back.answers.isEmpty)
        #expect(back.questions == m.questions)
        #expect(back.edns == m.edns)
        #expect(m.wire(truncatingTo: full.count) == full)
    }
}
