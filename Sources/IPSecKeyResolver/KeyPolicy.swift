import DNSCrypto
import DNSModel
import DNSSECValidator

/// What may be handed to an IPsec daemon, and how the other direction (a key file to a record) is built.
extension IPSecKey {
    /// The smallest RSA modulus exported for IKEv2 authentication (RFC 8247 §3.2: RSA keys below 2048 bits MUST NOT
    /// be used).
    public static let minimumRSABits = 2048

    /// Why this key must not be given to an IPsec daemon, or nil when it may: algorithm 0 carries no key, an
    /// unassigned algorithm cannot be interpreted, DSA is forbidden for IKEv2 (RFC 8247 §3.2) and so is RSA below
    /// 2048 bits.
    public var exportRefusal: String? {
        switch kind {
        case .none: return "the record carries no key (algorithm 0)"
        case .opaque: return "key algorithm \(algorithm.code) is not assigned; its octets cannot be exported"
        case .dsa(let bits): return "DSA (\(bits)-bit) keys are not exported: RFC 8247 forbids DSA for IKEv2"
        case .rsa(let bits, _) where bits < Self.minimumRSABits:
            return "RSA modulus of \(bits) bits is below the \(Self.minimumRSABits) bits RFC 8247 requires"
        default: return nil
        }
    }

    /// The key as PEM SubjectPublicKeyInfo, only when ``exportRefusal`` is nil (and libcrypto accepts the key).
    public func exportablePEM() throws(KeyExportError) -> String {
        if let why = exportRefusal { throw KeyExportError(description: why) }
        return try pem()
    }

    /// How libreswan 4.x loads this key: the `right…=` directive, or nil with the reason it cannot.
    public var libreswanDirective: (name: String?, note: String?) {
        switch kind {
        case .rsa: return ("rightrsasigkey", nil)
        case .ecdsaP256: return ("rightecdsakey", nil)
        case .ecdsaP384: return ("rightecdsakey", "libreswan 4.10's pluto crashes on P-384 keys")
        case .ed25519, .ed448: return (nil, "libreswan 4.x cannot load EdDSA raw public keys")
        case .dsa: return (nil, "libreswan does not load DSA keys")
        case .none, .opaque: return (nil, "no loadable key")
        }
    }

    /// Whether the record's gateway is `text`: addresses compared as addresses (`2001:db8::1` equals
    /// `2001:0db8:0:0::1`), names as DNS names (case-insensitive, trailing dot optional). `.` or `none` matches a
    /// record without gateway.
    public func gatewayMatches(_ text: String) -> Bool {
        var t = text
        if t.hasPrefix("[") && t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        switch gateway {
        case .none: return t == "." || t.lowercased() == "none"
        case .ipv4(let b): return TextEncoding.fromIPv4(t) == b
        case .ipv6(let b): return t.hasColon && TextEncoding.fromIPv6(t) == b
        case .name(let n):
            guard TextEncoding.fromIPv4(t) == nil, !t.hasColon, let other = try? DNSName(t) else { return false }
            return n == other
        }
    }

    /// Sorts keys for export: precedence, then RDATA octets, so a key keeps its position (and file name) from one
    /// lookup to the next, unlike the shuffled order of ``Resolver/resolveAuthenticated(name:)``.
    public static func exportOrder(_ keys: [IPSecKey]) -> [IPSecKey] {
        keys.sorted { a, b in
            a.precedence != b.precedence ? a.precedence < b.precedence : a.rdata.lexicographicallyPrecedes(b.rdata)
        }
    }

    /// Builds the record for a PEM public key (`-----BEGIN PUBLIC KEY-----`, read by libcrypto): RSA as algorithm 2
    /// in RFC 3110 form, ECDSA P-256/P-384 as algorithm 3 (RFC 8005), Ed25519/Ed448 as algorithm 4 (RFC 9373).
    /// Keys that would not be exported (RSA below 2048 bits; DSA and other types are refused by the reader) throw.
    /// The result is a record to publish, not a key anyone authenticated.
    public init(publishing pem: String, precedence: UInt8, gateway: IPSECKEYGateway) throws(KeyExportError) {
        let imported: ImportedPublicKey
        do { imported = try PublicKeyImport.read(pem: pem) } catch {
            throw KeyExportError(description: error.description)
        }
        let algorithm: UInt8
        let octets: [UInt8]
        switch imported {
        case let .rsa(modulus, exponent):
            // RFC 3110 §2: a one-octet exponent length, or zero and a two-octet length.
            let length: [UInt8] =
                exponent.count <= 255
                ? [UInt8(exponent.count)]
                : [0, UInt8(exponent.count >> 8), UInt8(exponent.count & 0xFF)]
            guard exponent.count <= 0xFFFF else { throw KeyExportError(description: "RSA exponent is too long") }
            algorithm = 2; octets = length + exponent + modulus
        case .ecdsaP256(let xy), .ecdsaP384(let xy): algorithm = 3; octets = xy
        case .ed25519(let raw), .ed448(let raw): algorithm = 4; octets = raw
        }
        do {
            try self.init(precedence: precedence, gateway: gateway, algorithm: algorithm, publicKey: octets)
        } catch { throw KeyExportError(description: error.description) }
        if let why = exportRefusal { throw KeyExportError(description: why) }
    }

    /// The gateway field for `text`: an IPv4 or IPv6 address, a domain name, or `.`/`none` for no gateway
    /// (RFC 4025 §2.3 gateway types 1, 2, 3 and 0).
    public static func gateway(parsing text: String) throws(KeyExportError) -> IPSECKEYGateway {
        var t = text
        if t.hasPrefix("[") && t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        if t == "." || t.lowercased() == "none" { return .none }
        if let v4 = TextEncoding.fromIPv4(t) { return .ipv4(v4) }
        if t.hasColon {
            guard let v6 = TextEncoding.fromIPv6(t) else {
                throw KeyExportError(description: "'\(text)' is not an IPv6 address")
            }
            return .ipv6(v6)
        }
        if t.isDottedDigits { throw KeyExportError(description: "'\(text)' is not an IPv4 address") }
        do { return .name(try DNSName(t.hasSuffix(".") ? t : t + ".")) } catch {
            throw KeyExportError(description: "'\(text)' is not a valid gateway name: \(error)")
        }
    }
}

/// How long a secure answer may be relied on: its TTL and the expiry of the signatures that proved it.
public struct SecureAnswerLifetime: Sendable, Hashable {
    /// The RRset's TTL in seconds (as served; the validator caps cached copies by it).
    public let ttl: UInt32
    /// The earliest expiration (unix seconds) among the RRSIGs over the RRset: after it, the RRset no longer
    /// validates with the signatures seen.
    public let signatureExpiration: UInt32

    /// A lifetime from its two figures.
    public init(ttl: UInt32, signatureExpiration: UInt32) {
        self.ttl = ttl; self.signatureExpiration = signatureExpiration
    }

    /// The lifetime of a secure data answer; nil for anything else (or when no signature came with it).
    public init?(_ answer: ValidatedAnswer) {
        guard case .secure(let set) = answer.result else { return nil }
        self.init(set)
    }

    /// The lifetime of an authenticated RRset; nil when no signature came with it.
    public init?(_ set: AuthenticatedRRset) {
        guard let earliest = set.signatureExpiration else { return nil }
        ttl = set.rrset.ttl
        signatureExpiration = earliest
    }
}
