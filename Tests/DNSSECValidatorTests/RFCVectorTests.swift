import DNSCrypto
import DNSModel
import DNSTransport
import Logging
import Testing

@testable import DNSSECValidator

// Fixed-time test vectors published in the RFCs, checked at a validation time inside each signature's window.
//
// Sources of the record text (copied, not generated):
// - RFC 5702 §6.1 (RSASHA256) and §6.2 (RSASHA512).
// - RFC 6605 §6.1 (ECDSAP256SHA256) and §6.2 (ECDSAP384SHA384).
// - RFC 8080 §6.1 (ED25519) and §6.2 (ED448), with the signatures as corrected by verified erratum 4935: the
//   signatures printed in the RFC as published do not verify (and its RRSIG texts have unbalanced parentheses).
// - RFC 5155 Appendix A (and the B.1 comments): NSEC3 hashes of the example zone, SHA-1, salt aabbccdd,
//   12 iterations.

/// One RRSIG example: a DNSKEY, the RRset it signs, the RRSIG (and, where the RFC gives one, the DS).
struct RFCSignatureVector: Sendable, CustomTestStringConvertible {
    let title: String
    let keyTag: UInt16
    /// Zone-file text as the RFC prints it (parentheses joined, comments dropped by the tokenizer).
    let text: String
    var testDescription: String { title }
}

/// The records of a vector, parsed: DNSKEY, the covered RRset, the RRSIG, and any DS.
struct ParsedVector {
    var keyOwner: DNSName
    var key: DNSKEYData
    var rrset: RRset
    var rrsig: RRSIGData
    var rrsigRecord: ResourceRecord
    var ds: [DSData]
    var records: [ResourceRecord]
}

enum RFCVectorError: Error { case malformed(String) }

/// `YYYYMMDDHHmmSS` or a decimal number of seconds (RFC 4034 §3.2 allows both).
func rfcTime(_ text: String) throws -> UInt32 {
    if text.count == 14, let t = DNSTime.parse(text) { return UInt32(t) }
    guard let t = UInt32(text) else { throw RFCVectorError.malformed("bad time \(text)") }
    return t
}

/// Reads the vector's text. RRSIG presentation is not parsed by `ZoneText`, so the RRSIG fields are read here.
func parseVector(_ v: RFCSignatureVector) throws -> ParsedVector {
    var records: [ResourceRecord] = []
    var rrsigs: [(ResourceRecord, RRSIGData)] = []
    for (_, tokens) in try ZoneText.logicalLines(v.text) {
        guard let typeIndex = tokens.firstIndex(where: { $0.uppercased() == "RRSIG" }) else {
            records.append(try ZoneText.record(tokens: tokens))
            continue
        }
        let f = Array(tokens[(typeIndex + 1)...])
        guard f.count >= 9, let covered = RRType(mnemonic: f[0]), let alg = UInt8(f[1]), let labels = UInt8(f[2]),
            let ttl = UInt32(f[3]), let tag = UInt16(f[6]),
            let sig = TextEncoding.fromBase64(f[8...].joined())
        else {
            throw RFCVectorError.malformed("RRSIG fields \(f)")
        }
        let data = RRSIGData(
            typeCovered: covered, algorithm: alg, labels: labels, originalTTL: ttl,
            expiration: try rfcTime(f[4]), inception: try rfcTime(f[5]), keyTag: tag,
            signerName: try DNSName(f[7]), signature: sig)
        let owner = try DNSName(tokens[0])
        let recordTTL = UInt32(tokens[1]) ?? ttl
        rrsigs.append((ResourceRecord(name: owner, ttl: recordTTL, .rrsig(data)), data))
    }
    guard rrsigs.count == 1, let (sigRecord, sig) = rrsigs.first else {
        throw RFCVectorError.malformed("want one RRSIG")
    }
    let keys = records.filter { $0.type == .dnskey }
    guard keys.count == 1, case .dnskey(let key) = try keys[0].parsed() else {
        throw RFCVectorError.malformed("want one DNSKEY")
    }
    let ds = try records.filter { $0.type == .ds }.map { r -> DSData in
        guard case .ds(let d) = try r.parsed() else { throw RFCVectorError.malformed("DS") }
        return d
    }
    let covered = records.filter { $0.type == sig.typeCovered && $0.name == sigRecord.name }
    guard let set = RRset.group(covered).first else { throw RFCVectorError.malformed("no covered RRset") }
    return ParsedVector(
        keyOwner: keys[0].name, key: key, rrset: set, rrsig: sig, rrsigRecord: sigRecord, ds: ds,
        records: records + [sigRecord])
}

