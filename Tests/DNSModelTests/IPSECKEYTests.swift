import Testing

@testable import DNSModel

/// RFC 4025 §3.3 examples.
@Suite("IPSECKEY (RFC 4025)")
struct IPSECKEYTests {
    static let key = Samples.rfc4025Key
    static let keyText = "AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="
    static let v6Origin = "1.0.0.0.0.0.2.8.B.D.0.1.0.0.2.ip6.arpa."

    /// The examples as written in RFC 4025 §3.3 (multi-line parentheses); the IPv6 one relative to $ORIGIN.
    static let rfcText = """
        38.2.0.192.in-addr.arpa. 7200 IN     IPSECKEY ( 10 1 2
                         192.0.2.38
                         AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
        38.2.0.192.in-addr.arpa. 7200 IN     IPSECKEY ( 10 0 2
                         .
                         AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
        38.2.0.192.in-addr.arpa. 7200 IN     IPSECKEY ( 10 1 2
                         192.0.2.3
                         AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
        38.1.0.192.in-addr.arpa. 7200 IN     IPSECKEY ( 10 3 2
                         mygateway.example.com.
                         AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )
        0.d.4.0.3.0.e.f.f.f.3.f.0.1.2.0 7200 IN     IPSECKEY ( 10 2 2
                         2001:0DB8:0:8002::2000:1
                         AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ== )

        """

    /// RDATA octets written out field by field: precedence, gateway type, algorithm, gateway, key.
    static let expectedRData: [[UInt8]] = [
        [10, 1, 2] + [192, 0, 2, 38] + key,
        [10, 0, 2] + key,
        [10, 1, 2] + [192, 0, 2, 3] + key,
        [10, 3, 2] + [
            9, 0x6D, 0x79, 0x67, 0x61, 0x74, 0x65, 0x77, 0x61, 0x79,  // "mygateway"
            7, 0x65, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65,  // "example"
            3, 0x63, 0x6F, 0x6D, 0,
        ] + key,  // "com", root
        [10, 2, 2] + [
            0x20, 0x01, 0x0D, 0xB8, 0x00, 0x00, 0x80, 0x02,
            0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x01,
        ] + key,
    ]

    static let expectedOwners = [
        "38.2.0.192.in-addr.arpa.", "38.2.0.192.in-addr.arpa.", "38.2.0.192.in-addr.arpa.", "38.1.0.192.in-addr.arpa.",
        "0.d.4.0.3.0.e.f.f.f.3.f.0.1.2.0.1.0.0.0.0.0.2.8.B.D.0.1.0.0.2.ip6.arpa.",
    ]

    static func parsedRFCRecords() throws -> [ResourceRecord] {
        try ZoneText.records(rfcText, origin: try dn(v6Origin))
    }

    @Test func keyDecodesFromBase64() {
        #expect(TextEncoding.fromBase64(Self.keyText) == Self.key)
        #expect(TextEncoding.base64(Self.key) == Self.keyText)
        #expect(Self.key.count == 34)
    }

