import DNSCrypto
import DNSModel
import DNSSECValidator
import DNSTransport
import Logging
import TestAuthority
import Testing

/// An upstream that answers from the test authority, then lets a test rewrite the response.
final class HostileUpstream: DNSUpstream {
    let engine: AnswerEngine
    let rewrite: @Sendable (Question, Message) -> Message?
    init(engine: AnswerEngine, rewrite: @escaping @Sendable (Question, Message) -> Message?) {
        self.engine = engine; self.rewrite = rewrite
    }
    func query(_ question: Question) async throws(TransportError) -> Message {
        let q = Message.query(id: SecureRandom.uint16(), name: question.name, type: question.type)
        let real = engine.respond(to: q)
        guard let m = rewrite(question, real) else { throw .timeout(servers: ["hostile"]) }
        return m
    }
}

func hostileValidator(
    _ h: TestHierarchy, _ rewrite: @escaping @Sendable (Question, Message) -> Message?
) throws -> Validator {
    let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
    return Validator(
        upstream: HostileUpstream(engine: h.engine, rewrite: rewrite),
        configuration: ValidatorConfiguration(anchors: anchors), logger: Logger(label: "hostile"))
}

@Suite struct HostileUpstreamTests {
    let target = try! DNSName("gw.ecdsa256.test.")

    @Test func twoHundredForgedRRSIGsAreBoundedAndBogus() async throws {
        let h = try await TestHierarchy.shared()
        let target = self.target
        let v = try hostileValidator(h) { q, m in
            guard q.name == target else { return m }
            var m = m
            guard let sig = m.answers.first(where: { $0.type == .rrsig }), case .rrsig(var s)? = try? sig.parsed()
            else { return m }
            for _ in 0..<200 {
                s.signature = SecureRandom.bytes(64)
                m.answers.append(ResourceRecord(name: sig.name, ttl: sig.ttl, .rrsig(s)))
            }
            m.answers.removeAll { $0 == sig }
            return m
        }
        let a = await v.resolve(name: target, type: .ipseckey)
        #expect(a.verdict == .bogus)
        #expect(a.reason?.code == .signatureInvalid || a.reason?.code == .workLimit)
    }

    @Test func fiveHundredDNSKEYsDoNotMakeItSecure() async throws {
        let h = try await TestHierarchy.shared()
        let zone = try DNSName("ecdsa256.test.")
        let v = try hostileValidator(h) { q, m in
            guard q.name == zone, q.type == .dnskey else { return m }
            var m = m
            for _ in 0..<500 {
                m.answers.append(
                    ResourceRecord(
                        name: zone, ttl: 3600,
                        .dnskey(DNSKEYData(flags: 256, algorithm: 13, publicKey: SecureRandom.bytes(64)))))
            }
            return m
        }
        let a = await v.resolve(name: target, type: .ipseckey)
        #expect(a.verdict == .bogus)
    }

    @Test func servfailAndSilenceAreIndeterminate() async throws {
        let h = try await TestHierarchy.shared()
        let target = self.target
        let v1 = try hostileValidator(h) { q, m in
            var m = m; if q.name == target { m.rcode = .servFail; m.answers = [] }; return m
        }
        #expect(await v1.resolve(name: target, type: .ipseckey).verdict == .indeterminate)
        let v2 = try hostileValidator(h) { q, m in q.type == .dnskey ? nil : m }
        let a = await v2.resolve(name: target, type: .ipseckey)
        #expect(a.verdict == .indeterminate)
        #expect(a.reason?.code == .upstreamError)
    }

    @Test func spoofedAnswerWithoutSignatureIsBogus() async throws {
        let h = try await TestHierarchy.shared()
        let target = self.target
        let v = try hostileValidator(h) { q, m in
            guard q.name == target else { return m }
            var m = m
            m.answers = [
                ResourceRecord(
                    name: target, ttl: 60,
                    .ipseckey(
                        IPSECKEYData(
                            precedence: 1, gateway: .ipv4([203, 0, 113, 66]), algorithm: 4,
                            publicKey: SecureRandom.bytes(32))))
            ]
            return m
        }
        let a = await v.resolve(name: target, type: .ipseckey)
        #expect(a.verdict == .bogus)
        #expect(a.reason?.code == .signaturesMissing)
    }

    /// A DNAME RRset whose RDATA holds no well-formed name, with its genuine RRSIG: DNAME RDATA is not decompressed
    /// by the wire decoder, so it reaches canonical form as sent. Before the bounds check in `DNSName.lowerWire`
    /// this crashed the process; now it is simply bogus.
    @Test func malformedDNAMERDATAIsBogusNotACrash() async throws {
        let h = try await TestHierarchy.shared()
        let owner = try DNSName("alias.nsec.test.")
        let v = try hostileValidator(h) { q, m in
            guard q.name == owner, q.type == .dname else { return m }
            var m = m
            m.answers = m.answers.map { r in
                guard r.type == .dname else { return r }
                return ResourceRecord(name: r.name, type: .dname, ttl: r.ttl, rdata: [5, 0x41, 0x42])
            }
            return m
        }
        let a = await v.resolve(name: owner, type: .dname)
        #expect(a.verdict == .bogus, "\(a.reason?.message ?? "-")")
    }

    /// Random single-octet corruptions of a genuine signed response: never secure unless the records are unchanged.
    @Test func mutatedResponsesAreNeverFalselySecure() async throws {
        let h = try await TestHierarchy.shared()
        let target = self.target
        let original = h.engine.respond(to: Message.query(id: 1, name: target, type: .ipseckey))
        let originalSet = Set(original.answers.filter { $0.type == .ipseckey }.map(\.rdata))
        var rng = SystemRandomNumberGenerator()
        var secureCount = 0
        for _ in 0..<300 {
            var wire = original.wire()
            let i = Int.random(in: 12..<wire.count, using: &rng)
            wire[i] ^= UInt8.random(in: 1...255, using: &rng)
            guard let mutated = try? Message(wire: wire) else { continue }
            let v = try hostileValidator(h) { q, m in q.name == target && q.type == .ipseckey ? mutated : m }
            let a = await v.resolve(name: target, type: .ipseckey)
            if a.verdict == .secure, a.kind == .data {
                secureCount += 1
                #expect(Set(a.rrset?.rdatas ?? []) == originalSet, "a corrupted record was accepted as secure")
            }
        }
        #expect(secureCount < 300)
    }
}