extension ParsedVector {
    /// The data the RRSIG signs (RFC 4034 §3.1.8.1), through the project's canonical-form code.
    func signedData(rrset: RRset? = nil) throws -> [UInt8] {
        let set = rrset ?? self.rrset
        guard let owner = Canonical.signedOwner(owner: set.name, rrsigLabels: rrsig.labels) else {
            throw RFCVectorError.malformed("labels")
        }
        return Canonical.signedData(rrsig: rrsig, signedOwner: owner, rrset: set)
    }
    /// The covered RRset with one octet of the first RDATA flipped.
    var alteredRRset: RRset {
        var set = rrset
        set.rdatas[0][set.rdatas[0].count - 1] ^= 0x01
        return set
    }
    /// The signature with one octet in its middle flipped.
    var alteredSignature: [UInt8] {
        var s = rrsig.signature
        s[s.count / 2] ^= 0x01
        return s
    }
    /// A time in the middle of the signature's validity window.
    var inside: UInt32 { rrsig.inception / 2 + rrsig.expiration / 2 }
}

let rfcSignatureVectors: [RFCSignatureVector] = [
    RFCSignatureVector(
        title: "RFC 5702 §6.1 RSASHA256", keyTag: 9033,
        text: """
            example.net.     3600  IN  DNSKEY  (256 3 8 AwEAAcFcGsaxxdgiuuGmCkVI
                                my4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8P
                                kxUdp6p/DlUmObdk= );{id = 9033 (zsk), size = 512b}

            www.example.net. 3600  IN  A  192.0.2.91

            www.example.net. 3600  IN  RRSIG  (A 8 3 3600 20300101000000
                                20000101000000 9033 example.net. kRCOH6u7l0QGy9qpC9
                                l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEa
                                cFYK/lPtPiVYP4bwg==);{id = 9033}
            """),
    RFCSignatureVector(
        title: "RFC 5702 §6.2 RSASHA512", keyTag: 3740,
        text: """
            example.net.    3600  IN  DNSKEY  (256 3 10 AwEAAdHoNTOW+et86KuJOWRD
                               p1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFD
                               xj13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8g
                               pMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL
                               );{id = 3740 (zsk), size = 1024b}

            www.example.net. 3600  IN  A  192.0.2.91

            www.example.net. 3600  IN  RRSIG  (A 10 3 3600 20300101000000
                               20000101000000 3740 example.net. tsb4wnjRUDnB1BUi+t
                               6TMTXThjVnG+eCkWqjvvjhzQL1d0YRoOe0CbxrVDYd0xDtsuJRa
                               eUw1ep94PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOL
                               DiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1MBGk0fthPgxdDLw
                               =);{id = 3740}
            """),
    RFCSignatureVector(
        title: "RFC 6605 §6.1 ECDSAP256SHA256", keyTag: 55648,
        text: """
            example.net. 3600 IN DNSKEY 257 3 13 (
                    GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edb
                    krSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA== )

            example.net. 3600 IN DS 55648 13 2 (
                    b4c8c1fe2e7477127b27115656ad6256f424625bf5c1
                    e2770ce6d6e37df61d17 )

            www.example.net. 3600 IN A 192.0.2.1
            www.example.net. 3600 IN RRSIG A 13 3 3600 (
                    20100909100439 20100812100439 55648 example.net.
                    qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXA
                    yGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw== )
            """),
    RFCSignatureVector(
        title: "RFC 6605 §6.2 ECDSAP384SHA384", keyTag: 10771,
        text: """
            example.net. 3600 IN DNSKEY 257 3 14 (
                    xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1
                    w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8
                    /uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40 )

            example.net. 3600 IN DS 10771 14 4 (
                    72d7b62976ce06438e9c0bf319013cf801f09ecc84b8
                    d7e9495f27e305c6a9b0563a9b5f4d288405c3008a94
                    6df983d6 )

            www.example.net. 3600 IN A 192.0.2.1
            www.example.net. 3600 IN RRSIG A 14 3 3600 (
                    20100909102025 20100812102025 10771 example.net.
                    /L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP
                    95hxQouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuz
                    WTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm )
            """),
    RFCSignatureVector(
        title: "RFC 8080 §6.1 ED25519 key 3613 (erratum 4935)", keyTag: 3613,
        text: """
            example.com. 3600 IN DNSKEY 257 3 15 (
                         l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= )

            example.com. 3600 IN DS 3613 15 2 (
                         3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79
                         a304b )

            example.com. 3600 IN MX 10 mail.example.com.

            example.com. 3600 IN RRSIG MX 15 2 3600 (
                         1440021600 1438207200 3613 example.com.
                         oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3f
                         x8A4M3e23mRZ9VrbpMngwcrqNAg== )
            """),
    RFCSignatureVector(
        title: "RFC 8080 §6.1 ED25519 key 35217 (erratum 4935)", keyTag: 35217,
        text: """
            example.com. 3600 IN DNSKEY 257 3 15 (
                         zPnZ/QwEe7S8C5SPz2OfS5RR40ATk2/rYnE9xHIEijs= )

            example.com. 3600 IN DS 35217 15 2 (
                         401781b934e392de492ec77ae2e15d70f6575a1c0bc59c5275c04ebe80c
                         6614c )

            example.com. 3600 IN MX 10 mail.example.com.

            example.com. 3600 IN RRSIG MX 15 2 3600 (
                         1440021600 1438207200 35217 example.com.
                         zXQ0bkYgQTEFyfLyi9QoiY6D8ZdYo4wyUhVioYZXFdT410QPRITQSqJSnzQ
                         oSm5poJ7gD7AQR0O7KuI5k2pcBg== )
            """),
    RFCSignatureVector(
        title: "RFC 8080 §6.2 ED448 key 9713 (erratum 4935)", keyTag: 9713,
        text: """
            example.com. 3600 IN DNSKEY 257 3 16 (
                         3kgROaDjrh0H2iuixWBrc8g2EpBBLCdGzHmn+G2MpTPhpj/OiBVHHSfPodx
                         1FYYUcJKm1MDpJtIA )

            example.com. 3600 IN DS 9713 16 2 (
                         6ccf18d5bc5d7fc2fceb1d59d17321402f2aa8d368048db93dd811f5cb2
                         b19c7 )

            example.com. 3600 IN MX 10 mail.example.com.

            example.com. 3600 IN RRSIG MX 16 2 3600 (
                         1440021600 1438207200 9713 example.com.
                         3cPAHkmlnxcDHMyg7vFC34l0blBhuG1qpwLmjInI8w1CMB29FkEAIJUA0amx
                         WndkmnBZ6SKiwZSAxGILn/NBtOXft0+Gj7FSvOKxE/07+4RQvE581N3Aj/Jt
                         IyaiYVdnYtyMWbSNyGEY2213WKsJlwEA )
            """),
    RFCSignatureVector(
        title: "RFC 8080 §6.2 ED448 key 38353 (erratum 4935)", keyTag: 38353,
        text: """
            example.com. 3600 IN DNSKEY 257 3 16 (
                         kkreGWoccSDmUBGAe7+zsbG6ZAFQp+syPmYUurBRQc3tDjeMCJcVMRDmgcNL
                         p5HlHAMy12VoISsA )

            example.com. 3600 IN MX 10 mail.example.com.

            example.com. 3600 IN RRSIG MX 16 2 3600 (
                         1440021600 1438207200 38353 example.com.
                         E1/oLjSGIbmLny/4fcgM1z4oL6aqo+izT3urCyHyvEp4Sp8Syg1eI+lJ57CS
                         nZqjJP41O/9l4m0AsQ4f7qI1gVnML8vWWiyW2KXhT9kuAICUSxv5OWbf81Rq
                         7Yu60npabODB0QFPb/rkW3kUZmQ0YQUA )
            """),
]

