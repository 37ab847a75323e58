import DNSCrypto
import DNSModel

/// The outcome of validation (RFC 4033 §5): secure, insecure, bogus, or indeterminate.
public enum Verdict: String, Sendable, Hashable, Comparable, CustomStringConvertible {
    case secure, insecure, bogus, indeterminate

    var weakness: Int {
        switch self {
        case .secure: 0;
        case .insecure: 1;
        case .indeterminate: 2;
        case .bogus: 3
        }
    }
    /// Orders verdicts from strongest (secure) to weakest (bogus); a chain takes its weakest link.
    public static func < (a: Verdict, b: Verdict) -> Bool { a.weakness < b.weakness }
    /// `secure`, `insecure`, `bogus` or `indeterminate`.
    public var description: String { rawValue }
}

/// Why a verdict is not secure (or, for a secure denial, what was proven): a stable code for programs, an RFC 8914
/// Extended DNS Error number where one fits, and a sentence for people.
public struct Reason: Sendable, Hashable, CustomStringConvertible {
    /// A stable identifier for programs (`signature-expired`, `work-limit`, …), also the `--json` reason code.
    public enum Code: String, Sendable, Hashable {
        case signatureExpired = "signature-expired"
        case signatureNotYetValid = "signature-not-yet-valid"
        case signatureInvalid = "signature-invalid"
        case signaturesMissing = "signatures-missing"
        case noMatchingKey = "no-matching-key"
        case dsMismatch = "ds-mismatch"
        case dnskeyMissing = "dnskey-missing"
        case keyRevoked = "key-revoked"
        case badSigner = "bad-signer"
        case denialMissing = "denial-missing"
        case denialInvalid = "denial-invalid"
        case wildcardProofMissing = "wildcard-proof-missing"
        case unsignedDelegation = "unsigned-delegation"
        case unsupportedAlgorithm = "unsupported-algorithm"
        case unsupportedDigest = "unsupported-digest"
        case nsec3IterationsTooHigh = "nsec3-iterations-too-high"
        case optOut = "opt-out"
        case noTrustAnchor = "no-trust-anchor"
        /// A question whose answer cannot be validated as an RRset (type RRSIG).
        case typeNotValidatable = "type-not-validatable"
        case chainTooLong = "chain-too-long"
        case chainLoop = "chain-loop"
        case workLimit = "work-limit"
        case upstreamError = "upstream-error"
        case upstreamRCode = "upstream-rcode"
        case malformedAnswer = "malformed-answer"
        case nameError = "name-error"
        case noData = "no-data"
        /// A secure answer came only after another upstream route served the DNSSEC records one route left out.
        case upstreamStripsDNSSEC = "upstream-strips-dnssec"
    }
    /// What kind of reason.
    public let code: Code
    /// A sentence a person can act on.
    public let message: String
    /// RFC 8914 Extended DNS Error INFO-CODE, when one applies.
    public var extendedError: UInt16? {
        switch code {
        case .signatureExpired: 7
        case .signatureNotYetValid: 8
        case .signatureInvalid, .badSigner: 6
        case .signaturesMissing: 10
        case .noMatchingKey, .dsMismatch: 9
        case .dnskeyMissing: 9
        case .keyRevoked: 9
        case .denialMissing, .denialInvalid, .wildcardProofMissing: 12
        case .unsignedDelegation: nil
        case .unsupportedAlgorithm: 1
        case .unsupportedDigest: 2
        case .nsec3IterationsTooHigh: 27
        case .noTrustAnchor: nil
        case .upstreamError: 22
        case .upstreamRCode: 23
        default: nil
        }
    }
    /// A reason from its code and sentence.
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    /// The sentence.
    public var description: String { message }
}

