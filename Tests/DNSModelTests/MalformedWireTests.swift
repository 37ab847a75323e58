import TestAuthority
import Testing

@testable import DNSModel

@Suite("Malformed wire input")
struct MalformedWireTests {
    static let aRecordAtRoot: [UInt8] = [0] + [0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]

    /// Canonical form of name-carrying RDATA that does not hold a well-formed name (found by the ldns differential
    /// test, which alters RDATA octets): no crash, the octets come back with only in-bounds letters lower-cased.
    @Test func canonicalFormOfBrokenNameRDATA() {
        #expect(Canonical.rdata(type: .ns, [3, 0x41, 0x42]) == [3, 0x61, 0x62])
        #expect(Canonical.rdata(type: .cname, [0xC0, 0x41]) == [0xC0, 0x61])
        #expect(Canonical.rdata(type: .dname, [5, 0x41, 0, 9]) == [5, 0x61, 0, 9])
        #expect(Canonical.rdata(type: .ns, []) == [])
    }

    @Test func truncatedHeader() {
        #expect(decodeError([]) == .truncated(what: "header ID", offset: 0))
        #expect(decodeError([0x12]) == .truncated(what: "header ID", offset: 0))
        #expect(decodeError([0x12, 0x34, 0x01]) == .truncated(what: "header flags", offset: 2))
        #expect(decodeError(Array(header().prefix(11))) == .truncated(what: "ARCOUNT", offset: 10))
        // A bare 12-octet header with zero counts is a valid (empty) message.
        #expect(decodeError(header()) == nil)
    }

