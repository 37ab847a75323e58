// Micro-benchmarks of the CPU-bound hot paths of a validating lookup. Every input is built once, outside the
// measured loop; each measured iteration does exactly one operation, so the throughput metric is operations/s.
// Run with Scripts/microbench (which also compares the verification rates with `openssl speed`).
import Benchmark
import DNSCrypto
import DNSModel
import TestAuthority

// MARK: - Fixtures (built once, at registration time)

/// Deterministic filler bytes (xorshift), so the parse fixture is the same on every run.
func fillerBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    return (0..<count).map { _ in
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

let zone = try! DNSName("example.test.")
let owner = try! DNSName("gw.example.test.")
let inception: UInt32 = 1_700_000_000
let expiration: UInt32 = 2_000_000_000

/// A 4-record IPSECKEY RRset (the record type the tool looks up): gateways of each kind, Ed25519/ECDSA/RSA keys.
let ipseckeyRRset: RRset = {
    let records: [IPSECKEYData] = [
        IPSECKEYData(precedence: 10, gateway: .ipv4([192, 0, 2, 38]), algorithm: 4, publicKey: fillerBytes(32, seed: 1)),
        IPSECKEYData(precedence: 20, gateway: .ipv6(fillerBytes(16, seed: 2)), algorithm: 3, publicKey: fillerBytes(64, seed: 3)),
        IPSECKEYData(precedence: 30, gateway: .name(try! DNSName("VPN.Example.test.")), algorithm: 2,
                     publicKey: [3, 1, 0, 1] + fillerBytes(128, seed: 4)),
        IPSECKEYData(precedence: 40, gateway: .none, algorithm: 4, publicKey: fillerBytes(32, seed: 5)),
    ]
    return RRset(name: owner, type: .ipseckey, ttl: 3600, rdatas: records.map { RData.ipseckey($0).wire })
}()

/// An RRSIG over `ipseckeyRRset` whose signature is filler bytes (what the canonical-form benchmark needs).
let fakeRRSIG = RRSIGData(typeCovered: .ipseckey, algorithm: 8, labels: 3, originalTTL: 3600, expiration: expiration,
                          inception: inception, keyTag: 12345, signerName: zone, signature: fillerBytes(256, seed: 6))

/// A realistic signed response of about 1 KB: the IPSECKEY answer with its RRSIG, the zone's NS RRset with its
/// RRSIG in authority, glue A/AAAA in additional, EDNS with DO. RRSIG signatures are RSA-2048-sized filler bytes.
let signedResponseWire: [UInt8] = {
    var answers = ipseckeyRRset.records
    answers.append(ResourceRecord(name: owner, ttl: 3600, .rrsig(fakeRRSIG)))
    let ns1 = try! DNSName("ns1.example.test."), ns2 = try! DNSName("ns2.example.test.")
    var authorities = [ResourceRecord(name: zone, ttl: 3600, .ns(ns1)), ResourceRecord(name: zone, ttl: 3600, .ns(ns2))]
    var nsSig = fakeRRSIG
    nsSig.typeCovered = .ns; nsSig.labels = 2; nsSig.signature = fillerBytes(256, seed: 7)
    authorities.append(ResourceRecord(name: zone, ttl: 3600, .rrsig(nsSig)))
    let additionals = [
        ResourceRecord(name: ns1, ttl: 3600, .a([192, 0, 2, 1])),
        ResourceRecord(name: ns1, ttl: 3600, .aaaa(fillerBytes(16, seed: 8))),
        ResourceRecord(name: ns2, ttl: 3600, .a([192, 0, 2, 2])),
        ResourceRecord(name: ns2, ttl: 3600, .aaaa(fillerBytes(16, seed: 9))),
    ]
    let message = Message(id: 0x1234, flags: [.qr, .aa, .rd, .ra], questions: [Question(name: owner, type: .ipseckey)],
                          answers: answers, authorities: authorities, additionals: additionals, edns: EDNS())
    let wire = message.wire()
    precondition((try? Message(wire: wire)) == message, "the parse fixture does not round-trip")
    return wire
}()

/// One verification case: a parsed key, a real signature made by ldns, and the signed data, checked once.
struct VerifyCase {
    let name: String
    let key: VerifyingKey
    let signature: [UInt8]
    let signedData: [UInt8]

    init(name: String, algorithm: UInt8, bits: UInt16 = 2048) {
        let signing = try! SigningKey(algorithm: algorithm, flags: 256, bits: bits)
        let rrsigWire = try! signing.sign(records: ipseckeyRRset.records.map(\.wire), signer: zone.wire,
                                          inception: inception, expiration: expiration)
        guard case let .rrsig(rrsig) = try! ResourceRecord(wire: rrsigWire).parsed() else {
            fatalError("ldns did not return an RRSIG for algorithm \(algorithm)")
        }
        let signedOwner = Canonical.signedOwner(owner: owner, rrsigLabels: rrsig.labels)!
        self.name = name
        self.key = try! VerifyingKey(algorithm: algorithm, dnskeyPublicKey: Array(signing.dnskeyRDATA.dropFirst(4)))
        self.signature = rrsig.signature
        self.signedData = Canonical.signedData(rrsig: rrsig, signedOwner: signedOwner, rrset: ipseckeyRRset)
        precondition(key.verify(signature: signature, message: signedData), "\(name): the fixture does not verify")
        var forged = signedData
        forged[forged.count - 1] ^= 1
        precondition(!key.verify(signature: signature, message: forged), "\(name): a forged message verifies")
    }
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .instructions],
        warmupIterations: 20,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    Benchmark("Wire parse: Message(wire:) signed response \(signedResponseWire.count) B") { benchmark in
        let wire = signedResponseWire
        for _ in benchmark.scaledIterations {
            blackHole(try! Message(wire: wire))
        }
    }

    Benchmark("Canonical.signedData: 4-record IPSECKEY RRset") { benchmark in
        let rrset = ipseckeyRRset, rrsig = fakeRRSIG
        for _ in benchmark.scaledIterations {
            blackHole(Canonical.signedData(rrsig: rrsig, signedOwner: owner, rrset: rrset))
        }
    }

    let cases = [
        VerifyCase(name: "Verify alg 8 RSASHA256 (RSA-2048)", algorithm: 8, bits: 2048),
        VerifyCase(name: "Verify alg 13 ECDSAP256SHA256", algorithm: 13),
        VerifyCase(name: "Verify alg 14 ECDSAP384SHA384", algorithm: 14),
        VerifyCase(name: "Verify alg 15 ED25519", algorithm: 15),
        VerifyCase(name: "Verify alg 16 ED448", algorithm: 16),
    ]
    for c in cases {
        Benchmark(c.name) { benchmark in
            let key = c.key, signature = c.signature, message = c.signedData
            for _ in benchmark.scaledIterations {
                blackHole(key.verify(signature: signature, message: message))
            }
        }
    }

    // The part of an ECDSA verify spent in Swift before libcrypto sees the signature: DNSSEC's raw r||s to DER.
    for c in cases where c.key.algorithm == 13 || c.key.algorithm == 14 {
        Benchmark("ECDSA raw-to-DER signature conversion, alg \(c.key.algorithm)") { benchmark in
            let raw = c.signature
            for _ in benchmark.scaledIterations {
                blackHole(DER.ecdsaSignature(raw: raw))
            }
        }
    }

    let canonicalOwner = owner.lowercased.wire
    let salt = fillerBytes(8, seed: 10)
    for iterations in [0, 150] {
        Benchmark("NSEC3Hash.hash: SHA-1, 8-byte salt, \(iterations) iterations") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(NSEC3Hash.hash(canonicalName: canonicalOwner, salt: salt, iterations: iterations))
            }
        }
    }
}