/// What one step of a lookup established, as data: tests and programs match on these; `text` renders them.
public enum TraceEvent: Sendable, Hashable {
    /// A zone's DNSKEY RRset was accepted: key `keyTag`/`algorithm` signs it and matches `vouchedBy` (the trust
    /// anchor, or the DS in the parent).
    case keysTrusted(zone: DNSName, keys: Int, keyTag: UInt16, algorithm: UInt8, vouchedBy: String, validUntil: UInt32)
    /// A DS RRset (records as tag/algorithm/digest type) was verified with key `keyTag` of the parent.
    case dsVerified(owner: DNSName, parent: DNSName, records: [String], keyTag: UInt16)
    /// The answer's RRset was judged; `reason` is nil when its signature verified.
    case rrset(owner: DNSName, type: RRType, records: Int, wildcard: Bool, reason: Reason?)
    /// A CNAME or DNAME link was followed; `reason` is nil when its signature verified.
    case link(type: RRType, owner: DNSName, target: DNSName, reason: Reason?)
    /// A DS question below an RRSIG's signer, asked only to look for a hidden cut, got no usable answer: the check
    /// could not be made and the signer's zone stands.
    case cutCheckUnavailable(name: DNSName, signer: DNSName, rrset: String, why: Reason)
    /// The names below the signer lie too deep to be checked for a hidden cut (`ValidatorLimits.maxWalkLabels`).
    case cutCheckTooDeep(home: DNSName, signer: DNSName, labels: Int, limit: Int)
    /// An unsigned negative answer in a provably unsigned zone.
    case unsignedDenial(name: DNSName, what: String)
    /// A step that decided the outcome: its reason (a failure, an insecure delegation, a proven denial).
    case decided(Reason)
    /// Free text (steps built by callers).
    case note(String)

    /// The sentence `--trace` prints.
    public var text: String {
        switch self {
        case let .keysTrusted(zone, keys, tag, alg, by, until):
            return
                "DNSKEY RRset of \(zone) (\(keys) keys) is signed by key \(tag)/\(VerifyingKey.algorithmName(alg)), "
                + "which matches the \(by); valid until \(DNSTime.iso8601(UInt64(until)))"
        case let .dsVerified(owner, parent, records, tag):
            return "DS RRset of \(owner) (\(records.joined(separator: ", "))) is signed by \(parent) key \(tag)"
        case let .rrset(owner, type, records, wildcard, reason):
            let plural = records == 1 ? "" : "s"
            let how = reason?.message ?? "signature verified"
            let expansion = wildcard ? " (wildcard expansion, non-existence of the name proven)" : ""
            return "\(type) RRset of \(owner) (\(records) record\(plural)): \(how)\(expansion)"
        case let .link(type, owner, target, reason):
            return "\(type) \(owner) → \(target): \(reason?.message ?? "signature verified")"
        case let .cutCheckUnavailable(name, signer, rrset, why):
            return
                "could not check whether \(name) is a zone cut below \(signer) (\(why.message)); the RRSIG's signer "
                + "\(signer) stands as the zone of \(rrset)"
        case let .cutCheckTooDeep(home, signer, labels, limit):
            return
                "\(home) lies \(labels) labels below \(signer), above the walk limit of \(limit) "
                + "(ValidatorLimits.maxWalkLabels): not checked for zone cuts below the signer"
        case let .unsignedDenial(_, what):
            return "unsigned answer: \(what) (insecure)"
        case let .decided(r): return r.message
        case let .note(text): return text
        }
    }
}

/// One step of the chain of trust, for `--trace`: the typed event, the zone it concerns, and the verdict it gave.
public struct TraceStep: Sendable, Hashable, CustomStringConvertible {
    /// The zone the step concerns.
    public let zone: String
    /// What the step established.
    public let event: TraceEvent
    /// The verdict the step gave, when it gave one.
    public let verdict: Verdict?
    /// A step from its event.
    public init(zone: String, _ event: TraceEvent, verdict: Verdict? = nil) {
        self.zone = zone; self.event = event; self.verdict = verdict
    }
    /// A free-text step.
    public init(zone: String, _ text: String, verdict: Verdict? = nil) {
        self.init(zone: zone, .note(text), verdict: verdict)
    }
    /// The sentence `--trace` prints.
    public var text: String { event.text }
    /// The sentence, after the verdict in brackets when there is one.
    public var description: String { verdict.map { "[\($0)] \(text)" } ?? text }
}

/// What kind of answer was validated.
public enum AnswerKind: String, Sendable, Hashable {
    /// The RRset exists and is returned.
    case data
    /// The name does not exist (NXDOMAIN).
    case nameError = "nxdomain"
    /// The name exists but has no RRset of the type (NODATA).
    case noData = "nodata"
}

/// An RRset that validated as secure, with the signatures that proved it.
///
/// Only the validator makes values of this type (its initialiser is internal), so holding one means DNSSEC
/// authenticated the records, as swift-certificates' `ValidatedCertificateChain` can only come out of its `Verifier`.
public struct AuthenticatedRRset: Sendable, Hashable {
    /// The records, with the TTL capped by the signatures' validity.
    public let rrset: RRset
    /// The RRSIG records over ``rrset`` that were seen with it.
    public let signatures: [ResourceRecord]
    /// Whether the RRset was synthesised from a wildcard (its non-existence proof was checked).
    public let wildcard: Bool