    @Test func truncatedQuestion() {
        // Name complete, QTYPE cut after one octet.
        #expect(
            decodeError(header(qd: 1) + wireName("example") + [0x00]) == .truncated(what: "question type", offset: 21))
        #expect(
            decodeError(header(qd: 1) + wireName("example") + [0, 1, 0])
                == .truncated(what: "question class", offset: 23))
        // Label runs past the end.
        #expect(decodeError(header(qd: 1) + [7] + ascii("exam")) == .truncated(what: "label", offset: 12))
        // Labels end exactly at the end of the data, without a root label.
        #expect(decodeError(header(qd: 1) + [2, 0x61, 0x62, 1, 0x63]) == .truncated(what: "domain name", offset: 17))
        // QDCOUNT=1 with nothing after the header.
        #expect(decodeError(header(qd: 1)) == .truncated(what: "sections (counts exceed the message size)", offset: 12))
    }

    @Test func compressionPointerToItself() {
        // A pointer to its own offset is not strictly backwards: reported as a forward pointer, never followed.
        #expect(decodeError(header(qd: 1) + [0xC0, 0x0C, 0, 1, 0, 1]) == .forwardPointer(offset: 12, target: 12))
    }

    @Test func compressionLoopBackToTheSameName() {
        // "a" followed by a pointer to the start of the same name: a → a → a …
        #expect(decodeError(header(qd: 1) + [1, 0x61, 0xC0, 0x0C, 0, 1, 0, 1]) == .compressionLoop(offset: 14))
        // A pointer into the middle of its own name.
        #expect(
            decodeError(header(qd: 1) + [1, 0x61, 1, 0x62, 0xC0, 0x0E, 0, 1, 0, 1]) == .compressionLoop(offset: 16))
    }

    @Test func chainsOfBackwardPointersDecode() throws {
        let wire =
            header(qd: 3)
            + wireName("example") + [0, 1, 0, 1]  // question 1 at offset 12
            + [1, 0x62, 0xC0, 0x0C] + [0, 1, 0, 1]  // question 2 at 25: b → 12
            + [1, 0x63, 0xC0, 0x19] + [0, 1, 0, 1]  // question 3 at 33: c → 25 → 12
        let m = try Message(wire: wire)
        #expect(m.questions.map(\.name.description) == ["example.", "b.example.", "c.b.example."])
    }

    @Test func forwardPointer() {
        #expect(decodeError(header(qd: 1) + [0xC0, 0x10, 0, 1, 0, 1, 0]) == .forwardPointer(offset: 12, target: 16))
        // A label then a pointer to later data.
        #expect(
            decodeError(header(qd: 1) + [1, 0x61, 0xC0, 0x14, 0, 1, 0, 1, 0])
                == .forwardPointer(offset: 14, target: 20))
    }

    @Test func pointerOutOfRange() {
        #expect(decodeError(header(qd: 1) + [0xC0, 0xFF, 0, 1, 0, 1]) == .pointerOutOfRange(offset: 12, target: 255))
        #expect(
            decodeError(header(qd: 1) + [0xFF, 0xFF, 0, 1, 0, 1]) == .pointerOutOfRange(offset: 12, target: 0x3FFF))
        #expect(
            decodeError(header(qd: 1) + [1, 0x61, 1, 0x62, 0xC0]) == .truncated(what: "compression pointer", offset: 16)
        )
    }

    @Test func reservedLabelTypes() {
        #expect(decodeError(header(qd: 1) + [0x80, 0, 0, 1, 0, 1]) == .badLabelType(offset: 12))
        #expect(
            decodeError(header(qd: 1) + [0x41] + Array(repeating: 0x61, count: 65) + [0, 0, 1, 0, 1])
                == .badLabelType(offset: 12))
    }

    @Test func labelLength64() {
        // 64 = 0x40: on the wire that is the reserved extended-label type (RFC 6891 §5), not a long label.
        let long = header(qd: 1) + [64] + Array(repeating: 0x61, count: 64) + [0, 0, 1, 0, 1]
        #expect(decodeError(long) == .badLabelType(offset: 12))
        let ok = header(qd: 1) + [63] + Array(repeating: 0x61, count: 63) + [0, 0, 1, 0, 1]
        #expect(decodeError(ok) == nil)
    }

    /// Question 1: three 63-octet labels (193 octets with the root). Question 2: one label of `n` octets, then a
    /// pointer to question 1.
    static func pointerNameMessage(secondLabel n: Int) -> [UInt8] {
        let l63 = [63] + Array(repeating: UInt8(0x61), count: 63)
        return header(qd: 2) + l63 + l63 + l63 + [0] + [0, 1, 0, 1]
            + [UInt8(n)] + Array(repeating: 0x62, count: n) + [0xC0, 0x0C] + [0, 1, 0, 1]
    }

    @Test func nameOver255OctetsThroughPointers() throws {
        // 62 + 193 = 255 octets: the limit, accepted.
        let m = try Message(wire: Self.pointerNameMessage(secondLabel: 61))
        #expect(m.questions[1].name.wire.count == 255)
        #expect(m.questions[1].name.labelCount == 4)
        // 63 + 193 = 256 octets.
        #expect(decodeError(Self.pointerNameMessage(secondLabel: 62)) == .nameTooLong(offset: 12 + 197 + 63 + 2))
        #expect(decodeError(Self.pointerNameMessage(secondLabel: 63)) == .nameTooLong(offset: 12 + 197 + 64 + 2))
    }

    @Test func nameOver255OctetsWithoutPointers() {
        let l63 = [63] + Array(repeating: UInt8(0x61), count: 63)
        let wire = header(qd: 1) + l63 + l63 + l63 + l63 + [0, 0, 1, 0, 1]
        #expect(decodeError(wire) == .nameTooLong(offset: 12))
    }

    @Test func countsThatLie() {
        // ANCOUNT=5 but one 15-octet record: caught by the size sanity check before reading.
        #expect(
            decodeError(header(an: 5) + Self.aRecordAtRoot)
                == .truncated(what: "sections (counts exceed the message size)", offset: 12))
        // ANCOUNT=5 with one record large enough to pass the sanity check: the second record's owner is missing.
        let txt: [UInt8] = [0, 0, 16, 0, 1, 0, 0, 0, 60, 0, 61, 60] + Array(repeating: 0x78, count: 60)
        #expect(decodeError(header(an: 5) + txt) == .truncated(what: "domain name", offset: 12 + 72))
        // ANCOUNT=0 but a record follows: trailing data.
        #expect(decodeError(header() + Self.aRecordAtRoot) == .trailingData(offset: 12))
        // ARCOUNT=1 with nothing.
        #expect(decodeError(header(ar: 1)) == .truncated(what: "sections (counts exceed the message size)", offset: 12))
    }

    @Test func rdlengthLongerThanRemainingData() {
        let wire = header(an: 1) + [0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 10, 192, 0, 2, 1]
        #expect(decodeError(wire) == .truncated(what: "A RDATA", offset: 23))
        // Same for a compressible type.
        let mx = header(an: 1) + [0, 0, 15, 0, 1, 0, 0, 0, 60, 0, 40, 0, 10, 0]
        #expect(decodeError(mx) == .truncated(what: "MX RDATA", offset: 23))
    }

    @Test func rdlengthShorterThanARecord() throws {
        // RDLENGTH 2 followed by the 4 address octets: the last two are left over.
        #expect(
            decodeError(header(an: 1) + [0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 2, 192, 0, 2, 1]) == .trailingData(offset: 25))
        // A self-consistent 2-octet A record: the message codec keeps RDATA opaque, typed parsing rejects it.
        let m = try Message(wire: header(an: 1) + [0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 2, 192, 0])
        #expect(throws: DNSWireError.badRData(type: .a, reason: "A is 4 octets, got 2")) { try m.answers[0].parsed() }
        #expect(m.answers[0].description == ".\t60\tIN\tA\t\\# 2 c000")
        #expect(throws: DNSWireError.badRData(type: .aaaa, reason: "AAAA is 16 octets, got 4")) {
            try RData(type: .aaaa, wire: [0, 0, 0, 0])
        }
    }

    @Test func rdlengthDisagreesWithCompressibleRData() {
        // MX whose name runs past RDLENGTH.
        let short = header(an: 1) + [0, 0, 15, 0, 1, 0, 0, 0, 60, 0, 2, 0, 10, 1, 0x61, 0]
        #expect(decodeError(short) == .rdataLengthMismatch(type: .mx, declared: 2, used: 5))
        // MX with a spare octet after its name.
        let long = header(an: 1) + [0, 0, 15, 0, 1, 0, 0, 0, 60, 0, 6, 0, 10, 1, 0x61, 0, 0xFF]
        #expect(decodeError(long) == .rdataLengthMismatch(type: .mx, declared: 6, used: 5))
        // Typed parsing of a strict type with spare octets.
        #expect(throws: DNSWireError.rdataLengthMismatch(type: .ns, declared: 4, used: 3)) {
            try RData(type: .ns, wire: [1, 0x61, 0, 0])
        }
    }

    @Test func trailingGarbage() throws {
        let q = Message.query(id: 1, name: try dn("example.com."), type: .a).wire()
        #expect(decodeError(q) == nil)
        #expect(decodeError(q + [0]) == .trailingData(offset: q.count))
        #expect(decodeError(q + [1, 2, 3]) == .trailingData(offset: q.count))
    }

    @Test func badOPTRecords() {
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0x80, 0, 0, 0]
        #expect(decodeError(header(ar: 2) + opt + opt) == .multipleOPT)
        #expect(
            decodeError(header(ar: 1) + [1, 0x61, 0] + Array(opt.dropFirst())) == .badOPT("owner name is not the root"))
        // Option length 8 but only 2 octets of data.
        let badOption: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 6, 0, 10, 0, 8, 1, 2]
        #expect(decodeError(header(ar: 1) + badOption) == .truncated(what: "OPT option data", offset: 4))
    }

    @Test func strictRDataParsing() {
        #expect(throws: DNSWireError.badRData(type: .txt, reason: "TXT needs at least one string")) {
            try RData(type: .txt, wire: [])
        }
        #expect(throws: DNSWireError.truncated(what: "TXT string", offset: 1)) {
            try RData(type: .txt, wire: [5, 0x61])
        }
        #expect(throws: DNSWireError.badRData(type: .ds, reason: "empty digest")) {
            try RData(type: .ds, wire: [0, 1, 8, 2])
        }
        #expect(throws: DNSWireError.badRData(type: .rrsig, reason: "empty signature")) {
            try RData(type: .rrsig, wire: [0, 1, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 5, 0])
        }
        #expect(throws: DNSWireError.badRData(type: .nsec3, reason: "empty next hashed owner name")) {
            try RData(type: .nsec3, wire: [1, 0, 0, 0, 0, 0])
        }
        #expect(throws: DNSWireError.badRData(type: .ns, reason: "compressed name in RDATA")) {
            try RData(type: .ns, wire: [0xC0, 0x00])
        }
        #expect(throws: DNSWireError.self) { try RData(type: .soa, wire: [0, 0, 0, 0, 0]) }
        #expect(throws: DNSWireError.self) { try RData(type: .nsec, wire: [0, 0, 0]) }
    }

    // MARK: fuzzing

    /// Decodes, and when that succeeds checks the result re-encodes to something that decodes to the same message.
    static func decodeNeverTraps(_ bytes: [UInt8]) -> Bool {
        guard let m = try? Message(wire: bytes) else { return false }
        #expect((try? Message(wire: m.wire(compress: false))) == m, "uncompressed re-encode of \(bytes)")
        #expect((try? Message(wire: m.wire(compress: true))) != nil, "compressed re-encode of \(bytes)")
        for r in m.answers + m.authorities + m.additionals { _ = r.description; _ = try? r.parsed() }
        return true
    }

    @Test func twentyThousandRandomInputs() {
        var rng = SplitMix64(seed: 0x1234_5678_9ABC_DEF0)
        var decoded = 0
        var kinds: Set<String> = []
        for i in 0..<20_000 {
            // Half fully random, half with a plausible header (small counts) so the section parsers are reached.
            let length = Int(rng.next() % 300)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if i % 2 == 0, bytes.count >= 12 {
                bytes[4] = 0; bytes[5] = UInt8(rng.next() % 3)
                bytes[6] = 0; bytes[7] = UInt8(rng.next() % 4)
                bytes[8] = 0; bytes[9] = UInt8(rng.next() % 2)
                bytes[10] = 0; bytes[11] = UInt8(rng.next() % 2)
            }
            if Self.decodeNeverTraps(bytes) {
                decoded += 1
            } else if let e = decodeError(bytes) {
                kinds.insert(Self.kind(e))
            }
            // The typed RDATA parsers see the same bytes.
            for t: RRType in [.a, .ns, .mx, .soa, .txt, .ds, .dnskey, .rrsig, .nsec, .nsec3, .nsec3param, .ipseckey] {
                _ = try? RData(type: t, wire: Array(bytes.prefix(60)))
            }
        }
        // The inputs reach well past the header: many distinct error classes come out, all typed.
        #expect(
            kinds.isSuperset(of: ["truncated", "trailingData", "forwardPointer", "pointerOutOfRange", "badLabelType"]),
            "reached only \(kinds.sorted()); \(decoded) inputs decoded")
    }

    static func kind(_ e: DNSWireError) -> String {
        switch e {
        case .truncated: "truncated"
        case .compressionLoop: "compressionLoop"
        case .forwardPointer: "forwardPointer"
        case .pointerOutOfRange: "pointerOutOfRange"
        case .compressionNotAllowed: "compressionNotAllowed"
        case .labelTooLong: "labelTooLong"
        case .nameTooLong: "nameTooLong"
        case .badLabelType: "badLabelType"
        case .rdataLengthMismatch: "rdataLengthMismatch"
        case .badRData: "badRData"
        case .trailingData: "trailingData"
        case .multipleOPT: "multipleOPT"
        case .badOPT: "badOPT"
        }
    }

    @Test func mutationsOfAValidResponse() throws {
        let recs = try Samples.records()
        let m = Message(
            id: 77, flags: [.qr, .aa], questions: [Question(name: try dn("www.example.com."), type: .a)],
            answers: recs, authorities: [], additionals: [], edns: EDNS())
        let base = m.wire()
        var rng = SplitMix64(seed: 2026)
        var decoded = 0
        var kinds: Set<String> = []
        for _ in 0..<5_000 {
            var bytes = base
            switch rng.next() % 3 {
            case 0:  // flip a few octets
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 1:  // truncate
                bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count))))
            default:  // turn an octet into a compression pointer
                let at = 12 + Int(rng.next() % UInt64(bytes.count - 13))
                bytes[at] = 0xC0 | UInt8(rng.next() % 4)
                bytes[at + 1] = UInt8(truncatingIfNeeded: rng.next())
            }
            if Self.decodeNeverTraps(bytes) {
                decoded += 1
            } else if let e = decodeError(bytes) {
                kinds.insert(Self.kind(e))
            }
        }
        // Single flips in a valid response often still decode (TTLs, key octets); the rest fail in typed ways.
        #expect(decoded > 100)
        #expect(kinds.count >= 4, "\(kinds.sorted())")
    }
}
