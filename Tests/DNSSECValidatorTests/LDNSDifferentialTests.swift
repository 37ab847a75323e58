import DNSCrypto
import DNSModel
import DNSTransport
import Logging
import TestAuthority
import Testing

@testable import DNSSECValidator

/// Differential check: every signature of the test hierarchy (every signed RRset of every zone, the broken zones
/// included), and mutations of each, must get the same answer from our verification (`Validator.verify`: RRSIG
/// rules, our canonical form, OpenSSL) as from libldns's own `ldns_verify_rrsig_keylist_time`. The KeyTrap budgets
/// are raised here so that the comparison is about signatures, not about how much work we agree to do.
@Suite struct LDNSDifferentialTests {
    /// Every DS of the hierarchy that we publish, and the digests the validator matches keys by
    /// (`DelegationRules.vouchedKeys`), against `ldns_key_rr2ds` for the same key and digest type.
    @Test func dsDigestsAgreeWithLDNS() async throws {
        let h = try await TestHierarchy.shared()
        var compared = 0
        for (apex, zone) in h.engine.zones.sorted(by: { $0.key < $1.key }) {
            guard let keys = zone.rrsets[RRsetKey(name: apex, type: .dnskey)] else { continue }
            for rdata in keys.rdatas {
                guard case .dnskey(let key)? = try? RData(type: .dnskey, wire: rdata), key.algorithm != 253 else {
                    continue
                }
                for digestType: UInt8 in [1, 2, 4] {
                    let wire = ResourceRecord(name: apex, type: .dnskey, ttl: 3600, rdata: rdata).wire
                    let theirs = try #require(
                        try LDNSReference.dsRDATA(dnskey: wire, digestType: digestType), "\(apex) \(digestType)")
                    let ours = makeDS(owner: apex, dnskeyRDATA: rdata, digestType: digestType)
                    #expect(RData.ds(ours).wire == theirs, "\(apex) key \(key.keyTag) digest \(digestType)")
                    // And the validator's matcher accepts exactly ldns's DS for this key.
                    guard case .ds(let theirDS)? = try? RData(type: .ds, wire: theirs) else {
                        Issue.record("ldns DS unreadable"); continue
                    }
                    let matched = DelegationRules.vouchedKeys([key], zone: apex, ds: [theirDS], anchored: [])
                    #expect(
                        matched.trusted.count + matched.revoked.count == (key.isZoneKey && key.protocol == 3 ? 1 : 0))
                    compared += 1
                }
            }
        }
        #expect(compared > 200, "\(compared)")
    }

    struct Tally: CustomStringConvertible {
        var agreeValid = 0, agreeInvalid = 0, unreadable = 0, disagreements: [String] = []
        var description: String {
            "\(agreeValid) valid, \(agreeInvalid) invalid, \(unreadable) unreadable to ldns (and invalid to us), "
                + "\(disagreements.count) disagreements"
        }
    }

    @Test func ourVerificationAgreesWithLDNSOnEveryCatalogueSignature() async throws {
        let h = try await TestHierarchy.shared()
        var limits = ValidatorLimits()
        limits.maxKeysPerTag = 64; limits.maxSignatureChecksPerRRset = 64; limits.maxSignatureChecksPerLookup = .max
        limits.clockSkew = 0  // ldns checks the window without an allowance
        let anchors = try TrustAnchors.parse(text: h.dsAnchorText, file: "root.ds")
        let v = Validator(
            upstream: InProcessUpstream(engine: h.engine),
            configuration: ValidatorConfiguration(anchors: anchors, validationTime: h.now, limits: limits),
            logger: Logger(label: "differential"))
        var tally = Tally()
        var rng = SystemRandomNumberGenerator()

        func compare(_ set: RRset, _ sig: ResourceRecord, zone: DNSName, keys: [DNSKEYData], _ what: String) {
            let live = keys.filter { !$0.isRevoked }  // RFC 5011: we refuse REVOKEd keys before any crypto
            let ctx = LookupContext(limits: limits, now: h.now, tracing: false)
            let ours: Bool
            if case .valid = v.verify(set, [sig], zone: zone, keys: live.map(TrustedKey.init), ctx) {
                ours = true
            } else {
                ours = false
            }
            let keyWires = live.map { ResourceRecord(name: zone, ttl: 3600, .dnskey($0)).wire }
            // Altered RDATA that no longer parses as its type (a name's length octet changed): ldns refuses to read
            // it; ours must then not call it valid either.
            guard
                let theirs = try? LDNSReference.verify(
                    records: set.records.map(\.wire), rrsig: sig.wire, dnskeys: keyWires, at: h.now)
            else {
                if ours {
                    tally.disagreements.append("\(what): ours true, ldns cannot read the input")
                } else {
                    tally.unreadable += 1
                }
                return
            }
            if ours != theirs {
                tally.disagreements.append("\(what): ours \(ours), ldns \(theirs)")
            } else if ours {
                tally.agreeValid += 1
            } else {
                tally.agreeInvalid += 1
            }
        }

        for (apex, zone) in h.engine.zones.sorted(by: { $0.key < $1.key }) {
            let keys =
                zone.rrsets[RRsetKey(name: apex, type: .dnskey)]?.records.compactMap { r -> DNSKEYData? in
                    if case .dnskey(let d)? = try? r.parsed() { d } else { nil }
                } ?? []
            for (key, sigs) in zone.signatures.sorted(by: { "\($0.key)" < "\($1.key)" }) {
                guard let set = zone.rrsets[key] else { continue }
                for sig in sigs.prefix(4) {
                    guard case .rrsig(let s)? = try? sig.parsed() else { continue }
                    compare(set, sig, zone: s.signerName, keys: keys, "\(key)")
                    // The signature with one octet changed.
                    var bad = s
                    let i = Int.random(in: 0..<bad.signature.count, using: &rng)
                    bad.signature[i] ^= UInt8.random(in: 1...255, using: &rng)
                    compare(
                        set, ResourceRecord(name: sig.name, ttl: sig.ttl, .rrsig(bad)), zone: s.signerName, keys: keys,
                        "\(key) (signature altered)")
                    // The data with one octet changed.
                    var altered = set
                    if var first = altered.rdatas.first, !first.isEmpty {
                        first[first.count - 1] ^= 0x01
                        altered.rdatas[0] = first
                        compare(altered, sig, zone: s.signerName, keys: keys, "\(key) (data altered)")
                    }
                }
            }
        }
        // Wildcard expansions as a resolver hands them out (ldns rebuilds the wildcard owner itself).
        for name in ["anything.wild.nsec.test.", "a.b.wild.nsec3.test.", "x.wild.refuse-ds.test."] {
            let m = h.engine.respond(to: Message.query(id: 1, name: try DNSName(name), type: .ipseckey))
            guard let set = RRset.group(m.answers.filter { $0.type == .ipseckey }).first,
                let sig = m.answers.first(where: { $0.type == .rrsig }), case .rrsig(let s)? = try? sig.parsed(),
                let zone = h.engine.zones[s.signerName]
            else { Issue.record("no wildcard answer for \(name)"); continue }
            let keys =
                zone.rrsets[RRsetKey(name: s.signerName, type: .dnskey)]?.records.compactMap { r -> DNSKEYData? in
                    if case .dnskey(let d)? = try? r.parsed() { d } else { nil }
                } ?? []
            compare(set, sig, zone: s.signerName, keys: keys, "\(name) (wildcard)")
        }
        #expect(tally.disagreements.isEmpty, "\(tally): \(tally.disagreements.prefix(20).joined(separator: "\n"))")
        // Both outcomes must have been exercised in quantity, or the comparison says little.
        #expect(tally.agreeValid > 300, "\(tally)")
        #expect(tally.agreeInvalid > 600, "\(tally)")
        print("ldns differential: \(tally)")
    }
}
