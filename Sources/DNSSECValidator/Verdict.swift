import DNSModel

/// The outcome of validation (RFC 4033 §5): secure, insecure, bogus, or indeterminate.
public enum Verdict: String, Sendable, Hashable, Comparable, CustomStringConvertible {
    case secure, insecure, bogus, indeterminate

    var weakness: Int {
        switch self { case .secure: 0; case .insecure: 1; case .indeterminate: 2; case .bogus: 3 }
    }
    /// Orders verdicts from strongest (secure) to weakest (bogus); a chain takes its weakest link.
    public static func < (a: Verdict, b: Verdict) -> Bool { a.weakness < b.weakness }
    public var description: String { rawValue }
}

/// Why a verdict is not secure (or, for a secure denial, what was proven): a stable code for programs, an RFC 8914
/// Extended DNS Error number where one fits, and a sentence for people.
public struct Reason: Sendable, Hashable, CustomStringConvertible {
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
    }
    public let code: Code
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
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    public var description: String { message }
}

/// One step of the chain of trust, for `--trace`.
public struct TraceStep: Sendable, Hashable, CustomStringConvertible {
    public let zone: String
    public let text: String
    public let verdict: Verdict?
    public init(zone: String, _ text: String, verdict: Verdict? = nil) { self.zone = zone; self.text = text; self.verdict = verdict }
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

/// A validated answer: the RRset (or the proven absence of it), the chain that led there, the verdict and why.
public struct ValidatedAnswer: Sendable {
    public let question: Question
    public let verdict: Verdict
    /// Set for every verdict but secure; for a secure denial, says what was proven.
    public let reason: Reason?
    public let kind: AnswerKind
    /// The final RRset when `kind == .data`.
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
}

/// Time in DNSSEC terms: 32-bit seconds with RFC 1982 serial-number comparison.
public enum SerialTime {
    /// a <= b in serial arithmetic.
    public static func lessOrEqual(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: b &- a) >= 0 }
}
