import DNSModel

/// The public-key algorithm field of an IPSECKEY record, per IANA's "IPSECKEY Resource Record Parameters"
/// registry (RFC 4025 §2.4; value 3 from RFC 8005, value 4 from RFC 9373).
public enum IPSecKeyAlgorithm: Sendable, Hashable, CustomStringConvertible {
    /// 0: no key present (RFC 4025 §2.4).
    case none
    /// 1: DSA, key in RFC 2536 form.
    case dsa
    /// 2: RSA, key in RFC 3110 form.
    case rsa
    /// 3: ECDSA, key in RFC 6605 form (RFC 8005 §4.1): the raw point x‖y, no curve number.
    case ecdsa
    /// 4: EdDSA, key in RFC 8080 form (RFC 9373 §3): the raw public key.
    case eddsa
    /// A value the registry does not assign (yet): kept, not rejected.
    case unassigned(UInt8)

    /// The algorithm for a registry value.
    public init(code: UInt8) {
        switch code {
        case 0: self = .none
        case 1: self = .dsa
        case 2: self = .rsa
        case 3: self = .ecdsa
        case 4: self = .eddsa
        default: self = .unassigned(code)
        }
    }

    /// The registry value.
    public var code: UInt8 {
        switch self {
        case .none: 0
        case .dsa: 1
        case .rsa: 2
        case .ecdsa: 3
        case .eddsa: 4
        case .unassigned(let c): c
        }
    }

    /// The algorithm's name (`RSA`, `ECDSA`, …).
    public var description: String {
        switch self {
        case .none: "none"
        case .dsa: "DSA"
        case .rsa: "RSA"
        case .ecdsa: "ECDSA"
        case .eddsa: "EdDSA"
        case .unassigned(let c): "unassigned(\(c))"
        }
    }
}

/// What the public-key octets turned out to be, once parsed for their algorithm.
public enum IPSecKeyKind: Sendable, Hashable, CustomStringConvertible {
    /// Algorithm 0: no key.
    case none
    /// DSA (RFC 2536) with a prime of this many bits.
    case dsa(primeBits: Int)
    /// RSA (RFC 3110) with a modulus of this many bits and this public exponent.
    case rsa(modulusBits: Int, exponent: [UInt8])
    /// ECDSA on P-256 (64 octets x‖y).
    case ecdsaP256
    /// ECDSA on P-384 (96 octets x‖y).
    case ecdsaP384
    /// Ed25519 (32 octets).
    case ed25519
    /// Ed448 (57 octets).
    case ed448
    /// An unassigned algorithm: the octets are kept but not interpreted.
    case opaque

    /// `RSA 2048-bit`, `ECDSA P-256`, …
    public var description: String {
        switch self {
        case .none: "no key"
        case .dsa(let bits): "DSA \(bits)-bit"
        case .rsa(let bits, _): "RSA \(bits)-bit"
        case .ecdsaP256: "ECDSA P-256"
        case .ecdsaP384: "ECDSA P-384"
        case .ed25519: "Ed25519"
        case .ed448: "Ed448"
        case .opaque: "opaque"
        }
    }
}

/// Why an IPSECKEY RDATA was not accepted.
public enum IPSecKeyParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The RDATA does not decode (DNSModel's IPSECKEY wire parser): truncated, an undefined gateway type
    /// (RFC 4025 §2.3 allows 0–3), a compressed or malformed gateway name (RFC 4025 §2.5).
    case malformedRDATA(DNSWireError)
    /// Algorithm 0 (no key, RFC 4025 §2.4) with key octets after it.
    case trailingOctets(Int)
    /// The key octets do not have the form their algorithm prescribes.
    case badKey(algorithm: String, reason: String)

    /// A sentence saying what is wrong.
    public var description: String {
        switch self {
        case .malformedRDATA(let error): "IPSECKEY RDATA is malformed: \(error)"
        case .trailingOctets(let n): "IPSECKEY RDATA has \(n) unexpected octets"
        case let .badKey(alg, why): "IPSECKEY \(alg) public key does not parse: \(why)"
        }
    }
}

/// A parsed, strictly checked IPSECKEY record (RFC 4025).
///
/// ``Resolver/resolveAuthenticated(name:)`` and ``Resolver/keys(from:)`` hand out keys only from an RRset DNSSEC
/// authenticated. The only other ways to make one say what they are: ``init(unauthenticatedRDATA:)`` parses any
/// octets (for inspection and display) and ``init(publishing:precedence:gateway:)`` builds the record for a key
/// of your own.
public struct IPSecKey: Sendable, Hashable, CustomStringConvertible {
    /// Lower values are preferred (RFC 4025 §2.2).
    public let precedence: UInt8
    /// The gateway the key belongs to (RFC 4025 §2.3, §2.5).
    public let gateway: IPSECKEYGateway
    /// The public-key algorithm (RFC 4025 §2.4).
    public let algorithm: IPSecKeyAlgorithm
    /// The key octets as the record carries them.
    public let publicKey: [UInt8]
    /// The key as interpreted for its algorithm.
    public let kind: IPSecKeyKind

    /// Parses RDATA that DNSSEC did **not** vouch for (a file, a packet, a fuzzer): the same strict checks as keys
    /// from the resolver, through the one IPSECKEY wire parser (DNSModel's `RData`): the gateway must fit its type
    /// (4 or 16 octets, an uncompressed name), no octet may be missing or left over, and the key must parse for its
    /// algorithm. Nothing about the result says it is authentic.
    public init(unauthenticatedRDATA rdata: [UInt8]) throws(IPSecKeyParseError) {
        let decoded: RData
        do { decoded = try RData(type: .ipseckey, wire: rdata) } catch { throw .malformedRDATA(error) }
        guard case .ipseckey(let data) = decoded else {
            throw .malformedRDATA(.badRData(type: .ipseckey, reason: "not IPSECKEY RDATA"))
        }
        try self.init(data)
    }

