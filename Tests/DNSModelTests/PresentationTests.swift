import Testing

@testable import DNSModel

/// Our `description` against `ldns-read-zone`'s output for the same record.
@Suite("Presentation format vs ldns", .enabled(if: LDNS.available, "needs /usr/bin/ldns-read-zone"))
struct PresentationTests {
    /// Records in zone-file text that `ZoneText` reads; ldns reads the same text.
    static let zoneTextCases: [String] = [
        "a.example. 300 IN A 192.0.2.1",
        "Mixed.Case.Example. 300 IN A 10.0.0.255",
        "a.example. 300 IN AAAA 2001:db8:0:0:1:0:0:1",
        "a.example. 300 IN AAAA 2001:0db8:0000:0000:0000:0000:0000:0001",
        "a.example. 300 IN AAAA 2001:db8:0:1:1:1:1:1",
        "a.example. 300 IN AAAA 1:0:0:2:0:0:0:3",
        "a.example. 300 IN AAAA ::",
        "a.example. 300 IN AAAA ::1",
        "a.example. 300 IN AAAA fe80::",
        "a.example. 300 IN AAAA ::ffff:192.0.2.1",
        "a.example. 300 IN AAAA ::192.0.2.1",
        "a.example. 300 IN AAAA ::1:2",
        "a.example. 300 IN AAAA 0:0:0:0:1:ffff:1:2",
        "a.example. 300 IN AAAA 2001:DB8::ABCD:EF",
        "example. 3600 IN MX 10 Mail.Example.",
        "example. 3600 IN MX 0 .",
        #"x.example. 300 IN TXT "a \"quoted\" \\ back" "semi;colon" "\001x\127" "\195\169" """#,
        #"x.example. 300 IN TXT single"#,
        "example. 3600 IN SOA ns1.example. hostmaster.example. ( 2026010101 7200 3600 1209600 300 )",
        "dskey.example.com. 86400 IN DS 60485 5 1 ( 2BB183AF5F22588179A53B0A98631FAD1A292118 )",
        "example. 3600 IN DS 12345 13 2 0123456789ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef",
        "x.example. 300 IN TYPE65534 \\# 4 0a0b0c0d",
        "x.example. 300 IN TYPE65534 \\# 0",
        "x.example. 300 CLASS3 TYPE65534 \\# 1 ff",
        "a.example. 300 IN NS ns.Example.",
        "a.example. 300 IN CNAME b.example.",
    ]

    @Test(arguments: zoneTextCases)
    func zoneTextRecordMatchesLDNS(_ text: String) throws {
        let recs = try ZoneText.records(text)
        try #require(recs.count == 1)
        #expect(recs[0].description == (try LDNS.line(text + "\n")))
    }

    /// ldns appends `;{id = N (zsk|ksk), size = Nb}` to DNSKEY lines. That comment is not part of the record; we
    /// split it off and check ldns's key tag (computed by its own code) against ours.
    @Test func dnskeyMatchesLDNSAndKeyTagAgrees() throws {
        let text = """
            dskey.example.com. 86400 IN DNSKEY 256 3 5 ( AQOeiiR0GOMYkDshWoSKz9Xzfwjr1AYtsmx3TGkJaNXVbfi/
                                                         2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvx
                                                         egXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9Xzc
                                                         nOf+EPbtG9DMBmADjFDc2w/rljwvFw==
                                                       ) ; a comment

            """
        let rec = try #require(try ZoneText.records(text).first)
        guard case .dnskey(let key) = try rec.parsed() else { Issue.record("not a DNSKEY"); return }
        #expect(key.flags == 256 && key.protocol == 3 && key.algorithm == 5 && key.publicKey.count == 130)
        #expect(key.isZoneKey && !key.isSecureEntryPoint && !key.isRevoked)
        let line = try LDNS.line(text)
        let parts = line.components(separatedBy: " ;{id = ")
        try #require(parts.count == 2, "ldns line without its key comment: \(line)")
        #expect(rec.description == parts[0])
        #expect(parts[1] == "\(key.keyTag) (zsk), size = 1024b}")
        #expect(key.keyTag == 27724)
    }