    @Test func rfcExamplesParseToHandBuiltRData() throws {
        let recs = try Self.parsedRFCRecords()
        try #require(recs.count == 5)
        for (i, r) in recs.enumerated() {
            #expect(r.type == .ipseckey)
            #expect(r.ttl == 7200)
            #expect(r.rrClass == .in)
            #expect(r.name.description == Self.expectedOwners[i])
            #expect(r.rdata == Self.expectedRData[i], "example \(i)")
        }
        #expect(
            try recs[0].parsed()
                == .ipseckey(
                    IPSECKEYData(
                        precedence: 10, gateway: .ipv4([192, 0, 2, 38]),
                        algorithm: 2, publicKey: Self.key)))
        #expect(
            try recs[1].parsed()
                == .ipseckey(
                    IPSECKEYData(
                        precedence: 10, gateway: .none, algorithm: 2,
                        publicKey: Self.key)))
        #expect(
            try recs[3].parsed()
                == .ipseckey(
                    IPSECKEYData(
                        precedence: 10,
                        gateway: .name(try dn("mygateway.example.com.")),
                        algorithm: 2, publicKey: Self.key)))
        #expect(
            try recs[4].parsed()
                == .ipseckey(
                    IPSECKEYData(
                        precedence: 10, gateway: .ipv6(Self.expectedRData[4][3..<19].map { $0 }),
                        algorithm: 2, publicKey: Self.key)))
    }

    @Test func presentationOfRFCExamples() throws {
        let recs = try Self.parsedRFCRecords()
        #expect(
            recs.map(\.description) == [
                "38.2.0.192.in-addr.arpa.\t7200\tIN\tIPSECKEY\t10 1 2 192.0.2.38 \(Self.keyText)",
                "38.2.0.192.in-addr.arpa.\t7200\tIN\tIPSECKEY\t10 0 2 . \(Self.keyText)",
                "38.2.0.192.in-addr.arpa.\t7200\tIN\tIPSECKEY\t10 1 2 192.0.2.3 \(Self.keyText)",
                "38.1.0.192.in-addr.arpa.\t7200\tIN\tIPSECKEY\t10 3 2 mygateway.example.com. \(Self.keyText)",
                "0.d.4.0.3.0.e.f.f.f.3.f.0.1.2.0.1.0.0.0.0.0.2.8.B.D.0.1.0.0.2.ip6.arpa.\t7200\tIN\tIPSECKEY\t"
                    + "10 2 2 2001:db8:0:8002::2000:1 \(Self.keyText)",
            ])
    }

    @Test(.enabled(if: LDNS.available, "needs /usr/bin/ldns-read-zone"))
    func presentationMatchesLDNS() throws {
        let ours = try Self.parsedRFCRecords().map(\.description)
        let theirs = try LDNS.readZone("$ORIGIN \(Self.v6Origin)\n" + Self.rfcText)
        #expect(ours == theirs)
    }

    @Test(.enabled(if: LDNS.available, "needs /usr/bin/ldns-read-zone"))
    func ldnsReadsOurWireBytesTheSameWay() throws {
        // Feed ldns our RDATA in RFC 3597 generic form: it must print the same fields we print.
        for r in try Self.parsedRFCRecords() {
            let generic = "\(r.name) \(r.ttl) IN IPSECKEY \\# \(r.rdata.count) \(TextEncoding.hex(r.rdata))\n"
            #expect(try LDNS.line(generic) == r.description)
        }
    }

    @Test func gatewayNameIsNeverCompressed() throws {
        let gw = try dn("mygateway.example.com.")
        let ipseckey = ResourceRecord(
            name: gw, ttl: 7200,
            .ipseckey(
                IPSECKEYData(
                    precedence: 10, gateway: .name(gw), algorithm: 2, publicKey: Self.key)))
        // An MX in the same message shows that compression is switched on.
        let mx = ResourceRecord(name: gw, ttl: 7200, .mx(preference: 10, exchange: gw))
        let m = Message(
            id: 0xBEEF, flags: [.qr, .aa], questions: [Question(name: gw, type: .ipseckey)],
            answers: [ipseckey, mx])
        let gwWire: [UInt8] = [9] + ascii("mygateway") + [7] + ascii("example") + [3] + ascii("com") + [0]
        let expected: [UInt8] =
            [0xBE, 0xEF, 0x84, 0x00, 0, 1, 0, 2, 0, 0, 0, 0]  // header: QR AA, 1 question, 2 answers
            + gwWire + [0, 45, 0, 1]  // question at offset 12
            + [0xC0, 0x0C, 0, 45, 0, 1, 0, 0, 0x1C, 0x20, 0, 60]  // owner → 12, IPSECKEY IN 7200, RDLENGTH 60
            + [10, 3, 2] + gwWire + Self.key  // gateway written out in full
            + [0xC0, 0x0C, 0, 15, 0, 1, 0, 0, 0x1C, 0x20, 0, 4]  // MX IN 7200, RDLENGTH 4
            + [0, 10, 0xC0, 0x0C]  // exchange compressed
        #expect(m.wire(compress: true) == expected)
        let back = try Message(wire: expected)
        #expect(back == m)
        #expect(back.answers[0].rdata == Self.expectedRData[3])
    }

    @Test func compressedGatewayOnTheWireIsRejected() throws {
        // RFC 4025 §2.5: the gateway name must not be compressed. A pointer inside the RDATA is malformed.
        let rdata: [UInt8] = [10, 3, 2, 0xC0, 0x0C] + Self.key
        #expect(throws: DNSWireError.badRData(type: .ipseckey, reason: "compressed name in RDATA")) {
            try RData(type: .ipseckey, wire: rdata)
        }
        // In a message the record decodes (IPSECKEY RDATA is opaque to the message codec) but does not parse.
        let apex = try dn("example.com.")
        var wire = header(qd: 1, an: 1) + wireName("example", "com") + [0, 45, 0, 1]
        wire += [0xC0, 0x0C, 0, 45, 0, 1, 0, 0, 0, 60] + be16(UInt16(rdata.count)) + rdata
        let m = try Message(wire: wire)
        #expect(m.answers[0].name == apex)
        #expect(throws: DNSWireError.badRData(type: .ipseckey, reason: "compressed name in RDATA")) {
            try m.answers[0].parsed()
        }
    }

    @Test func malformedIPSECKEYRData() throws {
        #expect(throws: DNSWireError.badRData(type: .ipseckey, reason: "unknown gateway type 4 (RFC 4025 §2.3)")) {
            try RData(type: .ipseckey, wire: [10, 4, 2, 1, 2, 3])
        }
        #expect(throws: DNSWireError.truncated(what: "IPv4 gateway", offset: 3)) {
            try RData(type: .ipseckey, wire: [10, 1, 2, 192, 0])
        }
        #expect(throws: DNSWireError.truncated(what: "IPv6 gateway", offset: 3)) {
            try RData(type: .ipseckey, wire: [10, 2, 2] + Array(repeating: 0, count: 15))
        }
        #expect(throws: DNSWireError.truncated(what: "gateway type", offset: 1)) {
            try RData(type: .ipseckey, wire: [10])
        }
        // No key at all is allowed (algorithm 0, RFC 4025 §2.4).
        #expect(
            try RData(type: .ipseckey, wire: [1, 0, 0])
                == .ipseckey(
                    IPSECKEYData(
                        precedence: 1, gateway: .none,
                        algorithm: 0, publicKey: [])))
    }

    @Test func zoneTextRejectsBadGateways() {
        #expect(throws: ZoneTextError.self) { try ZoneText.records("a. 1 IN IPSECKEY 10 0 2 gw.example. AQID") }
        #expect(throws: ZoneTextError.self) { try ZoneText.records("a. 1 IN IPSECKEY 10 1 2 2001:db8::1 AQID") }
        #expect(throws: ZoneTextError.self) { try ZoneText.records("a. 1 IN IPSECKEY 10 2 2 192.0.2.1 AQID") }
        #expect(throws: ZoneTextError.self) { try ZoneText.records("a. 1 IN IPSECKEY 10 5 2 . AQID") }
        #expect(throws: ZoneTextError.self) { try ZoneText.records("a. 1 IN IPSECKEY 10 1 2 192.0.2.01 AQID") }
    }
}