    init(rrset: RRset, signatures: [ResourceRecord], wildcard: Bool) {
        self.rrset = rrset; self.signatures = signatures; self.wildcard = wildcard
    }

    /// The earliest expiration (unix seconds, RFC 1982 order) among the RRSIGs over the RRset; nil when no RRSIG
    /// record parses. After it the RRset no longer validates with the signatures seen.
    public var signatureExpiration: UInt32? {
        let expirations = signatures.compactMap { r -> UInt32? in
            if case .rrsig(let sig)? = try? r.parsed() { return sig.expiration }
            return nil
        }
        return expirations.min(by: { !SerialTime.lessOrEqual($1, $0) })
    }
}

/// The outcome of a lookup as one value to switch over: secure data (carrying an ``AuthenticatedRRset``, which
/// only the validator can make), a secure denial, or one of the failures, each with its reason.
public enum ValidationResult: Sendable, Hashable {
    /// The RRset exists and DNSSEC authenticated it.
    case secure(AuthenticatedRRset)
    /// Authenticated denial: the name (`nameError`) or the RRset (NODATA) provably does not exist.
    case secureDenial(Reason, nameError: Bool)
    /// The answer is provably unsigned (RFC 4033 §5).
    case insecure(Reason)
    /// Validation failed (RFC 4033 §5).
    case bogus(Reason)
    /// No usable answer: timeouts, SERVFAIL, limits, no trust anchor (RFC 4033 §5).
    case indeterminate(Reason)
}

/// A validated answer: the RRset (or the proven absence of it), the chain that led there, the verdict and why.
///
/// ``result`` is the one place a secure RRset comes from. ``rrset`` holds whatever records were received, whatever
/// the verdict, for diagnosis only.
public struct ValidatedAnswer: Sendable {
    /// The question asked.
    public let question: Question
    /// Secure, insecure, bogus or indeterminate.
    public let verdict: Verdict
    /// Set for every verdict but secure; for a secure denial, says what was proven.
    public let reason: Reason?
    /// Data, NXDOMAIN or NODATA.
    public let kind: AnswerKind
    /// The final RRset when `kind == .data`, as received: authenticated only when ``verdict`` is secure. Programs
    /// that act on records take them from ``result``.
    public let rrset: RRset?
    /// The RRSIGs over the final RRset.
    public let signatures: [ResourceRecord]
    /// CNAME/DNAME links from the question's name to the final owner, in order.
    public let chain: [RRset]
    /// The owner of the final answer (after following the chain).
    public let finalName: DNSName
    /// The chain of trust, step by step.
    public let trace: [TraceStep]
    /// Whether the answer was synthesised from a wildcard.
    public let wildcard: Bool
    /// The verdict as one enum; its secure case carries the authenticated RRset.
    public let result: ValidationResult

    init(
        question: Question, verdict: Verdict, reason: Reason?, kind: AnswerKind, rrset: RRset?,
        signatures: [ResourceRecord], chain: [RRset], finalName: DNSName, trace: [TraceStep], wildcard: Bool
    ) {
        self.question = question; self.verdict = verdict; self.reason = reason; self.kind = kind; self.rrset = rrset
        self.signatures = signatures; self.chain = chain; self.finalName = finalName; self.trace = trace
        self.wildcard = wildcard
        let why = reason ?? Reason(.malformedAnswer, "no reason recorded")
        switch verdict {
        case .secure:
            if kind == .data, let rrset {
                result = .secure(AuthenticatedRRset(rrset: rrset, signatures: signatures, wildcard: wildcard))
            } else if kind == .data {
                result = .indeterminate(Reason(.malformedAnswer, "a secure data answer without an RRset"))
            } else {
                result = .secureDenial(why, nameError: kind == .nameError)
            }
        case .insecure: result = .insecure(why)
        case .bogus: result = .bogus(why)
        case .indeterminate: result = .indeterminate(why)
        }
    }
}

/// Time in DNSSEC terms: 32-bit seconds with RFC 1982 serial-number comparison.
public enum SerialTime {
    /// a <= b in serial arithmetic.
    public static func lessOrEqual(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: b &- a) >= 0 }
}
