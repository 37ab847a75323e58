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
    case none
    case dsa(primeBits: Int)
    case rsa(modulusBits: Int, exponent: [UInt8])
    case ecdsaP256
    case ecdsaP384
    case ed25519
    case ed448
    /// An unassigned algorithm: the octets are kept but not interpreted.
    case opaque

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
    case truncated(String)
    case trailingOctets(Int)
    case unknownGatewayType(UInt8)
    case compressedGatewayName
    case badGatewayName(String)
    case badKey(algorithm: String, reason: String)

    public var description: String {
        switch self {
        case .truncated(let what): "IPSECKEY RDATA truncated in \(what)"
        case .trailingOctets(let n): "IPSECKEY RDATA has \(n) unexpected octets"
        case .unknownGatewayType(let t): "IPSECKEY gateway type \(t) is not defined (RFC 4025 §2.3 allows 0–3)"
        case .compressedGatewayName: "IPSECKEY gateway name is compressed (RFC 4025 §2.5 forbids it)"
        case .badGatewayName(let why): "IPSECKEY gateway name is malformed: \(why)"
        case let .badKey(alg, why): "IPSECKEY \(alg) public key does not parse: \(why)"
        }
    }
}

/// A parsed, strictly checked IPSECKEY record (RFC 4025).
///
/// Values of this type can be built from any RDATA for inspection; only ``Resolver/resolveAuthenticated(name:)``
/// hands out values that DNSSEC authenticated.
public struct IPSecKey: Sendable, Hashable, CustomStringConvertible {
    /// Lower values are preferred (RFC 4025 §2.2).
    public let precedence: UInt8
    public let gateway: IPSECKEYGateway
    public let algorithm: IPSecKeyAlgorithm
    public let publicKey: [UInt8]
    /// The key as interpreted for its algorithm.
    public let kind: IPSecKeyKind

    /// Parses RDATA strictly: the gateway must fit its type (4 or 16 octets, an uncompressed name), no octet may
    /// be missing or left over, and the key must parse for its algorithm.
    public init(rdata: [UInt8]) throws(IPSecKeyParseError) {
        guard rdata.count >= 3 else { throw .truncated("header") }
        precedence = rdata[0]
        let gatewayType = rdata[1]
        algorithm = IPSecKeyAlgorithm(code: rdata[2])
        var i = 3
        switch gatewayType {
        case 0: gateway = .none
        case 1:
            guard rdata.count >= i + 4 else { throw .truncated("IPv4 gateway") }
            gateway = .ipv4(Array(rdata[i..<(i + 4)])); i += 4
        case 2:
            guard rdata.count >= i + 16 else { throw .truncated("IPv6 gateway") }
            gateway = .ipv6(Array(rdata[i..<(i + 16)])); i += 16
        case 3:
            var labels: [[UInt8]] = []
            while true {
                guard i < rdata.count else { throw .truncated("gateway name") }
                let len = Int(rdata[i])
                if len == 0 { i += 1; break }
                if len & 0xC0 == 0xC0 { throw .compressedGatewayName }
                guard len <= 63 else { throw .badGatewayName("label type or length \(len)") }
                guard i + 1 + len <= rdata.count else { throw .truncated("gateway name") }
                labels.append(Array(rdata[(i + 1)..<(i + 1 + len)]))
                i += 1 + len
            }
            do { gateway = .name(try DNSName(labels: labels)) } catch { throw .badGatewayName(error.description) }
        default:
            throw .unknownGatewayType(gatewayType)
        }
        publicKey = Array(rdata[i...])
        kind = try Self.interpret(algorithm: algorithm, key: publicKey)
    }

    /// Builds a key from its fields (checked the same way as RDATA).
    public init(precedence: UInt8, gateway: IPSECKEYGateway, algorithm: UInt8, publicKey: [UInt8]) throws(IPSecKeyParseError) {
        try self.init(rdata: RData.ipseckey(IPSECKEYData(precedence: precedence, gateway: gateway, algorithm: algorithm,
                                                           publicKey: publicKey)).wire)
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
            guard key.count > at + expLen else { throw .badKey(algorithm: "RSA", reason: "exponent length \(expLen) leaves no modulus") }
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
        RData.ipseckey(IPSECKEYData(precedence: precedence, gateway: gateway, algorithm: algorithm.code, publicKey: publicKey)).wire
    }

    /// RDATA in RFC 4025 §3.1 presentation format: `precedence gateway-type algorithm gateway base64-key`.
    public var description: String {
        RData.ipseckey(IPSECKEYData(precedence: precedence, gateway: gateway, algorithm: algorithm.code, publicKey: publicKey)).description
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