    /// Interprets decoded RDATA (the resolver's path, from an authenticated RRset, and the unauthenticated one).
    init(_ data: IPSECKEYData) throws(IPSecKeyParseError) {
        precedence = data.precedence
        gateway = data.gateway
        algorithm = IPSecKeyAlgorithm(code: data.algorithm)
        publicKey = data.publicKey
        kind = try Self.interpret(algorithm: algorithm, key: publicKey)
    }

    /// Builds a key from its fields (checked the same way as RDATA).
    init(precedence: UInt8, gateway: IPSECKEYGateway, algorithm: UInt8, publicKey: [UInt8]) throws(IPSecKeyParseError) {
        try self.init(
            IPSECKEYData(precedence: precedence, gateway: gateway, algorithm: algorithm, publicKey: publicKey))
    }

    /// Checks the key octets against the format their algorithm prescribes.
    static func interpret(algorithm: IPSecKeyAlgorithm, key: [UInt8]) throws(IPSecKeyParseError) -> IPSecKeyKind {
        switch algorithm {
        case .none:
            // RFC 4025 §2.4: algorithm 0 means no key is present.
            guard key.isEmpty else { throw .trailingOctets(key.count) }
            return .none
        case .rsa:
            // RFC 3110 §2: exponent length (1 octet, or 0 then 2 octets), exponent, modulus.
            guard let first = key.first else { throw .badKey(algorithm: "RSA", reason: "empty key") }
            var expLen = Int(first), at = 1
            if first == 0 {
                guard key.count >= 3 else { throw .badKey(algorithm: "RSA", reason: "truncated exponent length") }
                expLen = Int(key[1]) << 8 | Int(key[2]); at = 3
            }
            guard expLen > 0 else { throw .badKey(algorithm: "RSA", reason: "zero-length exponent") }
            guard key.count > at + expLen else {
                throw .badKey(algorithm: "RSA", reason: "exponent length \(expLen) leaves no modulus")
            }
            let exponent = Array(key[at..<(at + expLen)])
            let modulus = key[(at + expLen)...].drop(while: { $0 == 0 })
            guard let top = modulus.first else { throw .badKey(algorithm: "RSA", reason: "zero modulus") }
            let bits = (modulus.count - 1) * 8 + (8 - top.leadingZeroBitCount)
            guard bits <= 16384 else { throw .badKey(algorithm: "RSA", reason: "modulus of \(bits) bits is too large") }
            return .rsa(modulusBits: bits, exponent: exponent)
        case .dsa:
            // RFC 2536 §2: T (≤ 8), Q (20), P, G, Y (64 + 8T octets each).
            guard let t = key.first else { throw .badKey(algorithm: "DSA", reason: "empty key") }
            guard t <= 8 else { throw .badKey(algorithm: "DSA", reason: "T = \(t) exceeds 8") }
            let size = 64 + 8 * Int(t)
            guard key.count == 1 + 20 + 3 * size else {
                throw .badKey(algorithm: "DSA", reason: "\(key.count) octets; T = \(t) requires \(1 + 20 + 3 * size)")
            }
            return .dsa(primeBits: size * 8)
        case .ecdsa:
            // No curve number in the RDATA: tell the curve by length, as strongSwan does (RFC 8005 §4.1 → RFC 6605 §4).
            switch key.count {
            case 64: return .ecdsaP256
            case 96: return .ecdsaP384
            default: throw .badKey(algorithm: "ECDSA", reason: "\(key.count) octets; P-256 needs 64, P-384 needs 96")
            }
        case .eddsa:
            // RFC 9373 §3 → RFC 8080 §3: raw public key; 32 octets Ed25519, 57 octets Ed448.
            switch key.count {
            case 32: return .ed25519
            case 57: return .ed448
            default: throw .badKey(algorithm: "EdDSA", reason: "\(key.count) octets; Ed25519 needs 32, Ed448 needs 57")
            }
        case .unassigned:
            return .opaque
        }
    }

    /// The RDATA in wire form.
    public var rdata: [UInt8] {
        RData.ipseckey(
            IPSECKEYData(precedence: precedence, gateway: gateway, algorithm: algorithm.code, publicKey: publicKey)
        ).wire
    }

    /// RDATA in RFC 4025 §3.1 presentation format: `precedence gateway-type algorithm gateway base64-key`.
    public var description: String {
        RData.ipseckey(
            IPSECKEYData(precedence: precedence, gateway: gateway, algorithm: algorithm.code, publicKey: publicKey)
        ).description
    }

    /// The key in libreswan's `0s…` base64 notation (as in `leftrsasigkey=0s…`): `0s` followed by the base64 of the
    /// key octets exactly as the record carries them (RFC 3110 form for RSA).
    public var libreswanKey: String? {
        publicKey.isEmpty ? nil : "0s" + TextEncoding.base64(publicKey)
    }

    /// The gateway in presentation form (`.` for none).
    public var gatewayText: String {
        switch gateway {
        case .none: "."
        case .ipv4(let b): TextEncoding.ipv4(b)
        case .ipv6(let b): TextEncoding.ipv6(b)
        case .name(let n): n.description
        }
    }
}
