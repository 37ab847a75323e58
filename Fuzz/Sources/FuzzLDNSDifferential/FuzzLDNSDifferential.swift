@testable import DNSSECValidator
import DNSCrypto
import DNSModel
import Foundation
import Logging
import Upstream

// Differential fuzzing of signature verification: our path (`Validator.verify`: RRSIG field rules, canonical form,
// libldns-made keys, OpenSSL) against libldns's own `ldns_verify_rrsig_keylist_time` (`LDNSReference`), on mutated
// RRset + RRSIG + DNSKEY inputs. Built in debug, where SwiftPM compiles every module with testing enabled, so the
// internal `verify` is reachable through `@testable import`.
//
// Input: a DNS message (wire form). Its answer section holds the RRset, the RRSIG over it (the first RRSIG whose
// covered RRset is present) and the DNSKEY records. Both sides get exactly the same values: the RRset as we group it
// (duplicates removed, RFC 4034 §6.3), re-encoded uncompressed for ldns; the zone keys (Zone Key bit, protocol 3, no
// REVOKE: RFC 4035 §5.3.1, RFC 5011) owned by the signer name. The validation time comes from the RRSIG's window
// (its middle) moved by the message ID × 1 h, so mutations of the ID reach both edges of the window.
//
// Asserts: ours is never valid where ldns says invalid or cannot read the input; ldns is never valid where ours says
// invalid, except for the documented rules where we are stricter than ldns (signer not an ancestor of the owner,
// RRSIG labels above the owner's: RFC 4035 §5.3.1), and algorithms outside RFC 8624's validation set, which ldns still
// verifies (RSAMD5, DSA). Any other disagreement is a crash with both inputs printed.

struct NoUpstream: DNSUpstream {
    func query(_ question: Question) async throws(TransportError) -> Message { throw .noUpstreams }
}

let validator: Validator = {
    var config = ValidatorConfiguration(anchors: TrustAnchors(), validationTime: 0)
    config.limits.clockSkew = 0   // ldns checks the window without an allowance
    return Validator(upstream: NoUpstream(), configuration: config,
                     logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }))
}()
let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

struct Case {
    let set: RRset
    let sigRecord: ResourceRecord
    let sig: RRSIGData
    let keys: [DNSKEYData]
    let keyRecords: [ResourceRecord]
    let now: UInt32
}

/// The RRset, RRSIG and keys a message carries, or nil when it has no RRSIG over an RRset it holds.
func readCase(_ message: Message) -> Case? {
    let records = message.answers
    let sets = RRset.group(records.filter { $0.type != .rrsig })
    for r in records where r.type == .rrsig {
        guard case .rrsig(let s)? = try? r.parsed(),
              let set = sets.first(where: { $0.name == r.name && $0.type == s.typeCovered && $0.rrClass == r.rrClass })
        else { continue }
        var keys: [DNSKEYData] = [], keyRecords: [ResourceRecord] = []
        for k in records where k.type == .dnskey && k.name == s.signerName {
            guard case .dnskey(let d)? = try? k.parsed(), d.isZoneKey, d.protocol == 3, !d.isRevoked,
                  !keys.contains(d) else { continue }
            keys.append(d)
            keyRecords.append(ResourceRecord(name: s.signerName, ttl: k.ttl, .dnskey(d)))
        }
        let middle = s.inception &+ (s.expiration &- s.inception) / 2
        let shift = UInt32(bitPattern: Int32(Int16(bitPattern: message.id)) &* 3600)
        return Case(set: set, sigRecord: r, sig: s, keys: keys, keyRecords: keyRecords, now: middle &+ shift)
    }
    return nil
}

/// Rules where our verification refuses what ldns accepts, on purpose.
func oursIsStricter(_ c: Case) -> String? {
    if !c.set.name.isSubdomain(of: c.sig.signerName) { return "signer is not an ancestor of the owner" }
    if Int(c.sig.labels) > RRSIGRules.ownerLabels(c.set.name) { return "RRSIG labels above the owner's" }
    if !VerifyingKey.supportedAlgorithms.contains(c.sig.algorithm) { return "algorithm outside RFC 8624's validation set" }
    return nil
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? Message(wire: bytes), let c = readCase(message) else { return 0 }
    var limits = validator.configuration.limits
    limits.clockSkew = 0
    let ctx = LookupContext(limits: limits, now: c.now, tracing: false)
    let outcome = validator.verify(c.set, [c.sigRecord], zone: c.sig.signerName, keys: c.keys.map(TrustedKey.init), ctx)
    let ours: Bool
    var why = ""
    switch outcome {
    case .valid: ours = true
    case .invalid(let r): ours = false; why = "\(r.code): \(r.message)"
    }
    let theirs: Bool?
    do {
        theirs = try LDNSReference.verify(records: c.set.records.map(\.wire), rrsig: c.sigRecord.wire,
                                          dnskeys: c.keyRecords.map(\.wire), at: c.now)
    } catch {
        theirs = nil
    }
    if verbose { print("ours \(ours) \(why) | ldns \(theirs.map(String.init(describing:)) ?? "unreadable") | \(c.set.name) \(c.set.type) alg \(c.sig.algorithm)") }
    switch (ours, theirs) {
    case (true, true), (false, false), (false, nil): return 0
    case (false, true?):
        if oursIsStricter(c) != nil { return 0 }
        fatalError("disagreement: ldns valid, ours invalid (\(why))\n\(c.set)\n\(c.sigRecord)\n\(c.keyRecords.map(\.description).joined(separator: "\n"))\nnow \(c.now)")
    case (true, let t):
        fatalError("disagreement: ours valid, ldns \(t.map(String.init(describing:)) ?? "cannot read the input")\n\(c.set)\n\(c.sigRecord)\n\(c.keyRecords.map(\.description).joined(separator: "\n"))\nnow \(c.now)")
    }
}

/// Seeds from a zone file in presentation form (as ldns-signzone writes it): one message per signed RRset, holding
/// the RRset, one RRSIG over it and the apex DNSKEY set; message ID 0 (validation time in the window's middle).
func makeSeeds(zoneFile: String, directory: String) -> CInt {
    guard let text = try? String(contentsOfFile: zoneFile, encoding: .utf8) else { print("cannot read \(zoneFile)"); return 1 }
    let records: [ResourceRecord]
    do { records = try ZoneText.records(text) } catch { print("\(zoneFile): \(error)"); return 1 }
    let keys = records.filter { $0.type == .dnskey }
    var written = 0
    for sig in records where sig.type == .rrsig {
        guard case .rrsig(let s)? = try? sig.parsed() else { continue }
        let covered = records.filter { $0.name == sig.name && $0.type == s.typeCovered }
        var m = Message(id: 0, flags: [.qr])
        m.answers = covered + [sig] + (s.typeCovered == .dnskey ? [] : keys.filter { $0.name == s.signerName })
        let name = "\(sig.name)-\(s.typeCovered)-\(s.algorithm)-\(s.keyTag)".replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "*", with: "_wild_")
        let path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: Data(m.wire(compress: true))) else { print("cannot write \(path)"); return 1 }
        written += 1
    }
    print("\(written) seeds written to \(directory)")
    return 0
}