/// An upstream that has no answers: the validator's own RRSIG check does not query.
struct SilentUpstream: DNSUpstream {
    func query(_ question: Question) async throws(TransportError) -> Message { throw .noUpstreams }
}

/// An upstream that answers from a fixed list of records (the RFC example records).
struct RecordsUpstream: DNSUpstream {
    let records: [ResourceRecord]
    func query(_ question: Question) async throws(TransportError) -> Message {
        let answers = records.filter { r in
            guard r.name == question.name else { return false }
            if r.type == question.type { return true }
            if r.type == .rrsig, case .rrsig(let s)? = try? r.parsed() { return s.typeCovered == question.type }
            return false
        }
        return Message(id: 0, flags: [.qr, .rd, .ra], questions: [question], answers: answers)
    }
}

@Suite struct RFCVectorTests {
    // MARK: Signatures, through DNSCrypto and the canonical form

    @Test(arguments: rfcSignatureVectors)
    func keyTagAndDigest(_ v: RFCSignatureVector) throws {
        let p = try parseVector(v)
        #expect(p.key.keyTag == v.keyTag)
        #expect(p.rrsig.keyTag == p.key.keyTag)
        #expect(p.rrsig.algorithm == p.key.algorithm)
        #expect(p.rrsig.signerName == p.keyOwner)
        #expect(p.key.isZoneKey && p.key.protocol == 3)
        for d in p.ds {
            #expect(d.keyTag == p.key.keyTag)
            let digest = try #require(DigestAlgorithm(dsDigestType: d.digestType)).hash(
                p.keyOwner.lowercased.wire + p.key.rdata)
            #expect(digest == d.digest, "DS digest over \(p.keyOwner) DNSKEY")
            // libldns's digest (the one the validator matches with) agrees with the RFC's and with libcrypto's.
            #expect(
                DSDigest.digest(
                    ownerWire: p.keyOwner.lowercased.wire, dnskeyRDATA: p.key.rdata, digestType: d.digestType)
                    == d.digest)
        }
    }

    /// The key libldns builds from the DNSKEY (ldns_key_buf2rsa_raw, ldns_ecdsa2pkey_raw, ldns_ed*2pkey_raw), written
    /// out by libcrypto, is octet for octet the SubjectPublicKeyInfo the independent Swift DER encoder (kept for PEM
    /// export of IPSECKEY keys) makes from the same field.
    @Test(arguments: rfcSignatureVectors)
    func ldnsKeyMatchesIndependentEncoding(_ v: RFCSignatureVector) throws {
        let p = try parseVector(v)
        let key = try VerifyingKey(algorithm: p.key.algorithm, dnskeyPublicKey: p.key.publicKey)
        #expect(!key.subjectPublicKeyInfo.isEmpty)
        #expect(
            key.subjectPublicKeyInfo == (try DER.dnskeySPKI(algorithm: p.key.algorithm, publicKey: p.key.publicKey)))
    }

    @Test(arguments: rfcSignatureVectors)
    func signatureVerifies(_ v: RFCSignatureVector) throws {
        let p = try parseVector(v)
        let verifier = try VerifyingKey(algorithm: p.key.algorithm, dnskeyPublicKey: p.key.publicKey)
        #expect(verifier.verify(signature: p.rrsig.signature, message: try p.signedData()))
        // One octet of RDATA flipped: the signature must no longer verify.
        #expect(!verifier.verify(signature: p.rrsig.signature, message: try p.signedData(rrset: p.alteredRRset)))
        // One octet of the signature flipped.
        #expect(!verifier.verify(signature: p.alteredSignature, message: try p.signedData()))
        // A different TTL on the wire does not matter: the original TTL from the RRSIG is signed.
        var otherTTL = p.rrset
        otherTTL.ttl = 17
        var covered = otherTTL
        covered.ttl = p.rrsig.originalTTL
        #expect(verifier.verify(signature: p.rrsig.signature, message: try p.signedData(rrset: covered)))
        // Case of the owner name does not matter in canonical form (RFC 4034 §6.2).
        var upper = p.rrset
        upper.name = try DNSName(p.rrset.name.description.uppercased())
        #expect(verifier.verify(signature: p.rrsig.signature, message: try p.signedData(rrset: upper)))
    }

    // MARK: Signatures, through the validator's RRSIG check (RFC 4035 §5.3) at fixed times

    func validator(at time: UInt32) -> Validator {
        Validator(
            upstream: SilentUpstream(),
            configuration: ValidatorConfiguration(anchors: TrustAnchors([]), validationTime: time),
            logger: Logger(label: "rfc-vectors"))
    }

    func check(
        _ p: ParsedVector, at time: UInt32, rrset: RRset? = nil, sig: [UInt8]? = nil,
        key: DNSKEYData? = nil
    ) -> SignatureOutcome {
        let val = validator(at: time)
        var record = p.rrsigRecord
        if let sig {
            var s = p.rrsig
            s.signature = sig
            record = ResourceRecord(name: record.name, ttl: record.ttl, .rrsig(s))
        }
        let ctx = LookupContext(limits: val.limits, now: time)
        return val.verify(rrset ?? p.rrset, [record], zone: p.keyOwner, keys: [TrustedKey(key ?? p.key)], ctx)
    }

    func code(_ o: SignatureOutcome) -> Reason.Code? {
        if case .invalid(let r) = o { return r.code }
        return nil
    }

    @Test(arguments: rfcSignatureVectors)
    func validatorAcceptsInsideWindow(_ v: RFCSignatureVector) throws {
        let p = try parseVector(v)
        for t in [p.inside, p.rrsig.inception, p.rrsig.expiration] {
            let o = check(p, at: t)
            guard case .valid(let sig, let wildcard) = o else {
                Issue.record("\(v.title) at \(DNSTime.iso8601(UInt64(t))): \(o)")
                continue
            }
            #expect(sig.keyTag == v.keyTag)
            #expect(wildcard == nil)
        }
    }

    @Test(arguments: rfcSignatureVectors)
    func validatorRejectsOutsideWindowAndAlteredData(_ v: RFCSignatureVector) throws {
        let p = try parseVector(v)
        let twoDays: UInt32 = 2 * 86400  // beyond any clock skew the validator allows (at most one day)
        #expect(code(check(p, at: p.rrsig.expiration &+ twoDays)) == .signatureExpired)
        #expect(code(check(p, at: p.rrsig.inception &- twoDays)) == .signatureNotYetValid)
        #expect(code(check(p, at: p.inside, rrset: p.alteredRRset)) == .signatureInvalid)
        #expect(code(check(p, at: p.inside, sig: p.alteredSignature)) == .signatureInvalid)
        // A key with another tag is not a candidate at all.
        var other = p.key
        other.publicKey[other.publicKey.count - 1] ^= 0x01
        if other.keyTag != p.key.keyTag {
            #expect(code(check(p, at: p.inside, key: other)) == .noMatchingKey)
        }
    }

    // MARK: The full lookup path

    /// RFC 5702 and RFC 6605 give the DNSKEY but no RRSIG over the DNSKEY RRset, so a lookup anchored at that key
    /// cannot authenticate the key set (RFC 4035 §5.2–5.3): the answer is bogus for want of signatures, inside or
    /// outside the window, and never secure.
    @Test(arguments: rfcSignatureVectors.prefix(4))
    func fullLookupWithoutDNSKEYSignatureIsBogus(_ v: RFCSignatureVector) async throws {
        let p = try parseVector(v)
        let anchors = TrustAnchors([.dnskey(owner: p.keyOwner, p.key)])
        for t in [p.inside, p.rrsig.expiration &+ 2 * 86400] {
            let val = Validator(
                upstream: RecordsUpstream(records: p.records),
                configuration: ValidatorConfiguration(anchors: anchors, validationTime: t),
                logger: Logger(label: "rfc-vectors"))
            let answer = await val.resolve(name: p.rrset.name, type: p.rrset.type)
            #expect(answer.verdict == .bogus, "\(v.title): \(answer.verdict) \(answer.reason?.message ?? "")")
            #expect(answer.reason?.code == .signaturesMissing, "\(v.title): \(answer.reason?.message ?? "")")
        }
    }

    // MARK: NSEC3 hashes, RFC 5155 Appendix A (and B.1)

    static let nsec3Hashes: [(String, String)] = [
        // Appendix A
        ("example", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
        ("a.example", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
        ("ai.example", "gjeqe526plbf1g8mklp59enfd789njgi"),
        ("ns1.example", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
        ("ns2.example", "q04jkcevqvmu85r014c7dkba38o0ji5r"),
        ("w.example", "k8udemvp1j2f7eg6jebps17vp3n8i58h"),
        ("*.w.example", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
        ("x.w.example", "b4um86eghhds6nea196smvmlo4ors995"),
        ("y.w.example", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"),
        ("x.y.w.example", "2vptu5timamqttgl4luu9kg21e0aor3s"),
        ("xx.example", "t644ebqk9bibcna874givr6joj62mlhv"),
        // Appendix B.1 (name error): the next closer name and the wildcard at the closest encloser
        ("c.x.w.example", "0va5bpr2ou0vk0lbqeeljri88laipsfh"),
        ("*.x.w.example", "92pqneegtaue7pjatc3l3qnk738c6v5m"),
    ]

    @Test func nsec3HashesOfTheExampleZone() throws {
        let salt = try #require(TextEncoding.fromHex("aabbccdd"))
        for (name, expected) in Self.nsec3Hashes {
            let n = try DNSName(name + ".")
            let h = NSEC3Hash.hash(canonicalName: n.lowercased.wire, salt: salt, iterations: 12)
            #expect(h.count == 20)
            #expect(TextEncoding.base32hex(h).lowercased() == expected, "H(\(name))")
            // Case-insensitive: the hash is over the canonical (lower-case) name.
            let upper = try DNSName(name.uppercased() + ".")
            #expect(NSEC3Hash.hash(canonicalName: upper.lowercased.wire, salt: salt, iterations: 12) == h)
            // And round-trips through the base32hex decoder used for NSEC3 owner names.
            #expect(TextEncoding.fromBase32hex(expected) == h)
        }
        // The parameters matter: one iteration fewer or another salt gives another hash.
        let example = try DNSName("example.")
        let h11 = NSEC3Hash.hash(canonicalName: example.wire, salt: salt, iterations: 11)
        #expect(TextEncoding.base32hex(h11) != "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom")
        let other = NSEC3Hash.hash(canonicalName: example.wire, salt: [0xaa, 0xbb, 0xcc, 0xde], iterations: 12)
        #expect(TextEncoding.base32hex(other) != "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom")
    }
}