    @Test func rrsigTimesBeyond68YearsFromNow() throws {
        // ldns prints RRSIG times with serial arithmetic around the current clock (RFC 4034 §3.1.5), so
        // 0xFFFFFFFF comes out as 19691231235959 while that is more than 2^31 s ahead; we print the plain
        // unsigned value (21060207062815).
        let rec = ResourceRecord(
            name: try dn("x.example."), ttl: 300,
            .rrsig(
                RRSIGData(
                    typeCovered: RRType(65534), algorithm: 13, labels: 3, originalTTL: 0, expiration: 4294967295,
                    inception: 0, keyTag: 0, signerName: .root, signature: [0, 0, 0])))
        #expect(
            rec.description == "x.example.\t300\tIN\tRRSIG\tTYPE65534 13 3 0 21060207062815 19700101000000 0 . AAAA")
        let theirs = try LDNS.line("x.example. 300 IN RRSIG TYPE65534 13 3 0 21060207062815 19700101000000 0 . AAAA\n")
        withKnownIssue("ldns applies serial arithmetic to RRSIG times when printing", isIntermittent: true) {
            #expect(rec.description == theirs)
        }
    }

    /// Types `ZoneText` does not read from text: built as typed RDATA here, read by ldns from their text form.
    static func typedCases() throws -> [(text: String, record: ResourceRecord, ldnsQuirk: String?)] {
        let x = try dn("x.example.")
        return [
            (
                "x.example. 300 IN RRSIG A 8 2 3600 20261101000000 20261001000000 12345 Example. AQID",
                ResourceRecord(
                    name: x, ttl: 300,
                    .rrsig(
                        RRSIGData(
                            typeCovered: .a, algorithm: 8, labels: 2, originalTTL: 3600, expiration: 1793491200,
                            inception: 1790812800, keyTag: 12345, signerName: try dn("Example."), signature: [1, 2, 3]))
                ), nil
            ),
            (
                "x.example. 300 IN RRSIG TYPE65534 13 3 0 20380119031407 20010909014640 0 . AAAA",
                ResourceRecord(
                    name: x, ttl: 300,
                    .rrsig(
                        RRSIGData(
                            typeCovered: RRType(65534), algorithm: 13, labels: 3, originalTTL: 0,
                            expiration: 2147483647,
                            inception: 1000000000, keyTag: 0, signerName: .root, signature: [0, 0, 0]))), nil
            ),
            (
                "alfa.example.com. 86400 IN NSEC host.Example.com. A MX RRSIG NSEC TYPE1234",
                ResourceRecord(
                    name: try dn("alfa.example.com."), ttl: 86400,
                    .nsec(
                        NSECData(
                            nextName: try dn("host.Example.com."),
                            types: TypeBitmap([.a, .mx, .rrsig, .nsec, RRType(1234)])))), nil
            ),
            (
                "x.example. 300 IN NSEC3 1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG",
                ResourceRecord(
                    name: x, ttl: 300,
                    .nsec3(
                        NSEC3Data(
                            flags: 1, iterations: 12, salt: [0xAA, 0xBB, 0xCC, 0xDD],
                            nextHashedOwner: try #require(
                                TextEncoding.fromBase32hex("2vptu5timamqttgl4luu9kg21e0aor3s")),
                            types: TypeBitmap([.a, .rrsig])))),
                "ldns prints two spaces between the NSEC3 salt and the next hashed owner"
            ),
            (
                "x.example. 300 IN NSEC3 1 0 0 - 2vptu5timamqttgl4luu9kg21e0aor3s A NS SOA RRSIG DNSKEY NSEC3PARAM",
                ResourceRecord(
                    name: x, ttl: 300,
                    .nsec3(
                        NSEC3Data(
                            flags: 0, iterations: 0, salt: [],
                            nextHashedOwner: try #require(
                                TextEncoding.fromBase32hex("2vptu5timamqttgl4luu9kg21e0aor3s")),
                            types: TypeBitmap([.a, .ns, .soa, .rrsig, .dnskey, .nsec3param])))),
                "ldns prints two spaces between the NSEC3 salt and the next hashed owner"
            ),
            (
                "example. 0 IN NSEC3PARAM 1 0 10 abcd",
                ResourceRecord(
                    name: try dn("example."), ttl: 0,
                    .nsec3param(NSEC3PARAMData(hashAlgorithm: 1, flags: 0, iterations: 10, salt: [0xAB, 0xCD]))),
                "ldns ends an NSEC3PARAM line with a space after the salt"
            ),
            (
                "example. 0 IN NSEC3PARAM 1 0 0 -",
                ResourceRecord(
                    name: try dn("example."), ttl: 0,
                    .nsec3param(NSEC3PARAMData(hashAlgorithm: 1, flags: 0, iterations: 0, salt: []))),
                "ldns ends an NSEC3PARAM line with a space after the salt"
            ),
        ]
    }

    static func tokens(_ s: String) -> [String] {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    @Test func typedRecordsMatchLDNS() throws {
        for c in try Self.typedCases() {
            let theirs = try LDNS.line(c.text + "\n")
            let ours = c.record.description
            if let quirk = c.ldnsQuirk {
                // Exact comparison kept, recorded as a known cosmetic difference…
                withKnownIssue(Comment(rawValue: quirk)) { #expect(ours == theirs) }
                // …and every field must still agree.
                #expect(Self.tokens(ours) == Self.tokens(theirs))
            } else {
                #expect(ours == theirs)
            }
        }
    }

    @Test func nsec3paramFromZoneTextMatchesTyped() throws {
        let rec = try #require(try ZoneText.records("example. 0 IN NSEC3PARAM 1 0 10 abcd").first)
        #expect(rec.description == "example.\t0\tIN\tNSEC3PARAM\t1 0 10 abcd")
        let none = try #require(try ZoneText.records("example. 0 IN NSEC3PARAM 1 0 0 -").first)
        #expect(none.rdata == [1, 0, 0, 0, 0])
        #expect(none.description == "example.\t0\tIN\tNSEC3PARAM\t1 0 0 -")
    }

    /// Every sample record, handed to ldns as RFC 3597 generic RDATA from our wire octets: ldns must print the
    /// fields we print, which checks the wire encoding and the presentation at once.
    @Test func ldnsReadsOurWireOfEverySample() throws {
        for r in try Samples.records() {
            let generic =
                "\(r.name) \(r.ttl) \(r.rrClass) \(r.type) \\# \(r.rdata.count) \(TextEncoding.hex(r.rdata))\n"
            var theirs = try LDNS.line(generic)
            if r.type == .dnskey, let cut = theirs.range(of: " ;{id = ") {
                guard case .dnskey(let k) = try r.parsed() else { continue }
                #expect(theirs[cut.upperBound...].hasPrefix("\(k.keyTag) "))
                theirs = String(theirs[..<cut.lowerBound])
            }
            if r.type == .nsec3 || r.type == .nsec3param {
                withKnownIssue("ldns NSEC3/NSEC3PARAM spacing") { #expect(r.description == theirs) }
                #expect(Self.tokens(r.description) == Self.tokens(theirs))
            } else {
                #expect(r.description == theirs, "\(r.type)")
            }
        }
    }

    @Test func txtWithTabDiffersOnlyInEscaping() throws {
        // ldns prints a TAB inside a character-string as a raw TAB; we print \009. Both read back the same.
        let text = #"x.example. 300 IN TXT "a\009b""#
        let rec = try #require(try ZoneText.records(text).first)
        #expect(rec.rdata == [3, 0x61, 0x09, 0x62])
        #expect(rec.description == "x.example.\t300\tIN\tTXT\t\"a\\009b\"")
        let theirs = try LDNS.line(text + "\n")
        withKnownIssue("ldns leaves TAB unescaped inside TXT strings") { #expect(rec.description == theirs) }
        #expect(try ZoneText.records(theirs.replacingOccurrences(of: "\t\"", with: " \"")).first?.rdata == rec.rdata)
    }

    @Test func ownerNameEscapesDifferFromLDNSForAtDollarQuote() throws {
        // We escape @ $ " in names as BIND does; ldns leaves them bare. The other specials agree.
        let text = #"a\@b\$c\"d\.e\(f\)\;g.\001\200.example. 300 IN A 192.0.2.1"#
        let rec = try #require(try ZoneText.records(text).first)
        #expect(rec.name.labels.first.map(Array.init) == ascii("a@b$c\"d.e(f);g"))
        let theirs = try LDNS.line(text + "\n")
        withKnownIssue("ldns does not escape @ $ \" in owner names") { #expect(rec.description == theirs) }
        #expect(theirs == "a@b$c\"d\\.e\\(f\\)\\;g.\\001\\200.example.\t300\tIN\tA\t192.0.2.1")
        // ldns's spelling parses back to the same name.
        #expect(try DNSName("a@b$c\"d\\.e\\(f\\)\\;g.\\001\\200.example.") == rec.name)
    }
}
